import { ReactNode } from 'react';
import { act, renderHook, waitFor } from '@testing-library/react';
import { TestApiProvider } from '@backstage/test-utils';
import { signalApiRef, SignalApi } from '@backstage/plugin-signals-react';
import { DeliveryApi, deliveryApiRef } from '../api';
import {
  DEPLOYMENTS_POLL_MS,
  useDeployment,
  useDeployments,
} from './useDeployments';
import {
  deployment,
  deploymentsResponse,
  entity,
  fakeApi,
  fakeSignals,
} from '../components/DeploymentsTab/__testUtils__/fixtures';

function wrapper(api: DeliveryApi, signalApi?: SignalApi) {
  return ({ children }: { children: ReactNode }) =>
    signalApi ? (
      <TestApiProvider
        apis={[
          [deliveryApiRef, api],
          [signalApiRef, signalApi],
        ]}
      >
        {children}
      </TestApiProvider>
    ) : (
      <TestApiProvider apis={[[deliveryApiRef, api]]}>
        {children}
      </TestApiProvider>
    );
}

describe('useDeployments', () => {
  afterEach(() => jest.useRealTimers());

  it('reads the deployments again when a delivery signal arrives', async () => {
    const api = fakeApi();
    const signals = fakeSignals();
    const { result } = renderHook(() => useDeployments(entity), {
      wrapper: wrapper(api, signals.api),
    });
    await waitFor(() => expect(result.current.value).toBeDefined());
    expect(api.getDeployments).toHaveBeenCalledTimes(1);

    const onMessage = signals.subscribers.get(
      'delivery:component:default/payments-api',
    );
    expect(onMessage).toBeDefined();
    act(() => onMessage!({ token: 'DEP-1-0', status: 'running' }));
    await waitFor(() => expect(api.getDeployments).toHaveBeenCalledTimes(2));
    expect(result.current.lastSignal).toEqual({
      token: 'DEP-1-0',
      status: 'running',
    });
  });

  it('polls while something is in the queue, and only then', async () => {
    jest.useFakeTimers();
    let queue = [deployment({ status: 'running' })];
    const api = fakeApi({
      getDeployments: jest.fn(async () => deploymentsResponse({ queue })),
    });
    const { result } = renderHook(() => useDeployments(entity), {
      wrapper: wrapper(api),
    });
    await waitFor(() => expect(result.current.value?.queue).toHaveLength(1));
    expect(api.getDeployments).toHaveBeenCalledTimes(1);

    queue = [];
    await act(async () => {
      jest.advanceTimersByTime(DEPLOYMENTS_POLL_MS);
    });
    await waitFor(() => expect(result.current.value?.queue).toHaveLength(0));
    expect(api.getDeployments).toHaveBeenCalledTimes(2);

    await act(async () => {
      jest.advanceTimersByTime(DEPLOYMENTS_POLL_MS * 4);
    });
    expect(api.getDeployments).toHaveBeenCalledTimes(2);
  });
});

describe('useDeployment', () => {
  it('reads the deployment again when the refresh key changes', async () => {
    const api = fakeApi();
    const { result, rerender } = renderHook(
      ({ key }: { key: number }) => useDeployment('DEP-1-0', key),
      { wrapper: wrapper(api), initialProps: { key: 1 } },
    );
    await waitFor(() => expect(result.current.value?.token).toBe('DEP-1-0'));
    rerender({ key: 2 });
    await waitFor(() => expect(api.getDeployment).toHaveBeenCalledTimes(2));
    expect(api.getDeployment).toHaveBeenCalledWith('DEP-1-0');
  });
});
