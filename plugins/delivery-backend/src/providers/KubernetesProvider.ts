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
import { ClusterConfig } from '../config';
import {
  UpstreamError,
  describeNetworkError,
  isUnreachable,
} from './UpstreamError';

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

  /** Runs one API call; 404 becomes undefined, other failures an {@link UpstreamError}. */
  async #call<T>(
    clusterName: string,
    what: string,
    fn: (clients: ClusterClients) => Promise<T>,
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
