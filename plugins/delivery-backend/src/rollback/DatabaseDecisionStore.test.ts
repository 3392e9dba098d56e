import { TestDatabaseId } from '@backstage/backend-test-utils';
import {
  HealthFigures,
  decideRollback,
} from '@internal/plugin-delivery-common';
import { createTestDatabases } from '../__testUtils__/databases';
import { migrateDeliveryDatabase } from '../database/DatabaseObservedVersionsStore';
import { DatabaseDecisionStore } from './DatabaseDecisionStore';

const databases = createTestDatabases();
const NOW = new Date('2026-11-30T03:12:00Z');
const SERVICE = 'component:default/payments-api';

const figures: HealthFigures = {
  up: true,
  errorRate: 0.04,
  requests: 12_000,
  endpoints: [
    { endpoint: '/pay', requests: 6_000, errors: 450 },
    { endpoint: '/refund', requests: 6_000, errors: 30 },
  ],
  p95Seconds: 0.3,
  cpu: 0.4,
  memory: 0.5,
  restartsPerMinute: 0,
};
const flags = [{ key: 'http2-payment-client', on: true, endpoints: ['/pay'] }];

describe.each(databases.eachSupportedId())(
  'DatabaseDecisionStore on %p',
  (databaseId: TestDatabaseId) => {
    async function createStore() {
      const knex = await databases.init(databaseId);
      await migrateDeliveryDatabase(knex);
      return new DatabaseDecisionStore(knex);
    }

    it('stores each decision with its inputs, and lists them newest first', async () => {
      const store = await createStore();
      const decision = decideRollback({ figures, flags, now: NOW });
      const first = await store.record({
        entityRef: SERVICE,
        environment: 'canary',
        decidedAt: NOW,
        decidedBy: 'delivery',
        decision,
        inputs: { figures, flags, windowSeconds: 60 },
      });
      expect(first).toEqual({
        id: expect.any(String),
        entityRef: SERVICE,
        environment: 'canary',
        decidedAt: NOW,
        decidedBy: 'delivery',
        decision: {
          level: 1,
          action: 'flag-off',
          flags: ['http2-payment-client'],
          severity: 'warning',
          reasons: decision.reasons,
        },
        inputs: { figures, flags, windowSeconds: 60 },
      });
      const later = new Date(NOW.getTime() + 10_000);
      const healthy = decideRollback({
        figures: { ...figures, errorRate: 0.001, endpoints: [] },
        flags,
        now: later,
      });
      await store.record({
        entityRef: SERVICE,
        environment: 'production',
        decidedAt: later,
        decidedBy: 'user:default/oncall-olga',
        decision: healthy,
        inputs: { figures, flags, windowSeconds: 60 },
      });
      await store.actedBy(first.id, 'RBK-1');
      const all = await store.list({ entityRef: SERVICE });
      expect(all.map(d => [d.environment, d.decision.action, d.runId])).toEqual(
        [
          ['production', 'none', undefined],
          ['canary', 'flag-off', 'RBK-1'],
        ],
      );
      expect(
        (await store.list({ entityRef: SERVICE, environment: 'canary' })).map(
          d => d.id,
        ),
      ).toEqual([first.id]);
      expect(
        await store.list({ entityRef: 'component:default/other' }),
      ).toEqual([]);
      // Retention: decisions made before the cut go.
      expect(await store.prune({ before: later })).toBe(1);
      expect(
        (await store.list({ entityRef: SERVICE })).map(d => d.environment),
      ).toEqual(['production']);
    });
  },
);
