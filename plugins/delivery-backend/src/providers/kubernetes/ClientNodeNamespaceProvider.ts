import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
  V1Namespace,
  V1Service,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { ConflictError } from '@backstage/errors';
import { ClusterConfig } from '../../config';
import { UpstreamError } from '../UpstreamError';
import {
  ConflictRetry,
  callCluster,
  clusterConfiguration,
  statusMessage,
} from './clients';
import {
  NamespaceProvider,
  NamespaceSummary,
  QuotaUse,
} from './NamespaceProvider';

interface Clients {
  core: CoreV1Api;
  apps: AppsV1Api;
  objects: KubernetesObjectApi;
}

type Applied = KubernetesObject & {
  metadata: { name: string; namespace?: string };
};

/** Whether an API error says the namespace is being deleted. */
function isTerminating(error: unknown): boolean {
  return (
    error instanceof ApiException &&
    (error.code === 403 || error.code === 409) &&
    /terminat/i.test(statusMessage(error.body))
  );
}

/** A namespace as the provider gives it. */
function namespaceSummary(ns: V1Namespace): NamespaceSummary {
  return {
    name: ns.metadata?.name ?? '',
    labels: ns.metadata?.labels ?? {},
    annotations: ns.metadata?.annotations ?? {},
    ...(ns.status?.phase ? { phase: ns.status.phase } : {}),
  };
}

/** `Deployment payments/api`, for messages. */
function describeObject(object: Applied): string {
  return `${object.kind} ${object.metadata.namespace ?? ''}/${
    object.metadata.name
  }`;
}

/**
 * The 409 to give when a write into `object`'s namespace failed because the namespace is being
 * deleted. Every call goes through callCluster, which wraps the API's answer in an
 * UpstreamError: the namespace's state is in its cause.
 */
function terminatingConflict(
  error: unknown,
  cluster: string,
  object: Applied,
): ConflictError | undefined {
  if (
    error instanceof UpstreamError &&
    isTerminating((error as { cause?: unknown }).cause)
  ) {
    return new ConflictError(
      `Namespace ${object.metadata.namespace} in cluster '${cluster}' is being deleted`,
    );
  }
  return undefined;
}

/** {@link NamespaceProvider} over `@kubernetes/client-node`. */
export class ClientNodeNamespaceProvider implements NamespaceProvider {
  readonly #clusters = new Map<
    string,
    { config: ClusterConfig; clients: Clients }
  >();

  constructor(options: { clusters: ClusterConfig[]; timeoutMs: number }) {
    for (const cluster of options.clusters) {
      const configuration = clusterConfiguration(cluster, options.timeoutMs);
      this.#clusters.set(cluster.name, {
        config: cluster,
        clients: {
          core: new CoreV1Api(configuration),
          apps: new AppsV1Api(configuration),
          objects: new KubernetesObjectApi(configuration),
        },
      });
    }
  }

  #call<T>(
    cluster: string,
    what: string,
    fn: (clients: Clients) => Promise<T>,
    options?: { conflictIsRetry?: boolean },
  ): Promise<T | undefined> {
    return callCluster(this.#clusters.get(cluster), cluster, what, fn, options);
  }

  async applyNamespace(options: {
    cluster: string;
    name: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
  }): Promise<'created' | 'updated'> {
    const { cluster, name, labels, annotations } = options;
    for (let attempt = 0; attempt < 5; attempt++) {
      const existing = await this.readNamespace({ cluster, name });
      if (existing?.phase === 'Terminating') {
        throw new ConflictError(
          `Namespace ${name} in cluster '${cluster}' is still being deleted; try again in a minute`,
        );
      }
      try {
        if (!existing) {
          const body: V1Namespace = {
            metadata: { name, labels, annotations },
          };
          await this.#call(
            cluster,
            `create namespace ${name}`,
            c => c.core.createNamespace({ body }),
            { conflictIsRetry: true },
          );
          return 'created';
        }
        await this.patchNamespaceMetadata({
          cluster,
          name,
          labels,
          annotations,
        });
        return 'updated';
      } catch (error) {
        if (!(error instanceof ConflictRetry)) throw error;
      }
    }
    throw new UpstreamError({
      system: `kubernetes:${cluster}`,
      statusCode: 502,
      message: `Namespace ${name} in cluster '${cluster}' kept changing under five attempts in a row`,
    });
  }

  async patchNamespaceMetadata(options: {
    cluster: string;
    name: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  }): Promise<boolean> {
    const { cluster, name } = options;
    const patched = await this.#call(cluster, `label namespace ${name}`, c =>
      c.core.patchNamespace(
        {
          name,
          body: {
            metadata: {
              ...(options.labels ? { labels: options.labels } : {}),
              ...(options.annotations
                ? { annotations: options.annotations }
                : {}),
            },
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );
    return patched !== undefined;
  }

  async readNamespace(options: {
    cluster: string;
    name: string;
  }): Promise<NamespaceSummary | undefined> {
    const { cluster, name } = options;
    const ns = await this.#call(cluster, `read namespace ${name}`, c =>
      c.core.readNamespace({ name }),
    );
    return ns ? namespaceSummary(ns) : undefined;
  }

  async namespaceExists(options: {
    cluster: string;
    name: string;
  }): Promise<boolean> {
    return (await this.readNamespace(options)) !== undefined;
  }

  async deleteNamespace(options: {
    cluster: string;
    name: string;
  }): Promise<boolean> {
    const { cluster, name } = options;
    const status = await this.#call(cluster, `delete namespace ${name}`, c =>
      c.core.deleteNamespace({ name }),
    );
    return status !== undefined;
  }

  async listNamespaces(options: {
    cluster: string;
    labelSelector: string;
  }): Promise<NamespaceSummary[]> {
    const list = await this.#call(options.cluster, 'list namespaces', c =>
      c.core.listNamespace({ labelSelector: options.labelSelector }),
    );
    return (list?.items ?? []).map(namespaceSummary);
  }

  /** The object of `object`'s kind, namespace and name in the cluster; undefined when none. */
  #readObject(
    cluster: string,
    object: Applied,
  ): Promise<KubernetesObject | undefined> {
    return this.#call(cluster, `read ${describeObject(object)}`, c =>
      c.objects.read<KubernetesObject>({
        apiVersion: object.apiVersion,
        kind: object.kind,
        metadata: object.metadata,
      } as any),
    );
  }

  async applyObject(options: {
    cluster: string;
    object: Applied;
  }): Promise<'created' | 'replaced'> {
    const { cluster, object } = options;
    const what = describeObject(object);
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        const existing = await this.#readObject(cluster, object);
        if (!existing) {
          await this.#call(
            cluster,
            `create ${what}`,
            c => c.objects.create(object),
            { conflictIsRetry: true },
          );
          return 'created';
        }
        const replacement: any = {
          ...existing,
          ...object,
          metadata: {
            ...existing.metadata,
            labels: object.metadata.labels ?? {},
            annotations: object.metadata.annotations ?? {},
          },
        };
        // A Service keeps the cluster IP it was given (the field is immutable).
        if (object.kind === 'Service') {
          const spec = (existing as V1Service).spec;
          replacement.spec = {
            ...replacement.spec,
            clusterIP: spec?.clusterIP,
            clusterIPs: spec?.clusterIPs,
          };
        }
        delete replacement.status;
        await this.#call(
          cluster,
          `replace ${what}`,
          c => c.objects.replace(replacement),
          { conflictIsRetry: true },
        );
        return 'replaced';
      } catch (error) {
        const terminating = terminatingConflict(error, cluster, object);
        if (terminating) throw terminating;
        if (!(error instanceof ConflictRetry)) throw error;
      }
    }
    throw new UpstreamError({
      system: `kubernetes:${cluster}`,
      statusCode: 502,
      message: `${what} in cluster '${cluster}' kept changing under five attempts in a row`,
    });
  }

  async createObject(options: {
    cluster: string;
    object: Applied;
    dryRun?: boolean;
  }): Promise<'created' | 'exists' | 'would-create'> {
    const { cluster, object, dryRun } = options;
    if (await this.#readObject(cluster, object)) return 'exists';
    if (dryRun) return 'would-create';
    try {
      await this.#call(
        cluster,
        `create ${describeObject(object)}`,
        c => c.objects.create(object),
        { conflictIsRetry: true },
      );
      return 'created';
    } catch (error) {
      // Created by someone else between the read and the create: it exists.
      if (error instanceof ConflictRetry) return 'exists';
      throw terminatingConflict(error, cluster, object) ?? error;
    }
  }

  async readWorkloadManifests(options: {
    cluster: string;
    namespace: string;
    kubernetesId: string;
  }) {
    const { cluster, namespace, kubernetesId } = options;
    const labelSelector = `backstage.io/kubernetes-id=${kubernetesId}`;
    const [deployments, services] = await Promise.all([
      this.#call(cluster, `list deployments in ${namespace}`, c =>
        c.apps.listNamespacedDeployment({ namespace, labelSelector }),
      ),
      this.#call(cluster, `list services in ${namespace}`, c =>
        c.core.listNamespacedService({ namespace, labelSelector }),
      ),
    ]);
    const items = deployments?.items ?? [];
    const deployment =
      items.find(d => d.metadata?.name === kubernetesId) ?? items[0];
    return {
      ...(deployment ? { deployment } : {}),
      services: services?.items ?? [],
    };
  }

  async readQuotaUse(options: {
    cluster: string;
    namespace: string;
  }): Promise<QuotaUse[]> {
    const list = await this.#call(
      options.cluster,
      `list resource quotas in ${options.namespace}`,
      c => c.core.listNamespacedResourceQuota({ namespace: options.namespace }),
    );
    const uses: QuotaUse[] = [];
    for (const quota of list?.items ?? []) {
      const hard = quota.status?.hard ?? quota.spec?.hard ?? {};
      const used = quota.status?.used ?? {};
      for (const [resource, limit] of Object.entries(hard)) {
        uses.push({
          quota: quota.metadata?.name ?? '',
          resource,
          hard: String(limit),
          used: String(used[resource] ?? '0'),
        });
      }
    }
    return uses;
  }
}
