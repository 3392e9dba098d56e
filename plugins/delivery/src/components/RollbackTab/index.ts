export { RollbackTab } from './RollbackTab';
