import { createPermission } from '@backstage/plugin-permission-common';
import { RESOURCE_TYPE_CATALOG_ENTITY } from '@backstage/plugin-catalog-common/alpha';

/** Request a deployment of a service (the Deploy button). */
export const deliveryDeployPermission = createPermission({
  name: 'delivery.deployment.request',
  attributes: { action: 'create' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/** Start a called deployment; only its requester may, and only with this permission. */
export const deliveryStartPermission = createPermission({
  name: 'delivery.deployment.start',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/** Cancel a deployment of the service; only its requester may, and only with this permission. */
export const deliveryCancelPermission = createPermission({
  name: 'delivery.deployment.cancel',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/** Approve a deployment (regulated services, production gate). */
export const deliveryApprovePermission = createPermission({
  name: 'delivery.deployment.approve',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/** Lock and unlock the service's deployment queue. */
export const deliveryLockPermission = createPermission({
  name: 'delivery.queue.lock',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/** Every delivery permission, for policies and the permission integration router. */
export const deliveryPermissions = [
  deliveryDeployPermission,
  deliveryStartPermission,
  deliveryCancelPermission,
  deliveryApprovePermission,
  deliveryLockPermission,
];
