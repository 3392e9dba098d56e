import { ReactNode } from 'react';
import { renderHook } from '@testing-library/react';
import { TestApiProvider } from '@backstage/test-utils';
import { getCompoundEntityRef } from '@backstage/catalog-model';
import { DeliveryApi, deliveryApiRef } from '../api';
import {
  entity,
  fakeFlagsApi,
  flagPermissions,
  flagsResponse,
} from '../components/FlagsTab/__testUtils__/fixtures';
import { FlagsContext, FlagsContextValue } from './FlagsContext';
import { useFlagActions } from './useFlagActions';

type Actions = ReturnType<typeof useFlagActions>;

const ref = { kind: 'Component', namespace: 'default', name: 'payments-api' };

function renderActions(api: DeliveryApi, refresh: () => void) {
  const value: FlagsContextValue = {
    entity,
    entityRef: getCompoundEntityRef(entity),
    user: 'user:default/ada',
    permissions: flagPermissions(),
    flags: { value: flagsResponse(), loading: false },
    showArchived: false,
    setShowArchived: jest.fn(),
    refresh,
  };
  const wrapper = ({ children }: { children: ReactNode }) => (
    <TestApiProvider apis={[[deliveryApiRef, api]]}>
      <FlagsContext.Provider value={value}>{children}</FlagsContext.Provider>
    </TestApiProvider>
  );
  return renderHook(() => useFlagActions(), { wrapper }).result.current;
}

const cases: Array<
  [
    keyof Actions & keyof DeliveryApi,
    (a: Actions) => Promise<unknown>,
    unknown[],
  ]
> = [
  [
    'createFlag',
    a => a.createFlag({ key: 'dark-mode', type: 'boolean' }),
    [ref, { key: 'dark-mode', type: 'boolean' }],
  ],
  [
    'changeFlag',
    a => a.changeFlag('dark-mode', 'uat', { action: 'rollout', percent: 10 }),
    [ref, 'dark-mode', 'uat', { action: 'rollout', percent: 10 }],
  ],
  [
    'killFlag',
    a => a.killFlag('dark-mode', { reason: 'INC-42' }),
    [ref, 'dark-mode', { reason: 'INC-42' }],
  ],
  [
    'archiveFlag',
    a => a.archiveFlag('dark-mode', 'Shipped'),
    [ref, 'dark-mode', 'Shipped'],
  ],
  [
    'approveFlagChange',
    a => a.approveFlagChange('chg-1'),
    ['chg-1', undefined],
  ],
  [
    'rejectFlagChange',
    a => a.rejectFlagChange('chg-1', 'Not now'),
    ['chg-1', 'Not now'],
  ],
];

describe('useFlagActions', () => {
  it.each(cases)(
    '%s calls the backend for the service in context, then reads the flags again',
    async (method, run, args) => {
      const refresh = jest.fn();
      const answer = { answeredBy: method };
      const call = jest.fn(async () => {
        expect(refresh).not.toHaveBeenCalled();
        return answer;
      });
      const actions = renderActions(fakeFlagsApi({ [method]: call }), refresh);
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
        fakeFlagsApi({ [method]: jest.fn(() => Promise.reject(refused)) }),
        refresh,
      );
      await expect(run(actions)).rejects.toBe(refused);
      expect(refresh).not.toHaveBeenCalled();
    },
  );
});
