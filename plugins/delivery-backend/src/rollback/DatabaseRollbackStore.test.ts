import { TestDatabaseId } from '@backstage/backend-test-utils';
import { createTestDatabases } from '../__testUtils__/databases';
import { migrateDeliveryDatabase } from '../database/DatabaseObservedVersionsStore';
import { DatabaseRollbackStore, IncidentRecord } from './DatabaseRollbackStore';

const databases = createTestDatabases();
const NOW = new Date('2026-11-30T03:12:00Z');
const SERVICE = 'component:default/payments-api';
const at = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);

function rollback(id: string, seconds: number) {
  return {
    id,
    entityRef: SERVICE,
    environment: 'production',
    level: 2 as const,
    reason: 'Errors since the hotfix',
    requestedBy: 'user:default/ada',
    automated: false,
    targetVersion: 'a'.repeat(40),
    createdAt: at(seconds),
  };
}

function incident(id: string, rollbackId: string): IncidentRecord {
  return {
    id,
    entityRef: SERVICE,
    environment: 'production',
    level: 2,
    reason: 'Errors since the hotfix',
    severity: 'critical',
    startedAt: NOW,
    actedBy: 'user:default/ada',
    rollbackId,
  };
}

describe.each(databases.eachSupportedId())(
  'DatabaseRollbackStore on %p',
  (databaseId: TestDatabaseId) => {
    async function createStore() {
      const knex = await databases.init(databaseId);
      await migrateDeliveryDatabase(knex);
      return new DatabaseRollbackStore(knex);
    }

    it('runs one rollback of a service at a time, and ends each once', async () => {
      const store = await createStore();
      await store.createRollback({ rollback: rollback('RB-1', 0) });
      await expect(
        store.createRollback({ rollback: rollback('RB-2', 1) }),
      ).rejects.toMatchObject({
        name: 'ConflictError',
        message: expect.stringContaining('RB-1, level 2 in production'),
      });
      expect((await store.running({ entityRef: SERVICE }))?.id).toBe('RB-1');

      await store.finishRollback({
        id: 'RB-1',
        status: 'succeeded',
        at: at(30),
      });
      // A second end changes nothing.
      await store.finishRollback({
        id: 'RB-1',
        status: 'failed',
        reason: 'late',
        at: at(40),
      });
      expect(await store.getRollback({ id: 'RB-1' })).toMatchObject({
        status: 'succeeded',
        finishedAt: at(30),
      });
      expect(await store.running({ entityRef: SERVICE })).toBeUndefined();
      await store.createRollback({ rollback: rollback('RB-2', 60) });
      expect(
        (await store.listRollbacks({ entityRef: SERVICE })).map(r => [
          r.id,
          r.status,
        ]),
      ).toEqual([
        ['RB-2', 'running'],
        ['RB-1', 'succeeded'],
      ]);
    });

    it('opens an incident once, resolves it once, and keeps incidents past retention', async () => {
      const store = await createStore();
      await store.transaction(async transaction => {
        await store.createRollback({
          rollback: rollback('RB-1', 0),
          transaction,
        });
        await store.openIncident({
          incident: incident('INC-1', 'RB-1'),
          transaction,
        });
      });
      await store.openIncident({ incident: incident('INC-1', 'RB-1') });
      await store.resolveIncident({ rollbackId: 'RB-1', at: at(30) });
      await store.resolveIncident({ rollbackId: 'RB-1', at: at(90) });
      await store.setIncidentIssue({
        id: 'INC-1',
        url: 'https://github.com/acme/payments-api/issues/7',
      });
      expect(await store.listIncidents({ entityRef: SERVICE })).toEqual([
        {
          ...incident('INC-1', 'RB-1'),
          resolvedAt: at(30),
          githubIssueUrl: 'https://github.com/acme/payments-api/issues/7',
        },
      ]);
      expect(
        (await store.incidentsOf({ rollbackIds: ['RB-1', 'RB-9'] })).map(
          i => i.id,
        ),
      ).toEqual(['INC-1']);

      await store.finishRollback({
        id: 'RB-1',
        status: 'succeeded',
        at: at(30),
      });
      await store.createRollback({ rollback: rollback('RB-2', 60) });
      // Retention: finished rollbacks before the cut go; a running one and incidents stay.
      expect(await store.pruneRollbacks({ before: at(3600) })).toBe(1);
      expect(
        (await store.listRollbacks({ entityRef: SERVICE })).map(r => r.id),
      ).toEqual(['RB-2']);
      expect(await store.listIncidents({ entityRef: SERVICE })).toHaveLength(1);
    });
  },
);
