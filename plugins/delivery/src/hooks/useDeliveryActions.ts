import { useMemo } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { deliveryApiRef } from '../api';
import { useDeliveryContext } from './DeliveryContext';

/**
 * The delivery actions on the service in context. Each calls the backend and, once the backend
 * accepted it, reads the deployments again; a refusal rejects and refreshes nothing.
 */
export function useDeliveryActions() {
  const api = useApi(deliveryApiRef);
  const { entityRef, refresh } = useDeliveryContext();
  return useMemo(() => {
    async function thenRefresh<T>(call: () => Promise<T>): Promise<T> {
      const result = await call();
      refresh();
      return result;
    }
    return {
      requestDeployment: (commitSha: string) =>
        thenRefresh(() => api.requestDeployment(entityRef, commitSha)),
      startDeployment: (token: string) =>
        thenRefresh(() => api.startDeployment(token)),
      cancelDeployment: (token: string, reason?: string) =>
        thenRefresh(() => api.cancelDeployment(token, reason)),
      approveDeployment: (token: string) =>
        thenRefresh(() => api.approveDeployment(token)),
      lockQueue: (reason: string) =>
        thenRefresh(() => api.lockQueue(entityRef, reason)),
      unlockQueue: () => thenRefresh(() => api.unlockQueue(entityRef)),
    };
  }, [api, entityRef, refresh]);
}
