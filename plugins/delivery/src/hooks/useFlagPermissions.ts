import { useMemo } from 'react';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  deliveryFlagApprovePermission,
  deliveryFlagArchivePermission,
  deliveryFlagCreatePermission,
  deliveryFlagKillPermission,
  deliveryFlagUpdatePermission,
} from '@internal/plugin-delivery-common';
import { useOnCall } from './useOnCall';

/** Whether the user may do each flag action on the service (false while loading). */
export interface FlagPermissions {
  create: boolean;
  /** Toggle, rollout percentage and targeting. */
  update: boolean;
  /** Approve or reject someone else's pending change. */
  approve: boolean;
  archive: boolean;
  /**
   * The kill switch: the kill permission (the service's owners, by the portal's policy) or
   * membership of the on-call group (`delivery.onCall.group`).
   */
  kill: boolean;
  /** Whether `kill` comes from the on-call group alone (said in the kill dialog). */
  killAsOnCall: boolean;
  loading: boolean;
}

/** The user's flag permissions on the service, as the permission policy decides them. */
export function useFlagPermissions(entity: Entity): FlagPermissions {
  const resourceRef = stringifyEntityRef(entity);
  const create = usePermission({
    permission: deliveryFlagCreatePermission,
    resourceRef,
  });
  const update = usePermission({
    permission: deliveryFlagUpdatePermission,
    resourceRef,
  });
  const approve = usePermission({
    permission: deliveryFlagApprovePermission,
    resourceRef,
  });
  const archive = usePermission({
    permission: deliveryFlagArchivePermission,
    resourceRef,
  });
  const kill = usePermission({
    permission: deliveryFlagKillPermission,
    resourceRef,
  });
  const onCall = useOnCall();
  const loading =
    create.loading ||
    update.loading ||
    approve.loading ||
    archive.loading ||
    kill.loading ||
    onCall.loading;
  const isOnCall = onCall.value === true;
  return useMemo(
    () => ({
      create: create.allowed,
      update: update.allowed,
      approve: approve.allowed,
      archive: archive.allowed,
      kill: kill.allowed || isOnCall,
      killAsOnCall: !kill.allowed && isOnCall,
      loading,
    }),
    [
      create.allowed,
      update.allowed,
      approve.allowed,
      archive.allowed,
      kill.allowed,
      isOnCall,
      loading,
    ],
  );
}
