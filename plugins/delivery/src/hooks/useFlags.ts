import { useEffect, useRef } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { Entity, getCompoundEntityRef } from '@backstage/catalog-model';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import useInterval from 'react-use/esm/useInterval';
import { useSignal } from '@backstage/plugin-signals-react';
import {
  DeliveryFlagsSignal,
  FlagsResponse,
  deliveryFlagsSignalChannel,
} from '@internal/plugin-delivery-common';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { deliveryApiRef } from '../api';
import { useDeliverySignal } from './useDeployments';
import { usePageVisible } from './usePageVisible';

/**
 * How often the flags are read again while the page is visible, in case signals do not reach
 * the browser: flags change from other browsers (a colleague, an approval, the kill switch) and
 * from deployment pipelines, and the backend announces each change on the service's flags
 * signal channel.
 */
export const FLAGS_POLL_MS = 5_000;

/**
 * The service's flags, pending changes and environments: read at once on every flags signal of
 * the service and on every delivery signal, every {@link FLAGS_POLL_MS} while the page is
 * visible, and at once when it becomes visible again. A failed read keeps the last good
 * value beside the error, so a hiccup does not empty the table.
 */
export function useFlags(entity: Entity, options: { archived?: boolean } = {}) {
  const api = useApi(deliveryApiRef);
  const ref = getCompoundEntityRef(entity);
  const archived = options.archived ?? false;
  const lastSignal = useDeliverySignal(entity);
  const { lastSignal: lastFlagsSignal } = useSignal<DeliveryFlagsSignal>(
    deliveryFlagsSignalChannel(stringifyEntityRef(entity)),
  );
  const visible = usePageVisible();
  const state = useAsyncRetry(
    () => api.getFlags(ref, { archived }),
    [
      api,
      ref.kind,
      ref.namespace,
      ref.name,
      archived,
      lastSignal,
      lastFlagsSignal,
    ],
  );
  const { retry } = state;
  useInterval(retry, visible ? FLAGS_POLL_MS : null);

  const wasVisible = useRef(visible);
  useEffect(() => {
    if (visible && !wasVisible.current) retry();
    wasVisible.current = visible;
  }, [visible, retry]);

  // The last good read of this service and view, kept through a failed poll.
  const identity = `${ref.kind}:${ref.namespace}/${ref.name}?archived=${archived}`;
  const last = useRef<{ identity: string; value: FlagsResponse }>();
  if (state.value) last.current = { identity, value: state.value };
  const value =
    state.value ??
    (last.current?.identity === identity ? last.current.value : undefined);
  return { ...state, value };
}
