export type {
  HealthSample,
  HealthTarget,
  MetricsProvider,
} from './MetricsProvider';
export {
  DEFAULT_PROMETHEUS_QUERIES,
  PrometheusMetricsProvider,
  renderQuery,
} from './PrometheusMetricsProvider';
export type {
  PrometheusMetricsProviderOptions,
  PrometheusQueries,
} from './PrometheusMetricsProvider';
export { SandboxMetricsProvider } from './SandboxMetricsProvider';
export type { SandboxMetricsProviderOptions } from './SandboxMetricsProvider';
export { createMetricsProvider } from './createMetricsProvider';
