import { useMemo } from 'react';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  deliveryEnvironmentAdminPermission,
  deliveryEnvironmentCreatePermission,
  deliveryEnvironmentDeletePermission,
} from '@internal/plugin-delivery-common';

/**
 * Whether the user may do each ephemeral environment action (false while loading). The backend
 * also lets an environment's creator extend and delete it without `create` or `delete`: the
 * tab's rules add that per environment.
 */
export interface EphemeralPermissions {
  /** `delivery.environment.create` on the service: create from a branch, extend any. */
  create: boolean;
  /** `delivery.environment.delete` on the service: delete any. */
  delete: boolean;
  /** `delivery.environment.admin`, not per service: persistence, the sweep. */
  admin: boolean;
  loading: boolean;
}

/** The user's ephemeral environment permissions, as the permission policy decides them. */
export function useEphemeralPermissions(entity: Entity): EphemeralPermissions {
  const resourceRef = stringifyEntityRef(entity);
  const create = usePermission({
    permission: deliveryEnvironmentCreatePermission,
    resourceRef,
  });
  const remove = usePermission({
    permission: deliveryEnvironmentDeletePermission,
    resourceRef,
  });
  const admin = usePermission({
    permission: deliveryEnvironmentAdminPermission,
  });
  const loading = create.loading || remove.loading || admin.loading;
  return useMemo(
    () => ({
      create: create.allowed,
      delete: remove.allowed,
      admin: admin.allowed,
      loading,
    }),
    [create.allowed, remove.allowed, admin.allowed, loading],
  );
}
