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
  blockingLabel: string;
  callTimeoutMs: number;
  /** How often the pipeline scheduler runs on each replica. */
  tickMs: number;
  chatWebhookUrl?: string;
  /** Group paged when something needs a person now (`delivery.onCall.group`). */
  onCallGroup?: string;
  /** Owners of Jenkins folders (`delivery.jenkins.jobOwners`). */
  jenkinsJobOwners: Array<{ folder: string; owners: string[] }>;
  pipeline: {
    rolloutTimeoutMs: number;
    productionApproval: boolean;
    thresholds: { errorRate: number; p95Seconds: number };
    consecutiveBreaches: number;
    verification: Record<string, { windowMs: number; intervalMs: number }>;
    pollIntervalMs: number;
    jenkinsTimeoutMs: number;
    jenkinsEnvironment: string;
    /** How long the production approval gate waits before the deployment fails. */
    approvalTimeoutMs: number;
    leaseMs: number;
  };
}

function durationMs(config: Config, key: string, fallbackMs: number): number {
  return config.has(key)
    ? durationToMilliseconds(readDurationFromConfig(config, { key }))
    : fallbackMs;
}

/** Default health windows: canary 5 min and production 10 min (the issue's), others 1 min. */
const DEFAULT_WINDOWS: Record<string, number> = {
  canary: 5 * 60_000,
  production: 10 * 60_000,
};

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
  const timeout = durationMs(config, 'delivery.requestTimeout', 10_000);
  const verification: DeliveryConfig['pipeline']['verification'] = {};
  for (const env of environments) {
    const key = `delivery.pipeline.verification.${env.name}`;
    verification[env.name] = {
      windowMs: durationMs(
        config,
        `${key}.window`,
        DEFAULT_WINDOWS[env.name] ?? 60_000,
      ),
      intervalMs: durationMs(config, `${key}.interval`, 10_000),
    };
  }
  const chatWebhookUrl = config.getOptionalString('delivery.chat.webhookUrl');
  const onCallGroup = config.getOptionalString('delivery.onCall.group');
  return {
    blockingLabel:
      config.getOptionalString('delivery.blockingLabel') ?? 'deploy-blocker',
    callTimeoutMs: durationMs(
      config,
      'delivery.queue.callTimeout',
      15 * 60_000,
    ),
    tickMs: durationMs(config, 'delivery.pipeline.tick', 2_000),
    ...(chatWebhookUrl ? { chatWebhookUrl } : {}),
    ...(onCallGroup ? { onCallGroup } : {}),
    jenkinsJobOwners: (
      config.getOptionalConfigArray('delivery.jenkins.jobOwners') ?? []
    ).map(c => ({
      folder: c.getString('folder'),
      owners: c.getStringArray('owners'),
    })),
    pipeline: {
      rolloutTimeoutMs: durationMs(
        config,
        'delivery.pipeline.rolloutTimeout',
        10 * 60_000,
      ),
      productionApproval:
        config.getOptionalBoolean('delivery.pipeline.productionApproval') ??
        false,
      thresholds: {
        errorRate:
          config.getOptionalNumber('delivery.pipeline.thresholds.errorRate') ??
          0.01,
        p95Seconds:
          config.getOptionalNumber('delivery.pipeline.thresholds.p95Seconds') ??
          2,
      },
      consecutiveBreaches:
        config.getOptionalNumber('delivery.pipeline.consecutiveBreaches') ?? 2,
      verification,
      pollIntervalMs: durationMs(
        config,
        'delivery.pipeline.pollInterval',
        2_000,
      ),
      leaseMs: durationMs(config, 'delivery.pipeline.lease', 60_000),
      approvalTimeoutMs: durationMs(
        config,
        'delivery.pipeline.approvalTimeout',
        4 * 60 * 60_000,
      ),
      jenkinsTimeoutMs: durationMs(
        config,
        'delivery.pipeline.jenkinsTimeout',
        30 * 60_000,
      ),
      jenkinsEnvironment:
        config.getOptionalString('delivery.pipeline.jenkinsEnvironment') ??
        environments[0].name,
    },
    environments,
    clusters,
    githubHost:
      config.getOptionalString('delivery.github.host') ?? 'github.com',
    requestTimeoutMs: timeout,
    commitLimit: config.getOptionalNumber('delivery.commitLimit') ?? 20,
  };
}
