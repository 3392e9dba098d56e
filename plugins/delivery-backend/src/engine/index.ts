/*
 * The durable run engine: generic over kinds of run (deployments today; rollbacks, flag
 * rollouts and environments next). A kind brings its stage handlers; the engine never changes.
 */
export { RunEngine } from './RunEngine';
export type { RunEngineOptions } from './RunEngine';
export { DatabaseRunStore } from './DatabaseRunStore';
export type {
  Claim,
  Lease,
  NewRun,
  RunChanges,
  RunStore,
  StagePatch,
} from './RunStore';
export * from './types';
