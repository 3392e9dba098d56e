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
  EntityEnvironmentsContent,
  EntityDoraContent,
  EntityDoraCard,
  GroupDoraCard,
  DoraPage,
} from './plugin';
export { isDeliveryAvailable } from './conditions';
export { isDoraAvailable } from './components/DoraTab/conditions';
export { doraRouteRef } from './routes';
export * from './api';
