/*
 * Simulated traffic per deployed version, served as Prometheus metrics and windowed health.
 */
export { startTrafficServer } from './TrafficServer';
export type { TrafficServer, TrafficServerOptions } from './TrafficServer';
export {
  COMMIT_SHA_ANNOTATION,
  HEALTHY_PROFILE,
  LATENCY_BUCKETS,
  TrafficSimulator,
  UNHEALTHY_PROFILE,
  createRandom,
  sameVersion,
  versionOf,
} from './TrafficSimulator';
export type {
  TrafficProfile,
  TrafficSimulatorOptions,
  Unhealthiness,
  WorkloadHealth,
} from './TrafficSimulator';
