import { useMemo } from 'react';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { usePermission } from '@backstage/plugin-permission-react';
import { deliveryRollbackPermission } from '@internal/plugin-delivery-common';
import { useOnCall } from './useOnCall';

/** Whether the user may start a rollback of the service (false while loading). */
export interface RollbackPermissions {
  /**
   * The rollback permission (the service's owners, by the portal's policy) or membership of
   * the on-call group (`delivery.onCall.group`), as the backend decides it too.
   */
  start: boolean;
  /** Whether `start` comes from the on-call group alone (said in the dialog). */
  startAsOnCall: boolean;
  loading: boolean;
}

/** The user's rollback permission on the service, as the permission policy decides it. */
export function useRollbackPermissions(entity: Entity): RollbackPermissions {
  const start = usePermission({
    permission: deliveryRollbackPermission,
    resourceRef: stringifyEntityRef(entity),
  });
  const onCall = useOnCall();
  const isOnCall = onCall.value === true;
  const loading = start.loading || onCall.loading;
  return useMemo(
    () => ({
      start: start.allowed || isOnCall,
      startAsOnCall: !start.allowed && isOnCall,
      loading,
    }),
    [start.allowed, isOnCall, loading],
  );
}
