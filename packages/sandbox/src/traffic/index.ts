/*
 * Simulated traffic per deployed version, served as Prometheus metrics, windowed health and
 * analysis, charts, and injectable faults.
 */
export { startTrafficServer } from './TrafficServer';
export type { TrafficServer, TrafficServerOptions } from './TrafficServer';
export {
  CANARY_ANNOTATION,
  CANARY_WEIGHT_ANNOTATION,
  COMMIT_SHA_ANNOTATION,
  DEFAULT_LIMITS,
  HEALTHY_PROFILE,
  KUBERNETES_ID_LABEL,
  LATENCY_BUCKETS,
  TrafficSimulator,
  UNHEALTHY_PROFILE,
  canaryShare,
  createRandom,
  limitsOf,
  podName,
  sameVersion,
  versionOf,
} from './TrafficSimulator';
export type {
  InjectedFault,
  TrafficProfile,
  TrafficSimulatorOptions,
  WorkloadAnalysis,
  WorkloadHealth,
  WorkloadQuery,
  WorkloadSeriesPoint,
} from './TrafficSimulator';
export {
  DEFAULT_ENDPOINTS,
  FAULT_DEFAULTS,
  FAULT_KINDS,
  SERVICE_ENDPOINTS,
  endpointsOf,
  parseFault,
} from './faults';
export type {
  EndpointWeight,
  FaultKind,
  FaultVerdict,
  VersionFault,
} from './faults';
