/**
 * The delivery frontend plugin: tabs on service pages. This entry point serves apps on the
 * legacy frontend system; new-system apps import `@internal/plugin-delivery/alpha`.
 *
 * @packageDocumentation
 */
export {
  deliveryPlugin,
  EntityDeploymentsContent,
  EntityFlagsContent,
  EntityRollbackContent,
} from './plugin';
export { isDeliveryAvailable } from './conditions';
export * from './api';
