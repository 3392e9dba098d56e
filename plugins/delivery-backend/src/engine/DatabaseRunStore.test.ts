import { TestDatabaseId } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { createTestDatabases } from '../__testUtils__/databases';
import {
  migrateDeliveryDatabase,
  migrationsDir,
} from '../database/DatabaseObservedVersionsStore';
import { DatabaseRunStore } from './DatabaseRunStore';

const databases = createTestDatabases();
const at = (s: number) => new Date(Date.UTC(2026, 10, 28, 12, 0, s));

describe.each(databases.eachSupportedId())(
  'DatabaseRunStore on %p',
  (databaseId: TestDatabaseId) => {
    let knex: Knex;
    let time: Date;
    let store: DatabaseRunStore;

    beforeEach(async () => {
      knex = await databases.init(databaseId);
      await migrateDeliveryDatabase(knex);
      time = at(0);
      store = new DatabaseRunStore(knex, { clock: () => time });
    });

    async function createRun(id = 'DEP-1', kind = 'deployment') {
      await store.createRun({
        run: {
          id,
          kind,
          subject: 'component:default/payments-api',
          input: { token: id },
          stages: [
            { name: 'validate', kind: 'validate' },
            { name: 'uat.deploy', kind: 'deploy', environment: 'uat' },
          ],
          now: time,
        },
      });
    }

    const claim = (owner: string, kinds = ['deployment']) =>
      store.claimNext({ owner, leaseMs: 30_000, kinds });

    it('leases each due run to one owner at a time, with a new generation per claim', async () => {
      await createRun();
      const claims = await Promise.all(['a', 'b', 'c', 'd'].map(o => claim(o)));
      const won = claims.filter(Boolean);
      expect(won).toHaveLength(1);
      expect(won[0]!.lease.generation).toBe(1);
      expect(won[0]!.now).toEqual(at(0));
      expect(won[0]!.run).toMatchObject({
        id: 'DEP-1',
        kind: 'deployment',
        status: 'running',
        input: { token: 'DEP-1' },
        currentStage: 0,
      });
      // Not due for other kinds; a lapsed lease is taken over with the next generation.
      time = at(40);
      expect(await claim('e', ['rollback'])).toBeUndefined();
      const taken = await claim('e');
      expect(taken?.lease).toEqual({ owner: 'e', generation: 2 });
      // Released, it is due at the given time.
      expect(
        await store.commit({
          id: 'DEP-1',
          lease: taken!.lease,
          changes: { release: { nextStepAt: at(50) } },
        }),
      ).toBe(true);
      time = at(45);
      expect(await claim('f')).toBeUndefined();
      time = at(50);
      expect((await claim('f'))?.lease.generation).toBe(3);
    });

    it('prunes logs and then whole runs finished longer ago than the retention, never unfinished ones', async () => {
      for (const id of ['OLD', 'MID', 'NEW', 'RUNNING']) {
        await createRun(id);
        await knex('delivery_run_logs').insert(
          [0, 1].map(position => ({
            run_id: id,
            position,
            at: at(1),
            level: 'info',
            message: `${id} ${position}`,
          })),
        );
      }
      const finish = (id: string, when: Date) =>
        knex('delivery_runs').where({ id }).update({
          status: 'finished',
          outcome: 'succeeded',
          finished_at: when,
        });
      await finish('OLD', at(10));
      await finish('MID', at(60));
      await finish('NEW', at(200));

      const pruned = await store.prune({
        logsBefore: at(100),
        runsBefore: at(50),
      });

      expect(pruned.runs).toEqual(['OLD']);
      expect(pruned.logs).toBe(4);
      expect(await store.getRun({ id: 'OLD' })).toBeUndefined();
      expect(await store.listStages({ runIds: ['OLD'] })).toEqual([]);
      expect(await store.getRun({ id: 'MID' })).toMatchObject({
        status: 'finished',
      });
      expect(await store.listStages({ runIds: ['MID'] })).toHaveLength(2);
      const logs = await store.listLogs({
        runIds: ['OLD', 'MID', 'NEW', 'RUNNING'],
      });
      expect(logs.map(l => l.message).sort()).toEqual([
        'NEW 0',
        'NEW 1',
        'RUNNING 0',
        'RUNNING 1',
      ]);
    });

    it('fences writes: a step whose claim is no longer the latest changes nothing', async () => {
      await createRun();
      const first = (await claim('a'))!;
      time = at(31);
      const second = (await claim('b'))!;
      expect(second.lease).toEqual({ owner: 'b', generation: 2 });
      const stale = {
        stages: [{ position: 0, patch: { status: 'succeeded' as const } }],
        logs: [
          {
            position: 0,
            level: 'info' as const,
            message: 'late',
            at: time,
          },
        ],
        appendStages: [{ name: 'x', kind: 'x' }],
        run: { currentStage: 1 },
        release: { nextStepAt: null },
      };
      expect(
        await store.commit({ id: 'DEP-1', lease: first.lease, changes: stale }),
      ).toBe(false);
      expect(
        await store.renew({ id: 'DEP-1', lease: first.lease, leaseMs: 1 }),
      ).toBe(false);
      expect(await store.listLogs({ runIds: ['DEP-1'] })).toEqual([]);
      const stages = await store.listStages({ runIds: ['DEP-1'] });
      expect(stages.map(s => `${s.name}:${s.status}`)).toEqual([
        'validate:pending',
        'uat.deploy:pending',
      ]);
      expect((await store.getRun({ id: 'DEP-1' }))?.currentStage).toBe(0);
      // The current holder's writes land, all together.
      expect(
        await store.commit({
          id: 'DEP-1',
          lease: second.lease,
          changes: {
            ...stale,
            stages: [
              {
                position: 0,
                patch: {
                  status: 'succeeded',
                  state: { backup: { image: 'i' } },
                  errors: 2,
                  incrementAttempts: true,
                },
              },
            ],
          },
        }),
      ).toBe(true);
      const after = await store.listStages({ runIds: ['DEP-1'] });
      expect(after.map(s => `${s.position}:${s.name}:${s.status}`)).toEqual([
        '0:validate:succeeded',
        '1:uat.deploy:pending',
        '2:x:pending',
      ]);
      expect(after[0]).toMatchObject({
        state: { backup: { image: 'i' } },
        errors: 2,
        attempts: 1,
      });
      expect(
        (await store.listLogs({ runIds: ['DEP-1'] })).map(l => l.message),
      ).toEqual(['late']);
      expect(await store.getRun({ id: 'DEP-1' })).toMatchObject({
        currentStage: 1,
      });
      expect((await store.getRun({ id: 'DEP-1' }))?.nextStepAt).toBeUndefined();
    });

    it('renews a held lease so it outlives its first term', async () => {
      await createRun();
      const held = (await claim('a'))!;
      time = at(25);
      expect(
        await store.renew({ id: 'DEP-1', lease: held.lease, leaseMs: 30_000 }),
      ).toBe(true);
      time = at(40);
      expect(await claim('b')).toBeUndefined();
      time = at(56);
      expect((await claim('b'))?.lease.generation).toBe(2);
    });

    it('asks a running run to stop, making it due at once', async () => {
      await createRun();
      const held = (await claim('a'))!;
      await store.commit({
        id: 'DEP-1',
        lease: held.lease,
        changes: { release: { nextStepAt: at(600) } },
      });
      time = at(5);
      expect(
        await store.requestCancel({ id: 'DEP-1', by: 'user:default/ada' }),
      ).toBe(true);
      expect((await claim('b'))?.run.cancelRequestedBy).toBe(
        'user:default/ada',
      );
      expect(
        await store.requestCancel({ id: 'nope', by: 'user:default/ada' }),
      ).toBe(false);
    });

    it('moves started deployments, their stages and logs from the old tables into runs, and back', async () => {
      const fresh = await databases.init(databaseId);
      await fresh.migrate.up({ directory: migrationsDir });
      await fresh.migrate.up({ directory: migrationsDir });
      expect(await fresh.schema.hasTable('delivery_stages')).toBe(true);
      const base = {
        entity_ref: 'component:default/payments-api',
        commit_sha: 'a'.repeat(40),
        requested_by: 'user:default/ada',
        requested_at: at(0),
      };
      await fresh('delivery_deployments').insert([
        {
          ...base,
          token: 'DEP-0000000000001-000000',
          status: 'running',
          image: 'acme/api:aaaaaaa',
          active_entity_ref: base.entity_ref,
          started_at: at(1),
          current_stage: 2,
          next_step_at: at(9),
          lease_owner: 'old-replica',
          lease_expires_at: at(10),
        },
        {
          ...base,
          token: 'DEP-0000000000000-000000',
          status: 'succeeded',
          image: 'acme/api:bbbbbbb',
          started_at: at(0),
          finished_at: at(5),
          current_stage: 1,
        },
        {
          ...base,
          token: 'DEP-0000000000002-000000',
          status: 'queued',
          image: null,
          active_entity_ref: null,
          started_at: null,
          finished_at: null,
          current_stage: 0,
          next_step_at: null,
          lease_owner: null,
          lease_expires_at: null,
        },
      ]);
      await fresh('delivery_stages').insert([
        {
          token: 'DEP-0000000000001-000000',
          position: 0,
          name: 'canary.verify',
          kind: 'verify',
          environment: 'canary',
          status: 'failed',
          attempts: 4,
          data: JSON.stringify({ streak: 2, consecutiveErrors: 1 }),
        },
        {
          token: 'DEP-0000000000001-000000',
          position: 1,
          name: 'canary.backup',
          kind: 'backup',
          environment: 'canary',
          status: 'succeeded',
          attempts: 1,
          data: JSON.stringify({ backup: { image: 'acme/api:0' } }),
        },
        {
          token: 'DEP-0000000000001-000000',
          position: 2,
          name: 'canary.rollback',
          kind: 'rollback',
          environment: 'canary',
          status: 'running',
          attempts: 1,
          data: JSON.stringify({
            outcome: 'rolled_back',
            reason: 'canary.verify: Unhealthy',
            restored: true,
          }),
        },
        {
          token: 'DEP-0000000000000-000000',
          position: 0,
          name: 'validate',
          kind: 'validate',
          status: 'succeeded',
          attempts: 1,
          data: null,
        },
      ]);
      await fresh('delivery_stage_logs').insert({
        token: 'DEP-0000000000001-000000',
        position: 0,
        at: at(2),
        level: 'error',
        message: 'Unhealthy',
      });

      await migrateDeliveryDatabase(fresh);
      const moved = new DatabaseRunStore(fresh);
      expect(
        await moved.getRun({ id: 'DEP-0000000000001-000000' }),
      ).toMatchObject({
        kind: 'deployment',
        subject: base.entity_ref,
        status: 'running',
        outcome: 'rolled_back',
        reason: 'canary.verify: Unhealthy',
        currentStage: 2,
        nextStepAt: at(9),
        input: {
          token: 'DEP-0000000000001-000000',
          commitSha: base.commit_sha,
          image: 'acme/api:aaaaaaa',
          requestedBy: base.requested_by,
          entityRef: base.entity_ref,
        },
      });
      expect(
        await moved.getRun({ id: 'DEP-0000000000000-000000' }),
      ).toMatchObject({ status: 'finished', outcome: 'succeeded' });
      expect(
        await moved.getRun({ id: 'DEP-0000000000002-000000' }),
      ).toBeUndefined();
      const stages = await moved.listStages({
        runIds: ['DEP-0000000000001-000000'],
      });
      expect(stages.map(s => [s.name, s.status, s.errors, s.state])).toEqual([
        ['canary.verify', 'failed', 1, { streak: 2 }],
        ['canary.backup', 'succeeded', 0, { backup: { image: 'acme/api:0' } }],
        ['canary.rollback', 'running', 0, { restored: true }],
      ]);
      expect(
        (await moved.listLogs({ runIds: ['DEP-0000000000001-000000'] })).map(
          l => l.message,
        ),
      ).toEqual(['Unhealthy']);
      const row = await fresh('delivery_deployments')
        .where({ token: 'DEP-0000000000001-000000' })
        .first();
      expect(row.status).toBe('running');
      expect(row).not.toHaveProperty('lease_owner');

      // Undo the runs migration and every later one, newest first.
      for (;;) {
        const [completed] = await fresh.migrate.list({
          directory: migrationsDir,
        });
        const last = completed[completed.length - 1];
        if (!last || last.name < '20261128100000_runs.js') break;
        await fresh.migrate.down({ directory: migrationsDir });
      }
      expect(await fresh.schema.hasTable('delivery_runs')).toBe(false);
      const back = await fresh('delivery_stages')
        .where({ token: 'DEP-0000000000001-000000' })
        .orderBy('position');
      expect(back.map(s => [s.name, JSON.parse(s.data)])).toEqual([
        ['canary.verify', { streak: 2, consecutiveErrors: 1 }],
        ['canary.backup', { backup: { image: 'acme/api:0' } }],
        [
          'canary.rollback',
          {
            restored: true,
            outcome: 'rolled_back',
            reason: 'canary.verify: Unhealthy',
          },
        ],
      ]);
      const restored = await fresh('delivery_deployments')
        .where({ token: 'DEP-0000000000001-000000' })
        .first();
      expect(restored.current_stage).toBe(2);
      expect(await fresh('delivery_stage_logs').count({ n: '*' })).toEqual([
        { n: expect.anything() },
      ]);
    });
  },
);

const postgres = databases
  .eachSupportedId()
  .map(([id]) => id)
  .filter(id => id.startsWith('POSTGRES'));

if (postgres.length > 0) {
  describe.each(postgres)('DatabaseRunStore clock on %p', databaseId => {
    afterEach(() => {
      jest.useRealTimers();
    });

    it("reckons leases on the database's clock, so a replica whose clock runs an hour ahead cannot take a live lease", async () => {
      const knex = await databases.init(databaseId);
      await migrateDeliveryDatabase(knex);
      const store = new DatabaseRunStore(knex);
      const dbNow = await store.now();
      await store.createRun({
        run: {
          id: 'r',
          kind: 'deployment',
          subject: 's',
          input: {},
          stages: [],
          now: new Date(dbNow.getTime() - 1_000),
        },
      });
      const held = await store.claimNext({
        owner: 'a',
        leaseMs: 60_000,
        kinds: ['deployment'],
      });
      expect(held?.lease.generation).toBe(1);
      // This process's Date now says an hour later (only Date is faked; timers stay real).
      jest.useFakeTimers({
        now: Date.now() + 3_600_000,
        doNotFake: [
          'hrtime',
          'nextTick',
          'performance',
          'queueMicrotask',
          'requestAnimationFrame',
          'cancelAnimationFrame',
          'requestIdleCallback',
          'cancelIdleCallback',
          'setImmediate',
          'clearImmediate',
          'setInterval',
          'clearInterval',
          'setTimeout',
          'clearTimeout',
        ],
      });
      expect(Date.now() - dbNow.getTime()).toBeGreaterThan(3_500_000);
      const skewed = await store.claimNext({
        owner: 'b',
        leaseMs: 60_000,
        kinds: ['deployment'],
      });
      expect(skewed).toBeUndefined();
      expect((await store.now()).getTime() - dbNow.getTime()).toBeLessThan(
        60_000,
      );
    });
  });
}
