import {
  ApiException,
  Configuration,
  KubeConfig,
  ServerConfiguration,
  createConfiguration,
} from '@kubernetes/client-node';
import { ClusterConfig } from '../../config';
import {
  UpstreamError,
  describeNetworkError,
  isUnreachable,
} from '../UpstreamError';

/** A write met a stale resourceVersion or an object created meanwhile (409): read again and retry. */
export class ConflictRetry extends Error {}

/**
 * The client configuration of one cluster: like `kc.makeApiClient`, plus a middleware that
 * bounds every call by the request timeout.
 */
export function clusterConfiguration(
  cluster: ClusterConfig,
  timeoutMs: number,
): Configuration {
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
    contexts: [{ name: cluster.name, cluster: cluster.name, user: 'delivery' }],
    currentContext: cluster.name,
  });
  return createConfiguration({
    baseServer: new ServerConfiguration(cluster.url, {}),
    authMethods: { default: kc },
    promiseMiddleware: [
      {
        pre: async context => {
          context.setSignal(AbortSignal.timeout(timeoutMs));
          return context;
        },
        post: async response => response,
      },
    ],
  });
}

/** The `message` of a Kubernetes `Status` body, else the body. */
export function statusMessage(body: unknown): string {
  try {
    const parsed = typeof body === 'string' ? JSON.parse(body) : body;
    return (parsed as any)?.message ?? String(body);
  } catch {
    return String(body);
  }
}

/**
 * Runs one API call against a cluster: 404 becomes undefined, 409 a {@link ConflictRetry} when
 * asked, other failures an {@link UpstreamError} naming the cluster (502, or 503 unreachable).
 */
export async function callCluster<C, T>(
  cluster: { config: ClusterConfig; clients: C } | undefined,
  clusterName: string,
  what: string,
  fn: (clients: C) => Promise<T>,
  options?: { conflictIsRetry?: boolean },
): Promise<T | undefined> {
  if (!cluster) {
    throw new UpstreamError({
      system: `kubernetes:${clusterName}`,
      statusCode: 502,
      message: `Kubernetes cluster '${clusterName}' is not configured`,
    });
  }
  try {
    return await fn(cluster.clients);
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
    const where = `Kubernetes cluster '${clusterName}' (${cluster.config.url})`;
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
