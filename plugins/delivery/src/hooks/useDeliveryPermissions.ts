import { useMemo } from 'react';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  deliveryApprovePermission,
  deliveryCancelPermission,
  deliveryDeployPermission,
  deliveryLockPermission,
} from '@internal/plugin-delivery-common';
import { useOnCall } from './useOnCall';

/** Whether the user may do each delivery action on the service (false while loading). */
export interface DeliveryPermissions {
  deploy: boolean;
  cancel: boolean;
  /**
   * Whether the user may abort someone else's deployment with a reason: the service's owners
   * (the cancel permission) and members of the on-call group (`delivery.onCall.group`).
   */
  abort: boolean;
  approve: boolean;
  lock: boolean;
  loading: boolean;
}

/** The user's delivery permissions on the service, as the permission policy decides them. */
export function useDeliveryPermissions(entity: Entity): DeliveryPermissions {
  const resourceRef = stringifyEntityRef(entity);
  const deploy = usePermission({
    permission: deliveryDeployPermission,
    resourceRef,
  });
  const cancel = usePermission({
    permission: deliveryCancelPermission,
    resourceRef,
  });
  const approve = usePermission({
    permission: deliveryApprovePermission,
    resourceRef,
  });
  const lock = usePermission({
    permission: deliveryLockPermission,
    resourceRef,
  });
  const onCall = useOnCall();
  const loading =
    deploy.loading ||
    cancel.loading ||
    approve.loading ||
    lock.loading ||
    onCall.loading;
  // One object per decision, so the tab's shared state changes only when a decision does.
  return useMemo(
    () => ({
      deploy: deploy.allowed,
      cancel: cancel.allowed,
      abort: cancel.allowed || onCall.value === true,
      approve: approve.allowed,
      lock: lock.allowed,
      loading,
    }),
    [
      deploy.allowed,
      cancel.allowed,
      approve.allowed,
      lock.allowed,
      onCall.value,
      loading,
    ],
  );
}
