import { ReactNode } from 'react';
import { renderHook } from '@testing-library/react';
import { TestApiProvider } from '@backstage/test-utils';
import { getCompoundEntityRef } from '@backstage/catalog-model';
import { DeliveryApi, deliveryApiRef } from '../api';
import {
  deploymentsResponse,
  entity,
  environments,
  fakeApi,
  permissions,
  sha,
} from '../components/DeploymentsTab/__testUtils__/fixtures';
import { DeliveryContext, DeliveryContextValue } from './DeliveryContext';
import { useDeliveryActions } from './useDeliveryActions';

type Actions = ReturnType<typeof useDeliveryActions>;

const ref = { kind: 'Component', namespace: 'default', name: 'payments-api' };

function renderActions(api: DeliveryApi, refresh: () => void) {
  const value: DeliveryContextValue = {
    entity,
    entityRef: getCompoundEntityRef(entity),
    user: 'user:default/ada',
    permissions: permissions(),
    deployments: { value: deploymentsResponse(), loading: false },
    environments: { value: environments, loading: false, retry: jest.fn() },
    refresh,
  };
  const wrapper = ({ children }: { children: ReactNode }) => (
    <TestApiProvider apis={[[deliveryApiRef, api]]}>
      <DeliveryContext.Provider value={value}>
        {children}
      </DeliveryContext.Provider>
    </TestApiProvider>
  );
  return renderHook(() => useDeliveryActions(), { wrapper }).result.current;
}

const cases: Array<
  [
    keyof Actions & keyof DeliveryApi,
    (a: Actions) => Promise<unknown>,
    unknown[],
  ]
> = [
  ['requestDeployment', a => a.requestDeployment(sha('d')), [ref, sha('d')]],
  ['startDeployment', a => a.startDeployment('DEP-1-0'), ['DEP-1-0']],
  [
    'cancelDeployment',
    a => a.cancelDeployment('DEP-1-0', 'Freeze'),
    ['DEP-1-0', 'Freeze'],
  ],
  ['approveDeployment', a => a.approveDeployment('DEP-1-0'), ['DEP-1-0']],
  ['lockQueue', a => a.lockQueue('Incident INC-42'), [ref, 'Incident INC-42']],
  ['unlockQueue', a => a.unlockQueue(), [ref]],
];

describe('useDeliveryActions', () => {
  it.each(cases)(
    '%s calls the backend for the service in context, then reads the deployments again',
    async (method, run, args) => {
      const refresh = jest.fn();
      const answer = { answeredBy: method };
      const call = jest.fn(async () => {
        // the backend has not answered yet: nothing to read again
        expect(refresh).not.toHaveBeenCalled();
        return answer;
      });
      const actions = renderActions(fakeApi({ [method]: call }), refresh);

      await expect(run(actions)).resolves.toBe(answer);
      expect(call).toHaveBeenCalledWith(...args);
      expect(refresh).toHaveBeenCalledTimes(1);
    },
  );

  it.each(cases)(
    '%s rejects with the backend error and reads nothing again',
    async (method, run) => {
      const refresh = jest.fn();
      const refused = new Error(`${method} refused`);
      const actions = renderActions(
        fakeApi({ [method]: jest.fn(() => Promise.reject(refused)) }),
        refresh,
      );

      await expect(run(actions)).rejects.toBe(refused);
      expect(refresh).not.toHaveBeenCalled();
    },
  );
});
