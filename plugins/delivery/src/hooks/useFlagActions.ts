import { useMemo } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import {
  CreateFlagRequest,
  FlagEnvironmentChangeRequest,
  KillFlagRequest,
} from '@internal/plugin-delivery-common';
import { deliveryApiRef } from '../api';
import { useFlagsContext } from './FlagsContext';

/**
 * The flag actions on the service in context. Each calls the backend and, once the backend
 * accepted it (applied or pending), reads the flags again; a refusal rejects and refreshes
 * nothing.
 */
export function useFlagActions() {
  const api = useApi(deliveryApiRef);
  const { entityRef, refresh } = useFlagsContext();
  return useMemo(() => {
    async function thenRefresh<T>(call: () => Promise<T>): Promise<T> {
      const result = await call();
      refresh();
      return result;
    }
    return {
      createFlag: (request: CreateFlagRequest) =>
        thenRefresh(() => api.createFlag(entityRef, request)),
      changeFlag: (
        key: string,
        environment: string,
        change: FlagEnvironmentChangeRequest,
      ) =>
        thenRefresh(() => api.changeFlag(entityRef, key, environment, change)),
      killFlag: (key: string, request: KillFlagRequest) =>
        thenRefresh(() => api.killFlag(entityRef, key, request)),
      archiveFlag: (key: string, reason?: string) =>
        thenRefresh(() => api.archiveFlag(entityRef, key, reason)),
      approveFlagChange: (id: string, reason?: string) =>
        thenRefresh(() => api.approveFlagChange(id, reason)),
      rejectFlagChange: (id: string, reason?: string) =>
        thenRefresh(() => api.rejectFlagChange(id, reason)),
    };
  }, [api, entityRef, refresh]);
}
