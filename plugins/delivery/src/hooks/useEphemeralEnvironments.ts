import { useEffect, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import {
  Entity,
  getCompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { useSignal } from '@backstage/plugin-signals-react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import {
  DeliveryEnvironmentsSignal,
  deliveryEnvironmentsSignalChannel,
  EphemeralEnvironment,
} from '@internal/plugin-delivery-common';
import { deliveryApiRef } from '../api';
import { usePolledRead } from './usePolledRead';

/**
 * How often the environments are read again while one of them is being created, updated or
 * deleted and the page is visible, in case signals do not reach the browser: its stages move on
 * their own.
 */
export const EPHEMERAL_ACTIVE_POLL_MS = 5_000;

/**
 * How often they are read otherwise. The countdowns tick in the browser; what changes on its
 * own is the quota use and the sweep's deletions, and each read asks the cluster for the quota.
 */
export const EPHEMERAL_POLL_MS = 30_000;

/** Whether an environment is on its way somewhere: its stages or its deletion run. */
export function isInProgress(env: Pick<EphemeralEnvironment, 'status'>) {
  return (
    env.status === 'creating' ||
    env.status === 'updating' ||
    env.status === 'deleting'
  );
}

/**
 * The last signal the backend sent about the service's ephemeral environments, on its
 * environments channel (`delivery-environments:<entity ref>`).
 */
export function useEphemeralSignal(
  entity: Entity,
): DeliveryEnvironmentsSignal | null {
  const { lastSignal } = useSignal<DeliveryEnvironmentsSignal>(
    deliveryEnvironmentsSignalChannel(stringifyEntityRef(entity)),
  );
  return lastSignal;
}

/**
 * The service's ephemeral environments and their settings: read at once on every signal
 * (`refreshKey`), every {@link EPHEMERAL_ACTIVE_POLL_MS} while one is in progress and every
 * {@link EPHEMERAL_POLL_MS} otherwise, while the page is visible. A failed read keeps the last
 * good list beside the error.
 */
export function useEphemeralEnvironments(entity: Entity, refreshKey: unknown) {
  const api = useApi(deliveryApiRef);
  const ref = getCompoundEntityRef(entity);
  const [active, setActive] = useState(false);
  const state = usePolledRead(
    () => api.getEphemeralEnvironments(ref),
    [api, ref.kind, ref.namespace, ref.name, refreshKey],
    {
      pollMs: active ? EPHEMERAL_ACTIVE_POLL_MS : EPHEMERAL_POLL_MS,
      identity: stringifyEntityRef(entity),
    },
  );
  const nowActive = state.value?.items.some(isInProgress) ?? false;
  useEffect(() => setActive(nowActive), [nowActive]);
  return state;
}

/**
 * One environment with the stages and logs of its latest creation or update, read again
 * whenever `refreshKey` changes (the list's latest read, so signals and polling reach it).
 */
export function useEphemeralEnvironment(
  id: string | undefined,
  refreshKey: unknown,
) {
  const api = useApi(deliveryApiRef);
  return useAsyncRetry(
    async () => (id ? api.getEphemeralEnvironment(id) : undefined),
    [api, id, refreshKey],
  );
}
