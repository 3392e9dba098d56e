import { mockCredentials } from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { createRepositoryEntities } from './entities';

function component(name: string, slug?: string): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: 'default',
      annotations: slug ? { 'github.com/project-slug': slug } : {},
    },
    spec: { type: 'service', owner: 'team-payments', lifecycle: 'production' },
  };
}

describe('createRepositoryEntities', () => {
  it('gives the entities whose project slug names the repository, without regard to case', async () => {
    const catalog = catalogServiceMock({
      entities: [
        component('payments-api', 'acme/payments-api'),
        component('payments-api-v2', 'Acme/Payments-API'),
        component('checkout-web', 'acme/checkout-web'),
        component('money-lib'),
      ],
    });
    const entitiesOf = createRepositoryEntities({
      catalog,
      credentials: async () => mockCredentials.service(),
    });
    expect(await entitiesOf('acme/payments-api')).toEqual([
      'component:default/payments-api',
      'component:default/payments-api-v2',
    ]);
    expect(await entitiesOf('ACME/checkout-web')).toEqual([
      'component:default/checkout-web',
    ]);
    expect(await entitiesOf('acme/unknown')).toEqual([]);
  });

  it('asks the catalog once per ttl, and again after a failure', async () => {
    let clock = 0;
    const catalog = catalogServiceMock({
      entities: [component('payments-api', 'acme/payments-api')],
    });
    const getEntities = jest.spyOn(catalog, 'getEntities');
    const entitiesOf = createRepositoryEntities({
      catalog,
      credentials: async () => mockCredentials.service(),
      ttlMs: 1000,
      now: () => clock,
    });
    await entitiesOf('acme/payments-api');
    await entitiesOf('acme/payments-api');
    expect(getEntities).toHaveBeenCalledTimes(1);
    clock = 1000;
    getEntities.mockRejectedValueOnce(new Error('catalog down'));
    await expect(entitiesOf('acme/payments-api')).rejects.toThrow(
      'catalog down',
    );
    expect(await entitiesOf('acme/payments-api')).toEqual([
      'component:default/payments-api',
    ]);
    expect(getEntities).toHaveBeenCalledTimes(3);
  });
});
