import {
  DeployedVersion,
  ReplicaCounts,
  RolloutState,
} from '@internal/plugin-delivery-common';

/** A service's workload (a Kubernetes Deployment) in one cluster, as the delivery plugins see it. */
export interface Workload {
  cluster: string;
  namespace: string;
  /** The Deployment's name. */
  name: string;
  /** The image of its main container and the commit it was built from, when known. */
  version?: DeployedVersion;
  replicas: ReplicaCounts;
  rollout: RolloutState;
  /** `deployment.kubernetes.io/revision`. */
  revision?: string;
  /**
   * When the running version was deployed, as far as the workload tells: the delivery annotation,
   * else when the rollout of its current ReplicaSet completed.
   */
  deployedAt?: Date;
  annotations: Record<string, string>;
  /** Plain env vars of its main container (values only; references keep no value). */
  env?: WorkloadEnvVar[];
}

/** An env var of a container. */
export interface WorkloadEnvVar {
  name: string;
  value?: string;
}

/** A weighted share of user traffic that was changed (NGINX ingress canary weight, 0..100). */
export interface TrafficWeight {
  ingress: string;
  before: number;
  after: number;
}

/** Where a workload is. */
export interface WorkloadRef {
  cluster: string;
  namespace: string;
  name: string;
}

/**
 * Reads and changes service workloads and ConfigMaps in the configured clusters. Every call is
 * bounded by the request timeout; failures are `UpstreamError`s naming the cluster.
 */
export interface KubernetesProvider {
  /** The Deployment labelled `backstage.io/kubernetes-id=<kubernetesId>` in a namespace. */
  findWorkload(options: {
    cluster: string;
    namespace: string;
    kubernetesId: string;
  }): Promise<Workload | undefined>;
  /** A Deployment by name, or undefined when it does not exist. */
  getWorkload(options: WorkloadRef): Promise<Workload | undefined>;
  /**
   * Points the workload's main container at `image` and records the commit, deploy time and
   * extra annotations. Idempotent: false when it already runs that image and commit.
   */
  setWorkloadVersion(
    options: WorkloadRef & {
      image: string;
      commitSha: string;
      deployedAt: Date;
      annotations?: Record<string, string>;
      /** Also sets the replica count (a restore of a backup). */
      replicas?: number;
      /** Also replaces the main container's env (a restore of a backup). */
      env?: WorkloadEnvVar[];
    },
  ): Promise<boolean>;
  /**
   * Sets the share of user traffic the service gets in a namespace: the canary weight of its
   * NGINX canary Ingresses (`nginx.ingress.kubernetes.io/canary: "true"`, labelled with its
   * kubernetes-id). Returns each Ingress with its weight before and after; empty when it has none.
   */
  setTrafficWeight(options: {
    cluster: string;
    namespace: string;
    kubernetesId: string;
    /** 0..100, or per Ingress (e.g. the weights recorded before a reroute). */
    weight: number | ((ingress: string, before: number) => number);
  }): Promise<TrafficWeight[]>;
  /** A ConfigMap's data, or undefined when it does not exist. */
  readConfigMap(options: {
    cluster: string;
    namespace: string;
    name: string;
  }): Promise<Record<string, string> | undefined>;
  /** Creates or replaces a ConfigMap's data (and merges its labels). */
  upsertConfigMap(options: {
    cluster: string;
    namespace: string;
    name: string;
    data: Record<string, string>;
    labels?: Record<string, string>;
  }): Promise<void>;
}
