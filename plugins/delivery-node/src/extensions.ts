import { createExtensionPoint } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { MetricsProvider } from './MetricsProvider';

/**
 * Makes a {@link MetricsProvider} from configuration. The delivery backend picks the factory
 * whose `type` is `delivery.metrics.provider`.
 *
 * @public
 */
export interface MetricsProviderFactory {
  /** The value of `delivery.metrics.provider` that selects it, e.g. `prometheus`. */
  type: string;
  create(options: {
    /** The `delivery.metrics` configuration. */
    config: Config;
    /** Default window of a health sample, from `delivery.metrics.window`. */
    windowSeconds: number;
    /** How long one call may take (`delivery.requestTimeout`). */
    timeoutMs: number;
  }): MetricsProvider;
}

/**
 * Lets backend modules add metrics providers beside the built-in ones (`prometheus`,
 * `sandbox`), or replace one by adding a factory of the same type.
 *
 * @public
 */
export interface DeliveryMetricsExtensionPoint {
  addMetricsProviderFactory(factory: MetricsProviderFactory): void;
}

/**
 * The extension point for metrics providers of the delivery backend.
 *
 * @public
 */
export const deliveryMetricsExtensionPoint =
  createExtensionPoint<DeliveryMetricsExtensionPoint>({
    id: 'delivery.metrics',
  });
