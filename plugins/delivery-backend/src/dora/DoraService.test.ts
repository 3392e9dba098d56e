import { mockCredentials } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  DEFAULT_DORA_TARGETS,
  DEFAULT_DORA_TIERS,
} from '@internal/plugin-delivery-common';
import knexFactory, { Knex } from 'knex';
import { migrateDeliveryDatabase } from '../database/DatabaseObservedVersionsStore';
import { DatabaseDoraStore } from './DatabaseDoraStore';
import { DoraService, detailsToCsv } from './DoraService';
import { actionsRegistryServiceMock } from '@backstage/backend-test-utils/alpha';
import { registerDoraAction } from './action';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.parse('2026-11-30T12:00:00Z');

function group(name: string, children: string[], parent?: string): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: { name, namespace: 'default' },
    spec: { type: 'team', children },
    relations: [
      ...children.map(c => ({
        type: 'parentOf',
        targetRef: `group:default/${c}`,
      })),
      ...(parent
        ? [{ type: 'childOf', targetRef: `group:default/${parent}` }]
        : []),
    ],
  };
}

function component(name: string, owner: string, slug = true): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: 'default',
      annotations: slug ? { 'github.com/project-slug': `acme/${name}` } : {},
    },
    spec: { type: 'service', owner },
    relations: [{ type: 'ownedBy', targetRef: `group:default/${owner}` }],
  };
}

describe('DoraService', () => {
  let db: Knex;
  let service: DoraService;
  const credentials = mockCredentials.user();

  beforeEach(async () => {
    db = knexFactory({
      client: 'better-sqlite3',
      connection: ':memory:',
      useNullAsDefault: true,
    });
    await migrateDeliveryDatabase(db);
    const store = new DatabaseDoraStore(db);
    // A deployment a day for the last 10 days of each service, one commit each (1 h lead).
    for (const name of ['pay', 'ledger', 'shop']) {
      for (let d = 1; d <= 10; d++) {
        await store.ingest({
          type: 'deployment',
          sourceId: `${name}-${d}`,
          source: 'github',
          entityRef: `component:default/${name}`,
          sha: `${d}`.padStart(40, 'a'),
          at: NOW - d * DAY,
          status: 'success',
          production: true,
          commits: [
            {
              sha: `${d}`.padStart(40, 'b'),
              committedAt: NOW - d * DAY - HOUR,
            },
          ],
        });
      }
    }
    service = new DoraService({
      store,
      catalog: catalogServiceMock({
        entities: [
          group('acme', ['payments', 'storefront']),
          group('payments', ['ledger-team'], 'acme'),
          group('ledger-team', [], 'payments'),
          group('storefront', [], 'acme'),
          component('pay', 'payments'),
          component('ledger', 'ledger-team'),
          component('shop', 'storefront'),
          component('lib', 'payments', false),
        ],
      }),
      config: {
        tiers: DEFAULT_DORA_TIERS,
        targets: DEFAULT_DORA_TARGETS,
        productionEnvironments: ['production'],
      },
      now: () => NOW,
    });
  });

  afterEach(async () => {
    await db.destroy();
  });

  it('rolls a team up over the services it and its sub-teams own', async () => {
    const payments = await service.metrics(
      { group: 'group:default/payments' },
      credentials,
    );
    expect(payments.scope).toEqual({
      kind: 'group',
      ref: 'group:default/payments',
      title: 'payments',
      services: 2,
      teams: 2,
    });
    // 20 deployments over 12 weeks (84 days), 2 teams.
    expect(payments.metrics.deploymentFrequency.count).toBe(20);
    expect(payments.metrics.deploymentFrequency.value).toBeCloseTo(20 / 84);
    expect(payments.metrics.deploymentFrequency.target?.met).toBe(false);
    expect(payments.metrics.leadTime).toMatchObject({ value: HOUR, count: 20 });
    expect(payments.trend).toHaveLength(12);
    expect(
      payments.trend[11].deployments + payments.trend[10].deployments,
    ).toBe(20);

    const org = await service.metrics({ group: 'acme' }, credentials);
    expect(org.scope).toMatchObject({ services: 3, teams: 3 });
    expect(org.metrics.deploymentFrequency.count).toBe(30);

    const one = await service.metrics(
      {
        entity: 'pay',
        from: new Date(NOW - 5 * DAY).toISOString(),
        interval: 'day',
      },
      credentials,
    );
    expect(one.scope).toMatchObject({ kind: 'entity', services: 1 });
    expect(one.trend).toHaveLength(5);
    // From exactly five days ago: the deployments of days 1 to 5.
    expect(one.metrics.deploymentFrequency.count).toBe(5);
    expect(one.metrics.deploymentFrequency.target).not.toHaveProperty('met');
    expect(one.metrics.deploymentFrequency.target?.note).toMatch(/per team/);
  });

  it('refuses bad questions with the reason', async () => {
    await expect(service.metrics({}, credentials)).rejects.toThrow(
      /either entity or group/,
    );
    await expect(
      service.metrics({ entity: 'pay', group: 'acme' }, credentials),
    ).rejects.toThrow(/either entity or group/);
    await expect(
      service.metrics({ group: 'component:default/pay' }, credentials),
    ).rejects.toThrow(/not a group/);
    await expect(
      service.metrics({ group: 'nobody' }, credentials),
    ).rejects.toMatchObject({ name: 'NotFoundError' });
    await expect(
      service.metrics({ entity: 'pay', from: 'yesterday' }, credentials),
    ).rejects.toMatchObject({ name: 'InputError' });
    await expect(
      service.metrics(
        {
          entity: 'pay',
          from: '2026-11-30T00:00:00Z',
          to: '2026-11-01T00:00:00Z',
        },
        credentials,
      ),
    ).rejects.toThrow(/before/);
    await expect(
      service.metrics(
        { entity: 'pay', from: '2025-01-01T00:00:00Z', interval: 'day' },
        credentials,
      ),
    ).rejects.toThrow(/At most 400 intervals/);
  });

  it('lists the commits behind the lead time, and as CSV', async () => {
    const details = await service.details(
      { group: 'payments', kind: 'commits', limit: 3, offset: 0 },
      credentials,
    );
    expect(details.total).toBe(20);
    expect(details.commits).toHaveLength(3);
    expect(details.commits![0]).toMatchObject({ leadTime: HOUR });
    const csv = detailsToCsv({
      kind: 'incidents',
      total: 1,
      incidents: [
        {
          id: 'i1',
          entityRef: 'component:default/pay',
          title: '=HYPERLINK("x"), "quoted"',
          source: 'github',
          startedAt: '2026-11-30T10:00:00.000Z',
        },
      ],
    });
    expect(csv.split('\r\n')[0]).toBe(
      'id,entityRef,title,source,startedAt,resolvedAt,recoveryTime,deploymentId,token,sha,url',
    );
    expect(csv.split('\r\n')[1]).toBe(
      `i1,component:default/pay,"'=HYPERLINK(""x""), ""quoted""",github,2026-11-30T10:00:00.000Z,,,,,,`,
    );
  });

  it('answers assistants through the actions registry, as the asking user', async () => {
    const registry = actionsRegistryServiceMock();
    registerDoraAction(registry, service);
    const { actions } = await registry.list();
    expect(actions.map(a => a.name)).toEqual(['get-dora-metrics']);
    expect(actions[0].attributes).toMatchObject({ readOnly: true });
    const { output } = await registry.invoke({
      id: 'test:get-dora-metrics',
      input: { group: 'group:default/payments' },
      credentials,
    });
    expect(output).toMatchObject({
      scope: { kind: 'group', services: 2, teams: 2 },
      metrics: { deploymentFrequency: { count: 20, unit: 'perDay' } },
    });
    await expect(
      registry.invoke({
        id: 'test:get-dora-metrics',
        input: { interval: 'month' },
        credentials,
      }),
    ).rejects.toThrow();
  });
});
