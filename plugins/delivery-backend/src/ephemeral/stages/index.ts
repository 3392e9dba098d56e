export { createBuildStage } from './build';
export { createNamespaceStage } from './namespace';
export { createWorkloadStage } from './workload';
export { createEnvironmentRolloutStage } from './rollout';
export { createCopyFlagsStage } from './copyFlags';
export { createAnnounceStage } from './announce';
export type { EnvironmentStage } from './shared';
