import { useApi } from '@backstage/core-plugin-api';
import {
  Entity,
  getCompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { useSignal } from '@backstage/plugin-signals-react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import useInterval from 'react-use/esm/useInterval';
import {
  DeliverySignal,
  deliverySignalChannel,
} from '@internal/plugin-delivery-common';
import { deliveryApiRef } from '../api';

/** How often the queue is read again while something is queued, called or running. */
export const DEPLOYMENTS_POLL_MS = 5_000;

/** The last signal the backend sent about the service's deployments, if signals are available. */
export function useDeliverySignal(entity: Entity): DeliverySignal | null {
  const { lastSignal } = useSignal<DeliverySignal>(
    deliverySignalChannel(stringifyEntityRef(entity)),
  );
  return lastSignal;
}

/**
 * The service's queue, history and lock. Read again on every delivery signal, and every
 * {@link DEPLOYMENTS_POLL_MS} while the queue is not empty (signals may be unavailable).
 */
export function useDeployments(entity: Entity) {
  const api = useApi(deliveryApiRef);
  const ref = getCompoundEntityRef(entity);
  const lastSignal = useDeliverySignal(entity);
  const state = useAsyncRetry(
    () => api.getDeployments(ref),
    [api, ref.kind, ref.namespace, ref.name, lastSignal],
  );
  const active = (state.value?.queue.length ?? 0) > 0;
  useInterval(state.retry, active ? DEPLOYMENTS_POLL_MS : null);
  return { ...state, lastSignal };
}

/**
 * One deployment with its stages and logs; read again whenever `refreshKey` changes (the
 * queue's latest read, so signals and polling reach it too).
 */
export function useDeployment(token: string, refreshKey?: unknown) {
  const api = useApi(deliveryApiRef);
  return useAsyncRetry(
    () => api.getDeployment(token),
    [api, token, refreshKey],
  );
}
