import { ReactNode } from 'react';
import { renderHook, waitFor } from '@testing-library/react';
import { configApiRef, identityApiRef } from '@backstage/core-plugin-api';
import { mockApis, TestApiProvider } from '@backstage/test-utils';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { Entity } from '@backstage/catalog-model';
import type { AuthorizeResult } from '@backstage/plugin-permission-common';
import { entity as paymentsApi } from '../components/DeploymentsTab/__testUtils__/fixtures';
import { useFlagPermissions } from './useFlagPermissions';

const ALLOW = 'ALLOW' as AuthorizeResult.ALLOW;
const DENY = 'DENY' as AuthorizeResult.DENY;

// usePermission caches decisions per permission and resource in a module-wide SWR cache, so
// each test looks at a service of its own.
const service = (name: string): Entity => ({
  ...paymentsApi,
  metadata: { ...paymentsApi.metadata, name },
});

function renderPermissions(
  entity: Entity,
  {
    allow,
    groups = [],
    onCallGroup,
  }: { allow: string[]; groups?: string[]; onCallGroup?: string },
) {
  const resourceRef = `component:default/${entity.metadata.name}`;
  const wrapper = ({ children }: { children: ReactNode }) => (
    <TestApiProvider
      apis={[
        [
          identityApiRef,
          mockApis.identity({
            userEntityRef: 'user:default/ada',
            ownershipEntityRefs: ['user:default/ada', ...groups],
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
              allow.includes(request.permission.name)
                ? ALLOW
                : DENY,
          }),
        ],
      ]}
    >
      {children}
    </TestApiProvider>
  );
  return renderHook(() => useFlagPermissions(entity), { wrapper }).result;
}

describe('useFlagPermissions', () => {
  it('asks the policy for each flag permission on the service', async () => {
    const result = renderPermissions(service('flag-grants-api'), {
      allow: ['delivery.flag.update', 'delivery.flag.kill'],
    });
    await waitFor(() => expect(result.current.loading).toBe(false));
    expect(result.current).toEqual({
      create: false,
      update: true,
      approve: false,
      archive: false,
      kill: true,
      killAsOnCall: false,
      loading: false,
    });
  });

  it('lets the on-call group kill without owning the service, and only them', async () => {
    const onCall = renderPermissions(service('flag-oncall-api'), {
      allow: [],
      groups: ['group:default/oncall'],
      onCallGroup: 'group:default/oncall',
    });
    const other = renderPermissions(service('flag-oncall-api'), {
      allow: [],
      groups: ['group:default/team-storefront'],
      onCallGroup: 'group:default/oncall',
    });
    const unset = renderPermissions(service('flag-oncall-api'), {
      allow: [],
      groups: ['group:default/oncall'],
    });
    for (const r of [onCall, other, unset]) {
      await waitFor(() => expect(r.current.loading).toBe(false));
    }
    expect(onCall.current).toMatchObject({
      update: false,
      kill: true,
      killAsOnCall: true,
    });
    expect(other.current.kill).toBe(false);
    expect(unset.current.kill).toBe(false);
  });
});
