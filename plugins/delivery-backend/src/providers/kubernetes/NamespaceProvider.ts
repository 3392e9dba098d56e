import type {
  KubernetesObject,
  V1Deployment,
  V1Service,
} from '@kubernetes/client-node';

/** A namespace as listed. */
export interface NamespaceSummary {
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** `Active` or `Terminating`. */
  phase?: string;
}

/** One resource of a ResourceQuota: hard limit and use, as Kubernetes quantities. */
export interface QuotaUse {
  quota: string;
  resource: string;
  hard: string;
  used: string;
}

/**
 * Namespaces and the objects in them, for ephemeral environments: create and label namespaces,
 * apply any object the cluster serves (quotas, limit ranges, network policies, workloads,
 * services, config maps), read a workload's manifests to copy them, read quota use, and delete.
 * Every call is bounded by the request timeout; failures are `UpstreamError`s naming the cluster.
 */
export interface NamespaceProvider {
  /**
   * Creates a namespace with labels and annotations, or merges them into the existing one.
   * Throws a `ConflictError` when the namespace is being deleted.
   */
  applyNamespace(options: {
    cluster: string;
    name: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
  }): Promise<'created' | 'updated'>;
  /** Merges labels and annotations into a namespace; false when it does not exist. */
  patchNamespaceMetadata(options: {
    cluster: string;
    name: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  }): Promise<boolean>;
  /** A namespace with its labels and annotations; undefined when there is none. */
  readNamespace(options: {
    cluster: string;
    name: string;
  }): Promise<NamespaceSummary | undefined>;
  /** Whether a namespace exists (terminating ones do). */
  namespaceExists(options: { cluster: string; name: string }): Promise<boolean>;
  /** Deletes a namespace (and all in it); false when it was already gone. */
  deleteNamespace(options: { cluster: string; name: string }): Promise<boolean>;
  /** Namespaces matching a label selector. */
  listNamespaces(options: {
    cluster: string;
    labelSelector: string;
  }): Promise<NamespaceSummary[]>;
  /** Creates an object, or replaces the existing one's spec, labels and annotations. */
  applyObject(options: {
    cluster: string;
    object: KubernetesObject & {
      metadata: { name: string; namespace?: string };
    };
  }): Promise<'created' | 'replaced'>;
  /**
   * Creates an object unless one of its kind and name is there already, which is left as it is
   * (`exists`). With `dryRun` nothing is created: `would-create` says what would be.
   */
  createObject(options: {
    cluster: string;
    object: KubernetesObject & {
      metadata: { name: string; namespace?: string };
    };
    dryRun?: boolean;
  }): Promise<'created' | 'exists' | 'would-create'>;
  /** A service's Deployment (as a full object) and its Services, to copy them elsewhere. */
  readWorkloadManifests(options: {
    cluster: string;
    namespace: string;
    kubernetesId: string;
  }): Promise<{ deployment?: V1Deployment; services: V1Service[] }>;
  /** The ResourceQuotas of a namespace: each resource's hard limit and use. */
  readQuotaUse(options: {
    cluster: string;
    namespace: string;
  }): Promise<QuotaUse[]>;
}
