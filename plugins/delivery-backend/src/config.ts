import { Config, readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds } from '@backstage/types';
import { InputError } from '@backstage/errors';

/** One environment of the pipeline and the cluster it lives in. */
export interface EnvironmentConfig {
  name: string;
  cluster: string;
  namespace: string;
}

/** Connection details of one Kubernetes cluster, from `kubernetes.clusterLocatorMethods`. */
export interface ClusterConfig {
  name: string;
  url: string;
  token?: string;
  skipTLSVerify: boolean;
  caData?: string;
}

export interface DeliveryConfig {
  environments: EnvironmentConfig[];
  clusters: ClusterConfig[];
  githubHost: string;
  requestTimeoutMs: number;
  commitLimit: number;
}

const DEFAULT_ENVIRONMENTS = ['uat', 'canary', 'production'];

/** Reads the clusters declared with `type: config` under `kubernetes.clusterLocatorMethods`. */
export function readClusters(config: Config): ClusterConfig[] {
  const methods =
    config.getOptionalConfigArray('kubernetes.clusterLocatorMethods') ?? [];
  return methods
    .filter(method => method.getString('type') === 'config')
    .flatMap(method => method.getOptionalConfigArray('clusters') ?? [])
    .map(cluster => ({
      name: cluster.getString('name'),
      url: cluster.getString('url'),
      token: cluster.getOptionalString('serviceAccountToken'),
      skipTLSVerify: cluster.getOptionalBoolean('skipTLSVerify') ?? false,
      caData: cluster.getOptionalString('caData'),
    }));
}

/** Reads and checks the `delivery` configuration. Throws on a dangling cluster name. */
export function readDeliveryConfig(config: Config): DeliveryConfig {
  const clusters = readClusters(config);
  const environments: EnvironmentConfig[] = (
    config.getOptionalConfigArray('delivery.environments') ?? []
  ).map(env => ({
    name: env.getString('name'),
    cluster: env.getString('cluster'),
    namespace: env.getOptionalString('namespace') ?? 'default',
  }));
  if (environments.length === 0) {
    environments.push(
      ...DEFAULT_ENVIRONMENTS.map(name => ({
        name,
        cluster: name,
        namespace: 'default',
      })),
    );
  }
  for (const env of environments) {
    if (!clusters.some(c => c.name === env.cluster)) {
      throw new InputError(
        `delivery.environments: environment '${env.name}' names cluster '${env.cluster}', which is not configured under kubernetes.clusterLocatorMethods`,
      );
    }
  }
  const timeout = config.has('delivery.requestTimeout')
    ? durationToMilliseconds(
        readDurationFromConfig(config, { key: 'delivery.requestTimeout' }),
      )
    : 10_000;
  return {
    environments,
    clusters,
    githubHost:
      config.getOptionalString('delivery.github.host') ?? 'github.com',
    requestTimeoutMs: timeout,
    commitLimit: config.getOptionalNumber('delivery.commitLimit') ?? 20,
  };
}
