export { RunningRollbackCard } from './RunningRollbackCard';
