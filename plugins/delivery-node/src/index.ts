/**
 * Extension points of the delivery backend plugin, for backend modules.
 *
 * @packageDocumentation
 */
export type {
  HealthSample,
  HealthTarget,
  MetricsProvider,
} from './MetricsProvider';
export { deliveryMetricsExtensionPoint } from './extensions';
export type {
  DeliveryMetricsExtensionPoint,
  MetricsProviderFactory,
} from './extensions';
