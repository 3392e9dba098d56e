import { Config, readDurationFromConfig } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { durationToMilliseconds } from '@backstage/types';
import { MetricsProvider } from './MetricsProvider';
import { PrometheusMetricsProvider } from './PrometheusMetricsProvider';
import { SandboxMetricsProvider } from './SandboxMetricsProvider';

/**
 * The metrics provider configured under `delivery.metrics`, or undefined when that key is
 * absent. `timeoutMs` bounds each call (pass `delivery.requestTimeout`).
 */
export function createMetricsProvider(
  config: Config,
  options: { timeoutMs: number },
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
  const provider = metrics.getString('provider');
  switch (provider) {
    case 'prometheus': {
      const prometheus = metrics.getConfig('prometheus');
      return new PrometheusMetricsProvider({
        baseUrl: prometheus.getString('baseUrl'),
        queries: {
          errorRate: prometheus.getOptionalString('errorRateQuery'),
          p95: prometheus.getOptionalString('p95Query'),
          requestRate: prometheus.getOptionalString('requestRateQuery'),
        },
        windowSeconds,
        timeoutMs: options.timeoutMs,
      });
    }
    case 'sandbox':
      return new SandboxMetricsProvider({
        baseUrl: metrics.getString('sandbox.baseUrl'),
        windowSeconds,
        timeoutMs: options.timeoutMs,
      });
    default:
      throw new InputError(
        `delivery.metrics.provider must be 'prometheus' or 'sandbox', got '${provider}'`,
      );
  }
}
