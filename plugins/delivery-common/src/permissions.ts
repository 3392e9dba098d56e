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

/** Create a flag of the service (off in every environment). */
export const deliveryFlagCreatePermission = createPermission({
  name: 'delivery.flag.create',
  attributes: { action: 'create' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/** Change a flag of the service: toggle, rollout percentage, targeting. */
export const deliveryFlagUpdatePermission = createPermission({
  name: 'delivery.flag.update',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/** Approve or reject someone else's flag change (the two-person rule in production). */
export const deliveryFlagApprovePermission = createPermission({
  name: 'delivery.flag.approve',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/** Archive a flag of the service (it is no longer served). */
export const deliveryFlagArchivePermission = createPermission({
  name: 'delivery.flag.archive',
  attributes: { action: 'delete' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/** The kill switch: turn a flag of the service off at once, in one or every environment. */
export const deliveryFlagKillPermission = createPermission({
  name: 'delivery.flag.kill',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Start a rollback of the service at any level (flag off, stable version, reroute, restore,
 * escalate). Owners and the on-call group; the engine's automated rollbacks act as `delivery`.
 */
export const deliveryRollbackPermission = createPermission({
  name: 'delivery.rollback.start',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Create an ephemeral environment of the service from a branch, and extend one (its creator, or
 * anyone allowed to create them). A `deploy/*` push creates one as the service itself.
 */
export const deliveryEnvironmentCreatePermission = createPermission({
  name: 'delivery.environment.create',
  attributes: { action: 'create' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/** Delete an ephemeral environment of the service before it expires. */
export const deliveryEnvironmentDeletePermission = createPermission({
  name: 'delivery.environment.delete',
  attributes: { action: 'delete' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Administer ephemeral environments: make one persistent (the sweep leaves it) or not, and run
 * the sweep on demand. For platform admins, not per service.
 */
export const deliveryEnvironmentAdminPermission = createPermission({
  name: 'delivery.environment.admin',
  attributes: { action: 'update' },
});

/**
 * Register the service's workload in every delivery environment: create its namespace and first
 * objects (a Deployment, Services, ConfigMaps) where they are missing. The scaffolder's
 * `delivery:environments:register` does this for a new service, as the person running the
 * template.
 */
export const deliveryWorkloadRegisterPermission = createPermission({
  name: 'delivery.workload.register',
  attributes: { action: 'create' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/** Every delivery permission, for policies and the permission integration router. */
export const deliveryPermissions = [
  deliveryDeployPermission,
  deliveryStartPermission,
  deliveryCancelPermission,
  deliveryApprovePermission,
  deliveryLockPermission,
  deliveryFlagCreatePermission,
  deliveryFlagUpdatePermission,
  deliveryFlagApprovePermission,
  deliveryFlagArchivePermission,
  deliveryFlagKillPermission,
  deliveryRollbackPermission,
  deliveryEnvironmentCreatePermission,
  deliveryEnvironmentDeletePermission,
  deliveryEnvironmentAdminPermission,
  deliveryWorkloadRegisterPermission,
];
