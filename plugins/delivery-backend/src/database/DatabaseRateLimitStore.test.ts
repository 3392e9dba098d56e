import { TestDatabaseId } from '@backstage/backend-test-utils';
import { createTestDatabases } from '../__testUtils__/databases';
import {
  migrateDeliveryDatabase,
  rollbackDeliveryDatabase,
} from './DatabaseObservedVersionsStore';
import { DatabaseRateLimitStore } from './DatabaseRateLimitStore';

const databases = createTestDatabases();

describe.each(databases.eachSupportedId())(
  'DatabaseRateLimitStore on %p',
  (databaseId: TestDatabaseId) => {
    async function createStore() {
      const knex = await databases.init(databaseId);
      await migrateDeliveryDatabase(knex);
      return { knex, store: new DatabaseRateLimitStore(knex) };
    }

    const at = (seconds: number) =>
      new Date(Date.parse('2026-11-29T10:00:00Z') + seconds * 1000);
    // 3 tokens, refilled at 3 a minute: one every 20 s.
    const take = (store: DatabaseRateLimitStore, bucket: string, s: number) =>
      store.take({ bucket, capacity: 3, refillPerMs: 3 / 60_000, now: at(s) });

    it('starts full, refuses once empty, and refills with time', async () => {
      const { store } = await createStore();
      const results = [];
      for (let i = 0; i < 4; i++) results.push(await take(store, 'ada', 0));
      expect(results.map(r => r.allowed)).toEqual([true, true, true, false]);
      expect(results[3].tokens).toBeCloseTo(0);

      // Another bucket is untouched.
      expect((await take(store, 'grace', 0)).allowed).toBe(true);

      // 10 s refill half a token: still refused, and the half is kept.
      const half = await take(store, 'ada', 10);
      expect(half).toEqual({ allowed: false, tokens: expect.closeTo(0.5) });
      expect((await take(store, 'ada', 20)).allowed).toBe(true);
      // A request from a replica whose clock is behind refills nothing.
      expect((await take(store, 'ada', 15)).allowed).toBe(false);
      // Never more than the capacity, however long it rested.
      const rested = [];
      for (let i = 0; i < 4; i++) rested.push(await take(store, 'ada', 3600));
      expect(rested.map(r => r.allowed)).toEqual([true, true, true, false]);
    });

    it('lets exactly the capacity through when many ask at once', async () => {
      const { knex } = await createStore();
      // Separate store objects stand for separate replicas on one database.
      const replicas = [0, 1, 2, 3].map(() => new DatabaseRateLimitStore(knex));
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => take(replicas[i % 4], 'ada', 0)),
      );
      expect(results.filter(r => r.allowed)).toHaveLength(3);
    });

    it('migrates down', async () => {
      const { knex } = await createStore();
      await rollbackDeliveryDatabase(knex);
      expect(await knex.schema.hasTable('delivery_rate_limits')).toBe(false);
    });
  },
);
