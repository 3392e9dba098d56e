import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  AuthorizeResult,
  PolicyDecision,
  isPermission,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import {
  catalogConditions,
  createCatalogConditionalDecision,
} from '@backstage/plugin-catalog-backend/alpha';
import {
  catalogEntityDeletePermission,
  catalogLocationCreatePermission,
  catalogLocationDeletePermission,
} from '@backstage/plugin-catalog-common/alpha';
import {
  deliveryEnvironmentAdminPermission,
  deliveryPermissions,
} from '@internal/plugin-delivery-common';

/**
 * The portal's policy: everyone reads everything; changing a service (delivery actions,
 * unregistering it from the catalog) is for the service's owners, that is the groups the user
 * belongs to and the user itself; registering and removing catalog locations is for the admins
 * (`delivery.admins`), since what an entity claims (its owner, its workload, its Jenkins job)
 * is only as trustworthy as who may register it; so is administering ephemeral environments
 * (making one persistent, sweeping on demand). Registering locations is also allowed to the
 * service creators (`delivery.serviceCreators`): the scaffolder's `catalog:register` does it, as
 * the person running a template, for the service the template has just made.
 */
export class DeliveryPermissionPolicy implements PermissionPolicy {
  constructor(
    private readonly options: {
      /** Entity refs of the admin groups or users. */
      admins: string[];
      /**
       * Entity refs of the groups or users who may also register catalog locations, which is
       * what the scaffolder's `catalog:register` does for a new service (`delivery.serviceCreators`).
       */
      serviceCreators?: string[];
    } = { admins: [] },
  ) {}

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    const claims = user?.info.ownershipEntityRefs ?? [];
    const isAdmin = claims.some(ref => this.options.admins.includes(ref));
    if (isPermission(request.permission, catalogLocationCreatePermission)) {
      const creators = this.options.serviceCreators ?? [];
      return {
        result:
          isAdmin || claims.some(ref => creators.includes(ref))
            ? AuthorizeResult.ALLOW
            : AuthorizeResult.DENY,
      };
    }
    if (
      isPermission(request.permission, catalogLocationDeletePermission) ||
      isPermission(request.permission, deliveryEnvironmentAdminPermission)
    ) {
      return { result: isAdmin ? AuthorizeResult.ALLOW : AuthorizeResult.DENY };
    }
    const ownerOnly =
      deliveryPermissions.some(p => isPermission(request.permission, p)) ||
      isPermission(request.permission, catalogEntityDeletePermission);
    if (!ownerOnly) {
      return { result: AuthorizeResult.ALLOW };
    }
    if (claims.length === 0) {
      return { result: AuthorizeResult.DENY };
    }
    return createCatalogConditionalDecision(
      request.permission as any,
      catalogConditions.isEntityOwner({ claims }),
    );
  }
}

/** Installs {@link DeliveryPermissionPolicy} into the permission plugin. */
export default createBackendModule({
  pluginId: 'permission',
  moduleId: 'delivery-policy',
  register(env) {
    env.registerInit({
      deps: { policy: policyExtensionPoint, config: coreServices.rootConfig },
      async init({ policy, config }) {
        policy.setPolicy(
          new DeliveryPermissionPolicy({
            admins: config.getOptionalStringArray('delivery.admins') ?? [],
            serviceCreators:
              config.getOptionalStringArray('delivery.serviceCreators') ?? [],
          }),
        );
      },
    });
  },
});
