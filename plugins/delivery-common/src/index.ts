/**
 * Types, permissions and pure rules shared by the delivery frontend and backend.
 *
 * @packageDocumentation
 */
export * from './annotations';
export * from './types';
export * from './permissions';
export * from './rollout';
export * from './ci';
export * from './deployments';
export * from './eligibility';
export * from './flags';
export * from './rollbackDecision';
export * from './dora';
export * from './ephemeral';
export * from './workloads';
