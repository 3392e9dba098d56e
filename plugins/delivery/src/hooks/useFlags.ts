import { useEffect, useRef } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { Entity, getCompoundEntityRef } from '@backstage/catalog-model';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import useInterval from 'react-use/esm/useInterval';
import { FlagsResponse } from '@internal/plugin-delivery-common';
import { deliveryApiRef } from '../api';
import { useDeliverySignal } from './useDeployments';
import { usePageVisible } from './usePageVisible';

/**
 * How often the flags are read again while the page is visible. Flags change from other
 * browsers (a colleague, an approval, the kill switch) and from deployment pipelines, and the
 * backend sends no signal for flag changes, so the tab polls.
 */
export const FLAGS_POLL_MS = 5_000;

/**
 * The service's flags, pending changes and environments: read every {@link FLAGS_POLL_MS}
 * while the page is visible, at once when it becomes visible again, and on every delivery
 * signal (a deployment's pipeline may turn its flags on). A failed read keeps the last good
 * value beside the error, so a hiccup does not empty the table.
 */
export function useFlags(entity: Entity, options: { archived?: boolean } = {}) {
  const api = useApi(deliveryApiRef);
  const ref = getCompoundEntityRef(entity);
  const archived = options.archived ?? false;
  const lastSignal = useDeliverySignal(entity);
  const visible = usePageVisible();
  const state = useAsyncRetry(
    () => api.getFlags(ref, { archived }),
    [api, ref.kind, ref.namespace, ref.name, archived, lastSignal],
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
