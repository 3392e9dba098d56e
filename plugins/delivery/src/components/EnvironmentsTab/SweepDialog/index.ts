export { SweepDialog } from './SweepDialog';
