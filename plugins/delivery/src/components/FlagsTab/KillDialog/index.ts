export { KillDialog } from './KillDialog';
