import { ReactNode } from 'react';
import { act, renderHook, waitFor } from '@testing-library/react';
import { TestApiProvider } from '@backstage/test-utils';
import { signalApiRef } from '@backstage/plugin-signals-react';
import { DeliveryApi, deliveryApiRef } from '../api';
import {
  entity,
  fakeSignals,
} from '../components/DeploymentsTab/__testUtils__/fixtures';
import {
  fakeFlagsApi,
  flagsResponse,
  newCheckout,
} from '../components/FlagsTab/__testUtils__/fixtures';
import { FLAGS_POLL_MS, useFlags } from './useFlags';

function wrapper(api: DeliveryApi, signals = fakeSignals()) {
  return ({ children }: { children: ReactNode }) => (
    <TestApiProvider
      apis={[
        [deliveryApiRef, api],
        [signalApiRef, signals.api],
      ]}
    >
      {children}
    </TestApiProvider>
  );
}

function setVisibility(state: 'visible' | 'hidden') {
  Object.defineProperty(document, 'visibilityState', {
    configurable: true,
    get: () => state,
  });
  document.dispatchEvent(new Event('visibilitychange'));
}

describe('useFlags', () => {
  afterEach(() => {
    jest.useRealTimers();
    // Back to jsdom's own visibilityState, without an event to a hook that is still mounted.
    delete (document as unknown as { visibilityState?: string })
      .visibilityState;
  });

  it('polls while the page is visible, pauses while hidden, and reads at once on return', async () => {
    jest.useFakeTimers();
    const api = fakeFlagsApi();
    const { result } = renderHook(() => useFlags(entity), {
      wrapper: wrapper(api),
    });
    await waitFor(() => expect(result.current.value).toBeDefined());
    expect(api.getFlags).toHaveBeenCalledTimes(1);

    await act(async () => {
      jest.advanceTimersByTime(FLAGS_POLL_MS);
    });
    await waitFor(() => expect(api.getFlags).toHaveBeenCalledTimes(2));

    act(() => setVisibility('hidden'));
    await act(async () => {
      jest.advanceTimersByTime(FLAGS_POLL_MS * 5);
    });
    expect(api.getFlags).toHaveBeenCalledTimes(2);

    act(() => setVisibility('visible'));
    await waitFor(() => expect(api.getFlags).toHaveBeenCalledTimes(3));
  });

  it('keeps the last flags through a failed read, beside the error', async () => {
    jest.useFakeTimers();
    const first = flagsResponse({ flags: [newCheckout()] });
    const getFlags = jest
      .fn()
      .mockResolvedValueOnce(first)
      .mockRejectedValueOnce(new Error('backend restarting'));
    const api = fakeFlagsApi({ getFlags });
    const { result } = renderHook(() => useFlags(entity), {
      wrapper: wrapper(api),
    });
    await waitFor(() => expect(result.current.value).toEqual(first));
    await act(async () => {
      jest.advanceTimersByTime(FLAGS_POLL_MS);
    });
    await waitFor(() =>
      expect(result.current.error?.message).toBe('backend restarting'),
    );
    expect(result.current.value).toEqual(first);
  });

  it('reads again on a delivery signal, since a pipeline turns its flags on', async () => {
    const api = fakeFlagsApi();
    const signals = fakeSignals();
    const { result } = renderHook(() => useFlags(entity), {
      wrapper: wrapper(api, signals),
    });
    await waitFor(() => expect(result.current.value).toBeDefined());
    const onMessage = signals.subscribers.get(
      'delivery:component:default/payments-api',
    );
    expect(onMessage).toBeDefined();
    act(() => onMessage!({ token: 'DEP-1-0', status: 'running' }));
    await waitFor(() => expect(api.getFlags).toHaveBeenCalledTimes(2));
  });

  it('reads again at once when the service’s flags change elsewhere (its flags signal)', async () => {
    const api = fakeFlagsApi();
    const signals = fakeSignals();
    const { result } = renderHook(() => useFlags(entity), {
      wrapper: wrapper(api, signals),
    });
    await waitFor(() => expect(result.current.value).toBeDefined());
    const onMessage = signals.subscribers.get(
      'delivery-flags:component:default/payments-api',
    );
    expect(onMessage).toBeDefined();
    act(() =>
      onMessage!({
        entityRef: 'component:default/payments-api',
        environments: ['production'],
      }),
    );
    await waitFor(() => expect(api.getFlags).toHaveBeenCalledTimes(2));
  });

  it('asks for archived flags only when told', async () => {
    const api = fakeFlagsApi();
    const { rerender } = renderHook(
      ({ archived }: { archived: boolean }) => useFlags(entity, { archived }),
      { wrapper: wrapper(api), initialProps: { archived: false } },
    );
    await waitFor(() =>
      expect(api.getFlags).toHaveBeenLastCalledWith(expect.anything(), {
        archived: false,
      }),
    );
    rerender({ archived: true });
    await waitFor(() =>
      expect(api.getFlags).toHaveBeenLastCalledWith(
        { kind: 'Component', namespace: 'default', name: 'payments-api' },
        { archived: true },
      ),
    );
  });
});
