export { createEscalateStage } from './escalate';
export { createRollbackFlagsOffStage } from './flagsOff';
export { createRerouteStage } from './reroute';
export { createRestoreStage } from './restore';
export { createStableRollbackStage } from './stableRollback';
export { createRecoveryVerifyStage } from './verify';
