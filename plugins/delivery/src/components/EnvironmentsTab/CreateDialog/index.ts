export { CreateEnvironmentDialog } from './CreateEnvironmentDialog';
