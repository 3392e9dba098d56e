export type {
  KubernetesProvider,
  TrafficWeight,
  Workload,
  WorkloadEnvVar,
  WorkloadRef,
} from './KubernetesProvider';
export { ClientNodeKubernetesProvider } from './ClientNodeKubernetesProvider';
