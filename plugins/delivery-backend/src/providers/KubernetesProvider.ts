import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  ServerConfiguration,
  V1ConfigMap,
  createConfiguration,
  V1Deployment,
} from '@kubernetes/client-node';
import {
  WORKLOAD_ANNOTATION_COMMIT_SHA,
  WORKLOAD_ANNOTATION_DEPLOYED_AT,
} from '@internal/plugin-delivery-common';
import { ClusterConfig } from '../config';
import {
  UpstreamError,
  describeNetworkError,
  isUnreachable,
} from './UpstreamError';

/** A write met a stale resourceVersion (409): read again and retry. */
class ConflictRetry extends Error {}

interface ClusterClients {
  config: ClusterConfig;
  apps: AppsV1Api;
  core: CoreV1Api;
}

/**
 * Reads and changes workloads in the configured clusters through `@kubernetes/client-node`.
 * Every call is bounded by the request timeout; failures name the cluster.
 */
export class KubernetesProvider {
  readonly #clusters = new Map<string, ClusterClients>();

  constructor(options: { clusters: ClusterConfig[]; timeoutMs: number }) {
    for (const cluster of options.clusters) {
      const kc = new KubeConfig();
      kc.loadFromOptions({
        clusters: [
          {
            name: cluster.name,
            server: cluster.url,
            skipTLSVerify: cluster.skipTLSVerify,
            caData: cluster.caData,
          },
        ],
        users: [{ name: 'delivery', token: cluster.token }],
        contexts: [
          { name: cluster.name, cluster: cluster.name, user: 'delivery' },
        ],
        currentContext: cluster.name,
      });
      // Like kc.makeApiClient, plus a middleware that bounds every call by the timeout.
      const configuration = createConfiguration({
        baseServer: new ServerConfiguration(cluster.url, {}),
        authMethods: { default: kc },
        promiseMiddleware: [
          {
            pre: async context => {
              context.setSignal(AbortSignal.timeout(options.timeoutMs));
              return context;
            },
            post: async response => response,
          },
        ],
      });
      this.#clusters.set(cluster.name, {
        config: cluster,
        apps: new AppsV1Api(configuration),
        core: new CoreV1Api(configuration),
      });
    }
  }

  /** The Deployment labelled `backstage.io/kubernetes-id=<id>` in a namespace, if any. */
  async findDeployment(
    cluster: string,
    namespace: string,
    kubernetesId: string,
  ): Promise<V1Deployment | undefined> {
    const list = await this.#call(
      cluster,
      `list deployments in ${namespace}`,
      c =>
        c.apps.listNamespacedDeployment({
          namespace,
          labelSelector: `backstage.io/kubernetes-id=${kubernetesId}`,
        }),
    );
    const items = list?.items ?? [];
    return items.find(d => d.metadata?.name === kubernetesId) ?? items[0];
  }

  /** A ConfigMap, or undefined when it does not exist. */
  async getConfigMap(
    cluster: string,
    namespace: string,
    name: string,
  ): Promise<V1ConfigMap | undefined> {
    return this.#call(cluster, `read configmap ${namespace}/${name}`, c =>
      c.core.readNamespacedConfigMap({ name, namespace }),
    );
  }

  /** A Deployment by name, or undefined when it does not exist. */
  async getDeployment(
    cluster: string,
    namespace: string,
    name: string,
  ): Promise<V1Deployment | undefined> {
    return this.#call(cluster, `read deployment ${namespace}/${name}`, c =>
      c.apps.readNamespacedDeployment({ name, namespace }),
    );
  }

  /**
   * Points a Deployment's main container (named like the Deployment, else the first) at `image`
   * and records the commit and deploy time in its annotations. Idempotent: returns false when it
   * already runs that image and commit. Retries on a resourceVersion conflict.
   */
  async setWorkloadVersion(
    cluster: string,
    namespace: string,
    name: string,
    version: {
      image: string;
      commitSha: string;
      deployedAt: string;
      annotations?: Record<string, string>;
    },
  ): Promise<boolean> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const deployment = await this.getDeployment(cluster, namespace, name);
      if (!deployment) {
        throw new UpstreamError({
          system: `kubernetes:${cluster}`,
          statusCode: 502,
          message: `Kubernetes cluster '${cluster}' has no Deployment ${namespace}/${name}`,
        });
      }
      const containers = deployment.spec?.template?.spec?.containers ?? [];
      const main = containers.find(c => c.name === name) ?? containers[0];
      const annotations = deployment.metadata?.annotations ?? {};
      if (!main) {
        throw new UpstreamError({
          system: `kubernetes:${cluster}`,
          statusCode: 502,
          message: `Deployment ${namespace}/${name} in cluster '${cluster}' has no containers`,
        });
      }
      if (
        main.image === version.image &&
        annotations[WORKLOAD_ANNOTATION_COMMIT_SHA] === version.commitSha
      ) {
        return false;
      }
      main.image = version.image;
      deployment.metadata = {
        ...deployment.metadata,
        annotations: {
          ...annotations,
          ...version.annotations,
          [WORKLOAD_ANNOTATION_COMMIT_SHA]: version.commitSha,
          [WORKLOAD_ANNOTATION_DEPLOYED_AT]: version.deployedAt,
        },
      };
      try {
        await this.#write(
          cluster,
          `update deployment ${namespace}/${name}`,
          c =>
            c.apps.replaceNamespacedDeployment({
              name,
              namespace,
              body: deployment,
            }),
        );
        return true;
      } catch (error) {
        if (!(error instanceof ConflictRetry)) throw error;
      }
    }
    throw new UpstreamError({
      system: `kubernetes:${cluster}`,
      statusCode: 502,
      message: `Deployment ${namespace}/${name} in cluster '${cluster}' kept changing under five updates in a row`,
    });
  }

  /** Creates or replaces a ConfigMap's data and labels. */
  async upsertConfigMap(
    cluster: string,
    namespace: string,
    name: string,
    content: { data: Record<string, string>; labels?: Record<string, string> },
  ): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const existing = await this.getConfigMap(cluster, namespace, name);
      try {
        if (!existing) {
          await this.#write(
            cluster,
            `create configmap ${namespace}/${name}`,
            c =>
              c.core.createNamespacedConfigMap({
                namespace,
                body: {
                  metadata: { name, namespace, labels: content.labels },
                  data: content.data,
                },
              }),
          );
        } else {
          existing.data = content.data;
          existing.metadata = {
            ...existing.metadata,
            labels: { ...existing.metadata?.labels, ...content.labels },
          };
          await this.#write(
            cluster,
            `replace configmap ${namespace}/${name}`,
            c =>
              c.core.replaceNamespacedConfigMap({
                name,
                namespace,
                body: existing,
              }),
          );
        }
        return;
      } catch (error) {
        if (!(error instanceof ConflictRetry)) throw error;
      }
    }
    throw new UpstreamError({
      system: `kubernetes:${cluster}`,
      statusCode: 502,
      message: `ConfigMap ${namespace}/${name} in cluster '${cluster}' kept changing under five updates in a row`,
    });
  }

  /** A write: 409 (stale resourceVersion, or created meanwhile) becomes a retry signal. */
  async #write<T>(
    clusterName: string,
    what: string,
    fn: (clients: ClusterClients) => Promise<T>,
  ): Promise<T | undefined> {
    return this.#call(clusterName, what, fn, { conflictIsRetry: true });
  }

  /** Runs one API call; 404 becomes undefined, other failures an {@link UpstreamError}. */
  async #call<T>(
    clusterName: string,
    what: string,
    fn: (clients: ClusterClients) => Promise<T>,
    options?: { conflictIsRetry?: boolean },
  ): Promise<T | undefined> {
    const clients = this.#clusters.get(clusterName);
    if (!clients) {
      throw new UpstreamError({
        system: `kubernetes:${clusterName}`,
        statusCode: 502,
        message: `Kubernetes cluster '${clusterName}' is not configured`,
      });
    }
    try {
      return await fn(clients);
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) {
        return undefined;
      }
      if (
        error instanceof ApiException &&
        error.code === 409 &&
        options?.conflictIsRetry
      ) {
        throw new ConflictRetry(String(error.body));
      }
      const where = `Kubernetes cluster '${clusterName}' (${clients.config.url})`;
      if (error instanceof ApiException) {
        throw new UpstreamError({
          system: `kubernetes:${clusterName}`,
          statusCode: 502,
          message: `${where} failed to ${what}: HTTP ${
            error.code
          } ${statusMessage(error.body)}`,
          cause: error,
        });
      }
      if (isUnreachable(error)) {
        throw new UpstreamError({
          system: `kubernetes:${clusterName}`,
          statusCode: 503,
          message: `${where} is unreachable: ${describeNetworkError(error)}`,
          cause: error,
        });
      }
      throw error;
    }
  }
}

function statusMessage(body: unknown): string {
  try {
    const parsed = typeof body === 'string' ? JSON.parse(body) : body;
    return (parsed as any)?.message ?? String(body);
  } catch {
    return String(body);
  }
}
