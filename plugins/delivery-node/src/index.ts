/**
 * Extension points of the delivery backend plugin, for backend modules, and the flagd sync
 * server the backend serves feature flags with.
 *
 * @packageDocumentation
 */
export type {
  AnalysisSample,
  AnalysisTarget,
  EndpointSample,
  HealthAnalysisProvider,
  HealthSample,
  HealthTarget,
  MetricsProvider,
  SeriesPoint,
} from './MetricsProvider';
export { deliveryMetricsExtensionPoint } from './extensions';
export type {
  DeliveryMetricsExtensionPoint,
  MetricsProviderFactory,
} from './extensions';
export {
  FLAGD_SYNC_PROTO,
  parseFlagSyncSelector,
  startFlagSyncServer,
} from './flagd';
export type {
  FlagConfigurationSnapshot,
  FlagSyncSelector,
  FlagSyncServer,
  FlagSyncServerOptions,
  FlagSyncSource,
} from './flagd';
