import { Config, readDurationFromConfig } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { durationToMilliseconds } from '@backstage/types';
import {
  DEFAULT_EPHEMERAL_LIFETIME,
  EPHEMERAL_BRANCH_PREFIX,
  EphemeralLifetime,
} from '@internal/plugin-delivery-common';
import { EnvironmentConfig } from '../config';

/** Where ephemeral environments' workloads may send traffic besides DNS. */
export interface EgressRule {
  /** A namespace's name (matched by its `kubernetes.io/metadata.name` label). */
  namespace?: string;
  /** Pods in that namespace (or in the environment's own, without `namespace`). */
  podLabels?: Record<string, string>;
  /** An IP block, e.g. `10.0.0.0/8`; instead of a namespace. */
  cidr?: string;
  /** TCP ports; all when empty. */
  ports: number[];
}

/** `delivery.ephemeral`: how ephemeral environments are made, and for how long. */
export interface EphemeralConfig extends EphemeralLifetime {
  /** False when no cluster is configured for them: the routes answer 503. */
  enabled: boolean;
  /** The cluster their namespaces live in. */
  cluster: string;
  /** The environment whose workload, Services and flags a new one starts from (UAT). */
  copyFrom: EnvironmentConfig;
  branchPrefix: string;
  /** Extensions offered (the API accepts any within the maximum lifetime). */
  extensionMs: number[];
  sweepIntervalMs: number;
  /** How long before expiry the creator is reminded. */
  reminderBeforeMs: number;
  /** The ResourceQuota's `spec.hard`. */
  quota: Record<string, string>;
  /** The LimitRange's Container limits. */
  limitRange: {
    default: Record<string, string>;
    defaultRequest: Record<string, string>;
    max: Record<string, string>;
  };
  networkPolicy: {
    /** Pods allowed to reach the environment: the ingress controller's. */
    ingressFrom: {
      namespaceLabels: Record<string, string>;
      podLabels: Record<string, string>;
    };
    egress: EgressRule[];
  };
  /** Replicas of the copied workload. */
  replicas: number;
  /**
   * Link templates: `{{namespace}}`, `{{service}}` (entity name), `{{cluster}}` and `{{branch}}`
   * (URL-encoded) are replaced.
   */
  appUrlTemplate?: string;
  dashboardUrlTemplate?: string;
  /** The Jenkins build parameter carrying the branch (the sha, token and environment use the pipeline's names). */
  jenkinsBranchParameter: string;
  /** How long the build may take. */
  buildTimeoutMs: number;
}

/** The process's defaults: a small namespace, 3 h, swept every 30 min. */
export const DEFAULT_EPHEMERAL_QUOTA: Record<string, string> = {
  'requests.cpu': '2',
  'requests.memory': '4Gi',
  'limits.cpu': '4',
  'limits.memory': '8Gi',
  pods: '10',
  services: '5',
};

function duration(config: Config, key: string, fallback: number): number {
  if (!config.has(key)) return fallback;
  const ms = durationToMilliseconds(readDurationFromConfig(config, { key }));
  if (!(ms > 0)) {
    throw new InputError(`delivery.ephemeral.${key} must be longer than 0`);
  }
  return ms;
}

function numbers(config: Config | undefined, key: string) {
  const value = config?.getOptional(key);
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some(v => typeof v !== 'number')) {
    throw new InputError(
      `delivery.ephemeral: ${key} must be a list of numbers`,
    );
  }
  return value as number[];
}

function stringMap(
  config: Config | undefined,
  key: string,
  fallback: Record<string, string>,
): Record<string, string> {
  // Read whole: quota keys such as `requests.cpu` hold dots, which config paths would split.
  const raw = config?.getOptional(key);
  if (raw === undefined) return fallback;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new InputError(`delivery.ephemeral: ${key} must be a map`);
  }
  return Object.fromEntries(
    Object.entries(raw).map(([k, v]) => {
      if (typeof v !== 'string' && typeof v !== 'number') {
        throw new InputError(
          `delivery.ephemeral: ${key}.${k} must be a string or a number`,
        );
      }
      return [k, String(v)];
    }),
  );
}

/** Reads `delivery.ephemeral`. Throws on a cluster or environment that does not exist. */
export function readEphemeralConfig(
  config: Config,
  environments: EnvironmentConfig[],
  clusters: string[],
): EphemeralConfig {
  const c = config.getOptionalConfig('delivery.ephemeral');
  const copyFromName = c?.getOptionalString('copyFrom') ?? environments[0].name;
  const copyFrom = environments.find(e => e.name === copyFromName);
  if (!copyFrom) {
    throw new InputError(
      `delivery.ephemeral.copyFrom: there is no environment '${copyFromName}' in delivery.environments`,
    );
  }
  const cluster = c?.getOptionalString('cluster') ?? copyFrom.cluster;
  if (!clusters.includes(cluster)) {
    throw new InputError(
      `delivery.ephemeral.cluster: '${cluster}' is not configured under kubernetes.clusterLocatorMethods`,
    );
  }
  const ttlMs = c
    ? duration(c, 'ttl', DEFAULT_EPHEMERAL_LIFETIME.ttlMs)
    : DEFAULT_EPHEMERAL_LIFETIME.ttlMs;
  const maxLifetimeMs = c
    ? duration(c, 'maxLifetime', DEFAULT_EPHEMERAL_LIFETIME.maxLifetimeMs)
    : DEFAULT_EPHEMERAL_LIFETIME.maxLifetimeMs;
  if (ttlMs > maxLifetimeMs) {
    throw new InputError(
      'delivery.ephemeral.ttl must not be longer than delivery.ephemeral.maxLifetime',
    );
  }
  const extensionMinutes = numbers(c, 'extensionMinutes') ?? [60, 180, 480];
  if (extensionMinutes.some(m => !Number.isInteger(m) || m <= 0)) {
    throw new InputError(
      'delivery.ephemeral.extensionMinutes must list whole numbers of minutes above 0',
    );
  }
  const replicas = c?.getOptionalNumber('replicas') ?? 1;
  if (!Number.isInteger(replicas) || replicas < 1) {
    throw new InputError('delivery.ephemeral.replicas must be at least 1');
  }
  const np = c?.getOptionalConfig('networkPolicy');
  const egress: EgressRule[] = (np?.getOptionalConfigArray('egress') ?? []).map(
    (e, i) => {
      const rule: EgressRule = {
        ports: numbers(e, 'ports') ?? [],
      };
      const namespace = e.getOptionalString('namespace');
      const cidr = e.getOptionalString('cidr');
      if (namespace) rule.namespace = namespace;
      if (cidr) rule.cidr = cidr;
      if (e.has('podLabels')) rule.podLabels = stringMap(e, 'podLabels', {});
      if (!namespace && !cidr && !rule.podLabels) {
        throw new InputError(
          `delivery.ephemeral.networkPolicy.egress[${i}] needs a namespace, podLabels or a cidr`,
        );
      }
      return rule;
    },
  );
  const appUrlTemplate = c?.getOptionalString('appUrlTemplate');
  const dashboardUrlTemplate = c?.getOptionalString('dashboardUrlTemplate');
  return {
    enabled: c?.getOptionalBoolean('enabled') ?? true,
    cluster,
    copyFrom,
    branchPrefix: EPHEMERAL_BRANCH_PREFIX,
    ttlMs,
    maxLifetimeMs,
    extensionMs: extensionMinutes.map(m => m * 60_000),
    sweepIntervalMs: c ? duration(c, 'sweepInterval', 30 * 60_000) : 1_800_000,
    reminderBeforeMs: c ? duration(c, 'reminderBefore', 3_600_000) : 3_600_000,
    quota: stringMap(c, 'quota', DEFAULT_EPHEMERAL_QUOTA),
    limitRange: {
      default: stringMap(c, 'limitRange.default', {
        cpu: '500m',
        memory: '512Mi',
      }),
      defaultRequest: stringMap(c, 'limitRange.defaultRequest', {
        cpu: '100m',
        memory: '128Mi',
      }),
      max: stringMap(c, 'limitRange.max', { cpu: '2', memory: '2Gi' }),
    },
    networkPolicy: {
      ingressFrom: {
        namespaceLabels: stringMap(np, 'ingressFrom.namespaceLabels', {
          'kubernetes.io/metadata.name': 'ingress-nginx',
        }),
        podLabels: stringMap(np, 'ingressFrom.podLabels', {
          'app.kubernetes.io/name': 'ingress-nginx',
        }),
      },
      egress,
    },
    replicas,
    ...(appUrlTemplate ? { appUrlTemplate } : {}),
    ...(dashboardUrlTemplate ? { dashboardUrlTemplate } : {}),
    jenkinsBranchParameter:
      c?.getOptionalString('jenkins.branchParameter') ?? 'BRANCH',
    buildTimeoutMs: c ? duration(c, 'buildTimeout', 30 * 60_000) : 1_800_000,
  };
}

/** A link from a template (see {@link EphemeralConfig.appUrlTemplate}). */
export function renderLinkTemplate(
  template: string | undefined,
  values: {
    namespace: string;
    service: string;
    cluster: string;
    branch: string;
  },
): string | undefined {
  if (!template) return undefined;
  return template.replace(
    /\{\{\s*(namespace|service|cluster|branch)\s*\}\}/g,
    (_, key: keyof typeof values) => encodeURIComponent(values[key]),
  );
}

/** The app and dashboard links of an environment, from the configured templates. */
export function environmentLinks(
  config: Pick<EphemeralConfig, 'appUrlTemplate' | 'dashboardUrlTemplate'>,
  env: {
    namespace: string;
    entityRef: string;
    cluster: string;
    branch: string;
  },
): { appUrl?: string; dashboardUrl?: string } {
  const values = {
    namespace: env.namespace,
    service: env.entityRef.slice(env.entityRef.lastIndexOf('/') + 1),
    cluster: env.cluster,
    branch: env.branch,
  };
  const appUrl = renderLinkTemplate(config.appUrlTemplate, values);
  const dashboardUrl = renderLinkTemplate(config.dashboardUrlTemplate, values);
  return {
    ...(appUrl ? { appUrl } : {}),
    ...(dashboardUrl ? { dashboardUrl } : {}),
  };
}
