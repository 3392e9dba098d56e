import { ReactNode } from 'react';
import { act, renderHook, waitFor } from '@testing-library/react';
import { TestApiProvider } from '@backstage/test-utils';
import { DeliveryApi, deliveryApiRef } from '../api';
import {
  entity,
  ephemeralEnv,
  ephemeralResponse,
  fakeEphemeralApi,
} from '../components/EnvironmentsTab/__testUtils__/fixtures';
import {
  EPHEMERAL_ACTIVE_POLL_MS,
  EPHEMERAL_POLL_MS,
  useEphemeralEnvironments,
} from './useEphemeralEnvironments';

function wrapper(api: DeliveryApi) {
  return ({ children }: { children: ReactNode }) => (
    <TestApiProvider apis={[[deliveryApiRef, api]]}>{children}</TestApiProvider>
  );
}

describe('useEphemeralEnvironments', () => {
  afterEach(() => jest.useRealTimers());

  it('polls often while one is being created, rarely once all are settled', async () => {
    jest.useFakeTimers();
    const getEphemeralEnvironments = jest
      .fn()
      .mockResolvedValueOnce(
        ephemeralResponse({ items: [ephemeralEnv({ status: 'creating' })] }),
      )
      .mockResolvedValue(ephemeralResponse());
    const api = fakeEphemeralApi({ getEphemeralEnvironments });
    const { result } = renderHook(
      () => useEphemeralEnvironments(entity, null),
      { wrapper: wrapper(api) },
    );
    await waitFor(() =>
      expect(result.current.value?.items[0].status).toBe('creating'),
    );

    await act(async () => {
      jest.advanceTimersByTime(EPHEMERAL_ACTIVE_POLL_MS);
    });
    await waitFor(() =>
      expect(result.current.value?.items[0].status).toBe('ready'),
    );
    expect(getEphemeralEnvironments).toHaveBeenCalledTimes(2);

    // Ready: the next read waits for the idle interval.
    await act(async () => {
      jest.advanceTimersByTime(EPHEMERAL_ACTIVE_POLL_MS * 2);
    });
    expect(getEphemeralEnvironments).toHaveBeenCalledTimes(2);
    await act(async () => {
      jest.advanceTimersByTime(EPHEMERAL_POLL_MS);
    });
    await waitFor(() =>
      expect(getEphemeralEnvironments).toHaveBeenCalledTimes(3),
    );
  });

  it('reads again when the signal changes', async () => {
    const api = fakeEphemeralApi();
    const { result, rerender } = renderHook(
      ({ signal }) => useEphemeralEnvironments(entity, signal),
      {
        wrapper: wrapper(api),
        initialProps: { signal: null as unknown },
      },
    );
    await waitFor(() => expect(result.current.value).toBeDefined());
    rerender({ signal: { type: 'ephemeral', id: 'ENV-1700000000000-000001' } });
    await waitFor(() =>
      expect(api.getEphemeralEnvironments).toHaveBeenCalledTimes(2),
    );
  });
});
