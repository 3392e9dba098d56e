import { useMemo } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { CreateEphemeralEnvironmentRequest } from '@internal/plugin-delivery-common';
import { deliveryApiRef } from '../api';
import { useEphemeralContext } from './EphemeralContext';

/**
 * The ephemeral environment actions on the service in context. Each calls the backend and, once
 * it accepted, reads the environments again; a refusal rejects and refreshes nothing.
 */
export function useEphemeralActions() {
  const api = useApi(deliveryApiRef);
  const { entityRef, refresh } = useEphemeralContext();
  return useMemo(() => {
    async function thenRefresh<T>(call: () => Promise<T>): Promise<T> {
      const result = await call();
      refresh();
      return result;
    }
    return {
      create: (request: CreateEphemeralEnvironmentRequest) =>
        thenRefresh(() => api.createEphemeralEnvironment(entityRef, request)),
      extend: (id: string, minutes: number) =>
        thenRefresh(() => api.extendEphemeralEnvironment(id, minutes)),
      remove: (id: string) =>
        thenRefresh(() => api.deleteEphemeralEnvironment(id)),
      setPersistent: (id: string, persistent: boolean) =>
        thenRefresh(() => api.setEphemeralPersistence(id, persistent)),
      sweep: () => thenRefresh(() => api.sweepEphemeralEnvironments()),
    };
  }, [api, entityRef, refresh]);
}
