export { NewFlagDialog } from './NewFlagDialog';
