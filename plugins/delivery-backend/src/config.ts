import { Config, readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds } from '@backstage/types';
import { InputError } from '@backstage/errors';
import {
  DEFAULT_IMAGE_TEMPLATE,
  imageTemplateProblem,
} from './deployments/plan';

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

/** How an environment's health is verified after a rollout. */
export interface VerificationConfig {
  /** How long the new version is watched. */
  windowMs: number;
  /** Time between samples. */
  intervalMs: number;
  /** Samples with traffic of the new version needed before it counts as healthy. */
  minSamples: number;
  /**
   * How long past the window the stage keeps sampling while it has too few samples with
   * traffic; then it fails for lack of evidence.
   */
  evidenceTimeoutMs: number;
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
  /** How long finished runs keep their logs, and how long they are kept at all. */
  retention: { logsMs: number; runsMs: number };
  /** Branches deployments may come from (`delivery.eligibility.branches`). */
  branches: string[];
  /** The image a commit is deployed as (`delivery.images.template`). */
  imageTemplate: string;
  /** Owners of Jenkins folders (`delivery.jenkins.jobOwners`). */
  jenkinsJobOwners: Array<{ folder: string; owners: string[] }>;
  pipeline: {
    rolloutTimeoutMs: number;
    /**
     * Environments that wait for an approval by someone other than the requester before they
     * are touched (`delivery.pipeline.approvals`, plus the last one with `productionApproval`).
     */
    approvalGates: string[];
    thresholds: { errorRate: number; p95Seconds: number };
    consecutiveBreaches: number;
    verification: Record<string, VerificationConfig>;
    /** Whether environments may be verified by waiting alone when no metrics provider is set. */
    verifyWithoutMetrics: boolean;
    /** Range one health sample covers at most (`delivery.metrics.window`, 1 minute). */
    sampleWindowMs: number;
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

/**
 * Default health windows by an environment's place in the pipeline, never by its name: the last
 * one is production (10 minutes, the process's post-deployment watch), every earlier one 5
 * minutes (the process's canary watch).
 */
function defaultWindowMs(index: number, count: number): number {
  return index === count - 1 ? 10 * 60_000 : 5 * 60_000;
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

const DAY_MS = 24 * 3_600_000;

/** `delivery.retention`: logs 90 days, finished runs 400 days (a year of DORA history). */
function readRetention(config: Config): DeliveryConfig['retention'] {
  const logsMs = durationMs(config, 'delivery.retention.logs', 90 * DAY_MS);
  const runsMs = durationMs(config, 'delivery.retention.runs', 400 * DAY_MS);
  if (!(logsMs > 0) || !(runsMs > 0)) {
    throw new InputError('delivery.retention: durations must be longer than 0');
  }
  if (runsMs < logsMs) {
    throw new InputError(
      'delivery.retention.runs must be at least delivery.retention.logs: a run cannot go before its logs',
    );
  }
  return { logsMs, runsMs };
}

/** The environments with an approval gate, in pipeline order; unknown names are refused. */
function readApprovalGates(
  config: Config,
  environments: EnvironmentConfig[],
): string[] {
  const names = new Set(
    config.getOptionalStringArray('delivery.pipeline.approvals') ?? [],
  );
  for (const name of names) {
    if (!environments.some(e => e.name === name)) {
      throw new InputError(
        `delivery.pipeline.approvals: there is no environment '${name}' in delivery.environments (${environments
          .map(e => e.name)
          .join(', ')})`,
      );
    }
  }
  if (config.getOptionalBoolean('delivery.pipeline.productionApproval')) {
    names.add(environments[environments.length - 1].name);
  }
  return environments.map(e => e.name).filter(name => names.has(name));
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
  environments.forEach((env, index) => {
    const key = `delivery.pipeline.verification.${env.name}`;
    const windowMs = durationMs(
      config,
      `${key}.window`,
      defaultWindowMs(index, environments.length),
    );
    const minSamples = config.getOptionalNumber(`${key}.minSamples`) ?? 3;
    if (!Number.isInteger(minSamples) || minSamples < 1) {
      throw new InputError(
        `${key}.minSamples must be a whole number of at least 1, got ${minSamples}`,
      );
    }
    verification[env.name] = {
      windowMs,
      intervalMs: durationMs(config, `${key}.interval`, 10_000),
      minSamples,
      evidenceTimeoutMs: durationMs(config, `${key}.evidenceTimeout`, windowMs),
    };
  });
  const known = new Set(environments.map(e => e.name));
  for (const name of config
    .getOptionalConfig('delivery.pipeline.verification')
    ?.keys() ?? []) {
    if (!known.has(name)) {
      throw new InputError(
        `delivery.pipeline.verification.${name}: there is no environment '${name}' in delivery.environments (${[
          ...known,
        ].join(', ')})`,
      );
    }
  }
  const imageTemplate =
    config.getOptionalString('delivery.images.template') ??
    DEFAULT_IMAGE_TEMPLATE;
  const imageProblem = imageTemplateProblem(imageTemplate);
  if (imageProblem) {
    throw new InputError(`delivery.images.template: ${imageProblem}`);
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
    imageTemplate,
    retention: readRetention(config),
    branches: config.getOptionalStringArray(
      'delivery.eligibility.branches',
    ) ?? ['{default}'],
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
      approvalGates: readApprovalGates(config, environments),
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
      sampleWindowMs: durationMs(config, 'delivery.metrics.window', 60_000),
      verifyWithoutMetrics:
        config.getOptionalBoolean('delivery.pipeline.verifyWithoutMetrics') ??
        false,
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
