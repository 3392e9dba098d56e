import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  catalogEntityDeletePermission,
  catalogEntityReadPermission,
  catalogLocationCreatePermission,
  catalogLocationDeletePermission,
  catalogLocationReadPermission,
} from '@backstage/plugin-catalog-common/alpha';
import {
  deliveryDeployPermission,
  deliveryEnvironmentAdminPermission,
  deliveryPermissions,
} from '@internal/plugin-delivery-common';
import { DeliveryPermissionPolicy } from './permissionPolicy';

const member = {
  identity: {
    type: 'user' as const,
    userEntityRef: 'user:default/guest',
    ownershipEntityRefs: ['user:default/guest', 'group:default/team-payments'],
  },
  info: {
    userEntityRef: 'user:default/guest',
    ownershipEntityRefs: ['user:default/guest', 'group:default/team-payments'],
  },
  token: 'token',
  credentials: {} as any,
};

describe('DeliveryPermissionPolicy', () => {
  const policy = new DeliveryPermissionPolicy({
    admins: ['group:default/platform'],
    serviceCreators: ['group:default/team-storefront'],
  });
  const admin = {
    ...member,
    info: {
      userEntityRef: 'user:default/margaret',
      ownershipEntityRefs: ['user:default/margaret', 'group:default/platform'],
    },
  };

  it('lets admins and service creators register catalog locations, and no one else', async () => {
    const permission = catalogLocationCreatePermission;
    const creator = {
      ...member,
      info: {
        userEntityRef: 'user:default/linus',
        ownershipEntityRefs: [
          'user:default/linus',
          'group:default/team-storefront',
        ],
      },
    };
    expect(await policy.handle({ permission }, creator as any)).toEqual({
      result: AuthorizeResult.ALLOW,
    });
    expect(await policy.handle({ permission }, admin as any)).toEqual({
      result: AuthorizeResult.ALLOW,
    });
    expect(await policy.handle({ permission }, member as any)).toEqual({
      result: AuthorizeResult.DENY,
    });
    expect(await policy.handle({ permission }, undefined)).toEqual({
      result: AuthorizeResult.DENY,
    });
    // Removing locations stays with the admins.
    expect(
      await policy.handle(
        { permission: catalogLocationDeletePermission },
        creator as any,
      ),
    ).toEqual({ result: AuthorizeResult.DENY });
  });

  it.each([
    ['removing catalog locations', catalogLocationDeletePermission],
    [
      'administering ephemeral environments',
      deliveryEnvironmentAdminPermission,
    ],
  ])('limits %s to admins', async (_what, permission) => {
    expect(await policy.handle({ permission }, member as any)).toEqual({
      result: AuthorizeResult.DENY,
    });
    expect(await policy.handle({ permission }, undefined)).toEqual({
      result: AuthorizeResult.DENY,
    });
    expect(await policy.handle({ permission }, admin as any)).toEqual({
      result: AuthorizeResult.ALLOW,
    });
  });

  it('lets everyone read catalog locations', async () => {
    expect(
      await policy.handle(
        { permission: catalogLocationReadPermission },
        member as any,
      ),
    ).toEqual({ result: AuthorizeResult.ALLOW });
  });

  it('lets everyone read the catalog', async () => {
    expect(
      await policy.handle(
        { permission: catalogEntityReadPermission },
        member as any,
      ),
    ).toEqual({
      result: AuthorizeResult.ALLOW,
    });
  });

  it('grants delivery actions only to owners of the service', async () => {
    const decision = await policy.handle(
      { permission: deliveryDeployPermission },
      member as any,
    );
    expect(decision).toEqual({
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'catalog',
      resourceType: 'catalog-entity',
      conditions: {
        rule: 'IS_ENTITY_OWNER',
        resourceType: 'catalog-entity',
        params: {
          claims: ['user:default/guest', 'group:default/team-payments'],
        },
      },
    });
  });

  it.each(
    deliveryPermissions
      .filter(p => p.type === 'resource')
      .map(p => [p.name, p]),
  )('makes %s conditional on owning the service', async (_name, permission) => {
    const decision = await policy.handle({ permission }, member as any);
    expect(decision).toMatchObject({
      result: AuthorizeResult.CONDITIONAL,
      conditions: { rule: 'IS_ENTITY_OWNER' },
    });
  });

  it('limits unregistering entities to their owners', async () => {
    const decision = await policy.handle(
      { permission: catalogEntityDeletePermission },
      member as any,
    );
    expect(decision.result).toBe(AuthorizeResult.CONDITIONAL);
  });

  it('denies owner-only actions to callers without ownership claims', async () => {
    expect(
      await policy.handle({ permission: deliveryDeployPermission }, undefined),
    ).toEqual({
      result: AuthorizeResult.DENY,
    });
  });
});
