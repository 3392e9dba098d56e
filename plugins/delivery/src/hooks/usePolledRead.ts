import { DependencyList, useEffect, useRef } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import useInterval from 'react-use/esm/useInterval';
import { usePageVisible } from './usePageVisible';

/**
 * A read that is repeated every `pollMs` while the page is visible (at once when it becomes
 * visible again) and whenever `deps` change (e.g. the last signal). A failed read keeps the
 * last good value of the same `identity` beside the error, so a hiccup does not empty a card.
 */
export function usePolledRead<T>(
  read: () => Promise<T>,
  deps: DependencyList,
  { pollMs, identity }: { pollMs: number; identity: string },
) {
  const visible = usePageVisible();
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const state = useAsyncRetry(read, deps);
  const { retry } = state;
  useInterval(retry, visible ? pollMs : null);

  const wasVisible = useRef(visible);
  useEffect(() => {
    if (visible && !wasVisible.current) retry();
    wasVisible.current = visible;
  }, [visible, retry]);

  const last = useRef<{ identity: string; value: T }>();
  if (state.value !== undefined)
    last.current = { identity, value: state.value };
  const value =
    state.value ??
    (last.current?.identity === identity ? last.current.value : undefined);
  return { ...state, value };
}
