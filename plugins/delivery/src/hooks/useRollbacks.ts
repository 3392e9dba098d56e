import { useRef } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import {
  Entity,
  getCompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { useSignal } from '@backstage/plugin-signals-react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import {
  DeliveryRollbackSignal,
  HealthResponse,
  deliveryRollbackSignalChannel,
} from '@internal/plugin-delivery-common';
import { deliveryApiRef } from '../api';
import { usePolledRead } from './usePolledRead';

/**
 * How often the rollbacks are read again while the page is visible, in case signals do not
 * reach the browser: the running rollback's stages move on their own, and the engine may start
 * one at any time.
 */
export const ROLLBACKS_POLL_MS = 5_000;

/** How often the health of each environment, the incidents and the decisions are read again. */
export const HEALTH_POLL_MS = 15_000;

/** The last signal the backend sent about the service's rollbacks, decisions or incidents. */
export function useRollbackSignal(
  entity: Entity,
): DeliveryRollbackSignal | null {
  const { lastSignal } = useSignal<DeliveryRollbackSignal>(
    deliveryRollbackSignalChannel(stringifyEntityRef(entity)),
  );
  return lastSignal;
}

function identityOf(entity: Entity) {
  return stringifyEntityRef(entity);
}

/** The service's rollbacks, newest first: at once on every rollback signal, and polled. */
export function useRollbackList(entity: Entity, refreshKey: unknown) {
  const api = useApi(deliveryApiRef);
  const ref = getCompoundEntityRef(entity);
  return usePolledRead(
    () => api.getRollbacks(ref),
    [api, ref.kind, ref.namespace, ref.name, refreshKey],
    { pollMs: ROLLBACKS_POLL_MS, identity: identityOf(entity) },
  );
}

/** The service's incidents, newest first. */
export function useIncidents(entity: Entity, refreshKey: unknown) {
  const api = useApi(deliveryApiRef);
  const ref = getCompoundEntityRef(entity);
  return usePolledRead(
    () => api.getIncidents(ref),
    [api, ref.kind, ref.namespace, ref.name, refreshKey],
    { pollMs: HEALTH_POLL_MS, identity: identityOf(entity) },
  );
}

/** The engine's recent decisions in every environment, newest first. */
export function useRollbackDecisions(entity: Entity, refreshKey: unknown) {
  const api = useApi(deliveryApiRef);
  const ref = getCompoundEntityRef(entity);
  return usePolledRead(
    () => api.getRollbackDecisions(ref),
    [api, ref.kind, ref.namespace, ref.name, refreshKey],
    { pollMs: HEALTH_POLL_MS, identity: identityOf(entity) },
  );
}

/** The health read of one environment: its figures, or why they could not be read. */
export interface EnvironmentHealth {
  value?: HealthResponse;
  error?: Error;
}

/**
 * The health of each environment, read side by side: one environment whose metrics cannot be
 * read (a 503 or 502) has its error and does not hide the others. A failed read of an
 * environment keeps its last good figures beside the error.
 */
export function useHealth(
  entity: Entity,
  environments: string[] | undefined,
  refreshKey: unknown,
) {
  const api = useApi(deliveryApiRef);
  const ref = getCompoundEntityRef(entity);
  const key = environments?.join(',');
  const state = usePolledRead<Record<string, EnvironmentHealth>>(
    async () => {
      if (!environments) return {};
      const reads = await Promise.allSettled(
        environments.map(environment => api.getServiceHealth(ref, environment)),
      );
      return Object.fromEntries(
        reads.map((read, i) => [
          environments[i],
          read.status === 'fulfilled'
            ? { value: read.value }
            : { error: toError(read.reason) },
        ]),
      );
    },
    [api, ref.kind, ref.namespace, ref.name, key, refreshKey],
    { pollMs: HEALTH_POLL_MS, identity: `${identityOf(entity)}:${key}` },
  );
  const identity = identityOf(entity);
  const lastGood = useRef<{
    identity: string;
    values: Record<string, HealthResponse>;
  }>({ identity, values: {} });
  if (lastGood.current.identity !== identity) {
    lastGood.current = { identity, values: {} };
  }
  const byEnvironment: Record<string, EnvironmentHealth> = {};
  for (const [environment, read] of Object.entries(state.value ?? {})) {
    if (read.value) lastGood.current.values[environment] = read.value;
    byEnvironment[environment] = {
      value: read.value ?? lastGood.current.values[environment],
      error: read.error,
    };
  }
  return { ...state, value: state.value ? byEnvironment : undefined };
}

/** One rollback with its stages and logs, read again whenever `refreshKey` changes. */
export function useRollback(id: string | undefined, refreshKey: unknown) {
  const api = useApi(deliveryApiRef);
  return useAsyncRetry(
    async () => (id ? api.getRollback(id) : undefined),
    [api, id, refreshKey],
  );
}

function toError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}
