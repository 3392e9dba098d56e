import { Config, readDurationFromConfig } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { durationToMilliseconds } from '@backstage/types';
import {
  MetricsProvider,
  MetricsProviderFactory,
} from '@internal/plugin-delivery-node';
import {
  PrometheusMetricsProvider,
  PrometheusQueries,
} from './PrometheusMetricsProvider';
import { SandboxMetricsProvider } from './SandboxMetricsProvider';

/** The analysis queries configurable under `delivery.metrics.prometheus.queries`. */
const ANALYSIS_QUERIES = [
  'endpointRequests',
  'endpointErrors',
  'up',
  'cpu',
  'memory',
  'restarts',
  'business',
] as const;

/**
 * Prometheus (PromQL templates from `delivery.metrics.prometheus`; the business metric's
 * baseline window from `delivery.metrics.baseline`, default 1 hour).
 */
export const prometheusMetricsProviderFactory: MetricsProviderFactory = {
  type: 'prometheus',
  create({ config, windowSeconds, timeoutMs }) {
    const prometheus = config.getConfig('prometheus');
    const queries: Partial<PrometheusQueries> = {
      errorRate: prometheus.getOptionalString('errorRateQuery'),
      p95: prometheus.getOptionalString('p95Query'),
      requestRate: prometheus.getOptionalString('requestRateQuery'),
    };
    for (const name of ANALYSIS_QUERIES) {
      queries[name] = prometheus.getOptionalString(`queries.${name}`);
    }
    let baselineSeconds: number | undefined;
    if (config.has('baseline')) {
      baselineSeconds =
        durationToMilliseconds(
          readDurationFromConfig(config, { key: 'baseline' }),
        ) / 1000;
      if (!(baselineSeconds > 0)) {
        throw new InputError('delivery.metrics.baseline must be longer than 0');
      }
    }
    return new PrometheusMetricsProvider({
      baseUrl: prometheus.getString('baseUrl'),
      queries,
      endpointLabel: prometheus.getOptionalString('endpointLabel'),
      windowSeconds,
      baselineSeconds,
      timeoutMs,
    });
  },
};

/** The sandbox's simulated traffic (`delivery.metrics.sandbox.baseUrl`). */
export const sandboxMetricsProviderFactory: MetricsProviderFactory = {
  type: 'sandbox',
  create({ config, windowSeconds, timeoutMs }) {
    return new SandboxMetricsProvider({
      baseUrl: config.getString('sandbox.baseUrl'),
      windowSeconds,
      timeoutMs,
    });
  },
};

/** The factories the plugin brings; modules add more through the extension point. */
export const BUILT_IN_METRICS_PROVIDERS = [
  prometheusMetricsProviderFactory,
  sandboxMetricsProviderFactory,
];

/**
 * The metrics provider configured under `delivery.metrics`, made by the factory whose type is
 * `delivery.metrics.provider`; undefined when that key is absent. `timeoutMs` bounds each call.
 */
export function createMetricsProvider(
  config: Config,
  options: {
    timeoutMs: number;
    factories?: Iterable<MetricsProviderFactory>;
  },
): MetricsProvider | undefined {
  const metrics = config.getOptionalConfig('delivery.metrics');
  if (!metrics) return undefined;
  const windowSeconds = metrics.has('window')
    ? durationToMilliseconds(
        readDurationFromConfig(metrics, { key: 'window' }),
      ) / 1000
    : 60;
  if (!(windowSeconds > 0)) {
    throw new InputError('delivery.metrics.window must be longer than 0');
  }
  const factories = new Map<string, MetricsProviderFactory>();
  for (const factory of options.factories ?? BUILT_IN_METRICS_PROVIDERS) {
    factories.set(factory.type, factory);
  }
  const type = metrics.getString('provider');
  const factory = factories.get(type);
  if (!factory) {
    throw new InputError(
      `delivery.metrics.provider is '${type}', but no metrics provider of that type is installed (known: ${[
        ...factories.keys(),
      ]
        .map(t => `'${t}'`)
        .join(', ')})`,
    );
  }
  return factory.create({
    config: metrics,
    windowSeconds,
    timeoutMs: options.timeoutMs,
  });
}
