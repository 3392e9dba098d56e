/**
 * Scaffolder actions of the delivery suite: a new service's feature flags, off everywhere, and
 * its workload in every delivery environment.
 *
 * @packageDocumentation
 */
export { scaffolderModuleDelivery as default } from './module';
export { createDeliveryFlagAction } from './actions/createFlag';
export { createDeliveryEnvironmentsAction } from './actions/registerEnvironments';
export { createValidateOwnerAction } from './actions/validateOwner';
export type { DeliveryApiOptions } from './deliveryApi';
