export { RollbackDialog, MIN_REASON_LENGTH } from './RollbackDialog';
