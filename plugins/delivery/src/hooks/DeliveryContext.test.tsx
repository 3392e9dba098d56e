import { ReactNode } from 'react';
import { act, renderHook, waitFor } from '@testing-library/react';
import { configApiRef, identityApiRef } from '@backstage/core-plugin-api';
import { mockApis, TestApiProvider } from '@backstage/test-utils';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { signalApiRef } from '@backstage/plugin-signals-react';
import { Entity } from '@backstage/catalog-model';
import type { AuthorizeResult } from '@backstage/plugin-permission-common';
import { DeliveryApi, deliveryApiRef } from '../api';
import {
  GRACE,
  deployment,
  deploymentsResponse,
  entity as paymentsApi,
  fakeApi,
  fakeSignals,
} from '../components/DeploymentsTab/__testUtils__/fixtures';
import { DeliveryProvider, useDeliveryContext } from './DeliveryContext';

const ALLOW = 'ALLOW' as AuthorizeResult.ALLOW;
const DENY = 'DENY' as AuthorizeResult.DENY;

// usePermission caches decisions per permission and resource in a module-wide SWR cache, so
// each test looks at a service of its own.
const service = (name: string): Entity => ({
  ...paymentsApi,
  metadata: { ...paymentsApi.metadata, name },
});

function renderContext(
  api: DeliveryApi,
  entity: Entity,
  {
    user = GRACE,
    allow,
    groups = [],
    onCallGroup,
  }: {
    user?: string;
    /** Groups the user belongs to. */
    groups?: string[];
    /** `delivery.onCall.group`. */
    onCallGroup?: string;
    /** Permissions granted on `entity` (on no other resource); all when omitted. */
    allow?: string[];
  } = {},
) {
  const resourceRef = `component:default/${entity.metadata.name}`;
  const signals = fakeSignals();
  const wrapper = ({ children }: { children: ReactNode }) => (
    <TestApiProvider
      apis={[
        [deliveryApiRef, api],
        [
          identityApiRef,
          mockApis.identity({
            userEntityRef: user,
            ownershipEntityRefs: [user, ...groups],
          }),
        ],
        [
          configApiRef,
          mockApis.config({
            data: onCallGroup
              ? { delivery: { onCall: { group: onCallGroup } } }
              : {},
          }),
        ],
        [
          permissionApiRef,
          mockApis.permission({
            authorize: request =>
              request.resourceRef === resourceRef &&
              (!allow || allow.includes(request.permission.name))
                ? ALLOW
                : DENY,
          }),
        ],
        [signalApiRef, signals.api],
      ]}
    >
      <DeliveryProvider entity={entity}>{children}</DeliveryProvider>
    </TestApiProvider>
  );
  const { result } = renderHook(() => useDeliveryContext(), { wrapper });
  return { result, signals };
}

describe('DeliveryProvider and useDeliveryContext', () => {
  it('share the service, the signed-in user and what the policy grants on this service', async () => {
    const entity = service('context-grants-api');
    const { result } = renderContext(fakeApi(), entity, {
      allow: ['delivery.deployment.request', 'delivery.queue.lock'],
    });
    await waitFor(() => expect(result.current.permissions.loading).toBe(false));
    await waitFor(() => expect(result.current.user).toBe(GRACE));
    expect(result.current.entity).toBe(entity);
    expect(result.current.entityRef).toEqual({
      kind: 'Component',
      namespace: 'default',
      name: 'context-grants-api',
    });
    expect(result.current.permissions).toEqual({
      deploy: true,
      cancel: false,
      abort: false,
      approve: false,
      lock: true,
      loading: false,
    });
  });

  it("let the on-call group abort others' deployments without owning the service", async () => {
    const onCall = renderContext(fakeApi(), service('context-oncall-api'), {
      allow: [],
      groups: ['group:default/oncall'],
      onCallGroup: 'group:default/oncall',
    }).result;
    const other = renderContext(fakeApi(), service('context-oncall-api'), {
      allow: [],
      groups: ['group:default/team-storefront'],
      onCallGroup: 'group:default/oncall',
    }).result;
    const unset = renderContext(fakeApi(), service('context-oncall-api'), {
      allow: [],
      groups: ['group:default/oncall'],
    }).result;
    for (const r of [onCall, other, unset]) {
      await waitFor(() => expect(r.current.permissions.loading).toBe(false));
    }
    expect(onCall.current.permissions).toMatchObject({
      cancel: false,
      abort: true,
    });
    expect(other.current.permissions.abort).toBe(false);
    expect(unset.current.permissions.abort).toBe(false);
  });

  it('share the deployments and environments the tab read once', async () => {
    const queue = [deployment({ token: 'DEP-5-0', status: 'running' })];
    const api = fakeApi({
      getDeployments: jest.fn(async () => deploymentsResponse({ queue })),
    });
    const { result } = renderContext(api, service('context-reads-api'));
    await waitFor(() =>
      expect(result.current.deployments.value?.queue).toEqual(queue),
    );
    await waitFor(() =>
      expect(result.current.environments.value?.environments).toHaveLength(2),
    );
    expect(api.getDeployments).toHaveBeenCalledTimes(1);
    expect(api.getEnvironments).toHaveBeenCalledTimes(1);
    expect(api.getEnvironments).toHaveBeenCalledWith({
      kind: 'Component',
      namespace: 'default',
      name: 'context-reads-api',
    });
  });

  it('refresh() reads the deployments again and shares what came back', async () => {
    let history = [deployment({ token: 'DEP-1-0', status: 'succeeded' })];
    const api = fakeApi({
      getDeployments: jest.fn(async () => deploymentsResponse({ history })),
    });
    const { result } = renderContext(api, service('context-refresh-api'));
    await waitFor(() =>
      expect(result.current.deployments.value?.history).toEqual(history),
    );
    await waitFor(() =>
      expect(result.current.environments.loading).toBe(false),
    );

    history = [deployment({ token: 'DEP-2-0', status: 'cancelled' })];
    act(() => result.current.refresh());
    await waitFor(() =>
      expect(result.current.deployments.value?.history).toEqual(history),
    );
    expect(api.getDeployments).toHaveBeenCalledTimes(2);
    // environments follow signals, not actions
    expect(api.getEnvironments).toHaveBeenCalledTimes(1);
  });

  it('read the environments again when a delivery signal says a stage moved', async () => {
    const api = fakeApi();
    const { result, signals } = renderContext(
      api,
      service('context-signal-api'),
    );
    await waitFor(() =>
      expect(result.current.environments.value).toBeDefined(),
    );
    expect(api.getEnvironments).toHaveBeenCalledTimes(1);

    const onMessage = signals.subscribers.get(
      'delivery:component:default/context-signal-api',
    );
    expect(onMessage).toBeDefined();
    act(() => onMessage!({ token: 'DEP-1-0', status: 'running' }));
    await waitFor(() => expect(api.getEnvironments).toHaveBeenCalledTimes(2));
    await waitFor(() => expect(api.getDeployments).toHaveBeenCalledTimes(2));
  });

  it('useDeliveryContext says where it belongs when used outside the tab', () => {
    // React logs the error it rethrows; keep the test output quiet.
    const logged = jest.spyOn(console, 'error').mockImplementation(() => {});
    expect(() => renderHook(() => useDeliveryContext())).toThrow(
      'useDeliveryContext must be used inside a DeliveryProvider',
    );
    logged.mockRestore();
  });
});
