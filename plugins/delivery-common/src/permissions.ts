import { createPermission } from '@backstage/plugin-permission-common';
import { RESOURCE_TYPE_CATALOG_ENTITY } from '@backstage/plugin-catalog-common/alpha';

/**
 * Request a deployment of a service (Deploy button). Granted to the service's owners by the
 * portal's policy.
 */
export const deliveryDeployPermission = createPermission({
  name: 'delivery.deployment.request',
  attributes: { action: 'create' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/** Every delivery permission, for policies and the permission integration router. */
export const deliveryPermissions = [deliveryDeployPermission];
