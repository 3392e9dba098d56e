import { TestDatabaseId } from '@backstage/backend-test-utils';
import { createTestDatabases } from '../__testUtils__/databases';
import {
  DatabaseObservedVersionsStore,
  migrateDeliveryDatabase,
  rollbackDeliveryDatabase,
} from './DatabaseObservedVersionsStore';

const databases = createTestDatabases();

const ids = databases.eachSupportedId();

it('runs on the databases it was given', () => {
  // Guards against a silently empty matrix: SQLite always, PostgreSQL when configured.
  const postgresConfigured = Object.keys(process.env).some(k =>
    /^BACKSTAGE_TEST_DATABASE_POSTGRES\d+_CONNECTION_STRING$/.test(k),
  );
  const ran = ids.map(([id]) => id);
  expect(ran).toContain('SQLITE_3');
  expect(ran.some(id => id.startsWith('POSTGRES'))).toBe(postgresConfigured);
});

describe.each(ids)(
  'DatabaseObservedVersionsStore on %p',
  (databaseId: TestDatabaseId) => {
    async function createStore() {
      const knex = await databases.init(databaseId);
      await migrateDeliveryDatabase(knex);
      return { knex, store: new DatabaseObservedVersionsStore(knex) };
    }

    const base = {
      entityRef: 'component:default/payments-api',
      environment: 'production',
      image: 'acme/payments-api:abc1234',
      commitSha: 'a'.repeat(40),
    };

    it('keeps the first sighting and moves the last one', async () => {
      const { store } = await createStore();
      const t1 = new Date('2026-11-01T10:00:00Z');
      const t2 = new Date('2026-11-01T11:00:00Z');
      const first = await store.recordSighting({ ...base, seenAt: t1 });
      expect(first.firstSeenAt).toEqual(t1);
      const second = await store.recordSighting({ ...base, seenAt: t2 });
      expect(second).toEqual({ ...base, firstSeenAt: t1, lastSeenAt: t2 });
    });

    it('uses the deploy time the workload reports, and only ever moves it back', async () => {
      const { store } = await createStore();
      const deployed = new Date('2026-10-31T09:00:00Z');
      const seen = new Date('2026-11-01T10:00:00Z');
      const first = await store.recordSighting({ ...base, seenAt: seen });
      expect(first.firstSeenAt).toEqual(seen);
      const corrected = await store.recordSighting({
        ...base,
        seenAt: seen,
        deployedAt: deployed,
      });
      expect(corrected.firstSeenAt).toEqual(deployed);
      const later = await store.recordSighting({
        ...base,
        seenAt: seen,
        deployedAt: new Date('2026-11-01T09:30:00Z'),
      });
      expect(later.firstSeenAt).toEqual(deployed);
    });

    it('lists sightings per service, newest first, filtered by environment', async () => {
      const { store } = await createStore();
      await store.recordSighting({
        ...base,
        seenAt: new Date('2026-11-01T10:00:00Z'),
      });
      await store.recordSighting({
        ...base,
        image: 'acme/payments-api:def5678',
        commitSha: undefined,
        seenAt: new Date('2026-11-02T10:00:00Z'),
      });
      await store.recordSighting({
        ...base,
        environment: 'uat',
        seenAt: new Date('2026-11-03T10:00:00Z'),
      });
      await store.recordSighting({
        ...base,
        entityRef: 'component:default/other',
        seenAt: new Date('2026-11-04T10:00:00Z'),
      });
      const production = await store.listSightings(base.entityRef, {
        environment: 'production',
      });
      expect(production.map(s => s.image)).toEqual([
        'acme/payments-api:def5678',
        'acme/payments-api:abc1234',
      ]);
      expect(production[0].commitSha).toBeUndefined();
      const all = await store.listSightings(base.entityRef);
      expect(all.map(s => s.environment)).toEqual([
        'uat',
        'production',
        'production',
      ]);
    });

    it('migrates down and up again', async () => {
      const { knex } = await createStore();
      expect(await knex.schema.hasTable('delivery_observed_versions')).toBe(
        true,
      );
      await rollbackDeliveryDatabase(knex);
      expect(await knex.schema.hasTable('delivery_observed_versions')).toBe(
        false,
      );
      await migrateDeliveryDatabase(knex);
      expect(await knex.schema.hasTable('delivery_observed_versions')).toBe(
        true,
      );
    });
  },
);
