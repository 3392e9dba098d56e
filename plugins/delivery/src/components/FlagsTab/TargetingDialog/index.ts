export { TargetingDialog } from './TargetingDialog';
