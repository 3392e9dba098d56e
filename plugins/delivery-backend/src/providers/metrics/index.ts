export type {
  HealthSample,
  HealthTarget,
  MetricsProvider,
  MetricsProviderFactory,
} from '@internal/plugin-delivery-node';
export {
  DEFAULT_PROMETHEUS_QUERIES,
  defaultPrometheusQueries,
  PrometheusMetricsProvider,
  renderQuery,
} from './PrometheusMetricsProvider';
export type {
  PrometheusMetricsProviderOptions,
  PrometheusQueries,
} from './PrometheusMetricsProvider';
export { SandboxMetricsProvider } from './SandboxMetricsProvider';
export type { SandboxMetricsProviderOptions } from './SandboxMetricsProvider';
export {
  BUILT_IN_METRICS_PROVIDERS,
  createMetricsProvider,
  prometheusMetricsProviderFactory,
  sandboxMetricsProviderFactory,
} from './createMetricsProvider';
