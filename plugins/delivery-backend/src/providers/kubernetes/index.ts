export type {
  KubernetesProvider,
  Workload,
  WorkloadRef,
} from './KubernetesProvider';
export { ClientNodeKubernetesProvider } from './ClientNodeKubernetesProvider';
