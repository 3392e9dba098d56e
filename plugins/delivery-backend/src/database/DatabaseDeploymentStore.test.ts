import { TestDatabaseId } from '@backstage/backend-test-utils';
import { createTestDatabases } from '../__testUtils__/databases';
import {
  migrateDeliveryDatabase,
  rollbackDeliveryDatabase,
} from './DatabaseObservedVersionsStore';
import {
  DatabaseDeploymentStore,
  formatToken,
} from './DatabaseDeploymentStore';

const databases = createTestDatabases();

const SERVICE = 'component:default/payments-api';
const OTHER = 'component:default/checkout-web';
const sha = (c: string) => c.repeat(40);
const at = (s: number) => new Date(Date.UTC(2026, 10, 26, 12, 0, s));

describe.each(databases.eachSupportedId())(
  'DatabaseDeploymentStore on %p',
  (databaseId: TestDatabaseId) => {
    async function createStore() {
      const knex = await databases.init(databaseId);
      await migrateDeliveryDatabase(knex);
      return { knex, store: new DatabaseDeploymentStore(knex) };
    }

    async function request(
      store: DatabaseDeploymentStore,
      when: Date,
      entityRef = SERVICE,
      who = 'user:default/ada',
    ) {
      return store.createDeployment({
        entityRef,
        commitSha: sha('a'),
        requestedBy: who,
        requestedAt: when,
      });
    }

    it('gives unique tokens that sort in request order, even within one millisecond and under concurrency', async () => {
      const { store } = await createStore();
      const same = at(0);
      const tokens = await Promise.all(
        Array.from({ length: 12 }, () => request(store, same)),
      );
      const unique = new Set(tokens.map(t => t.token));
      expect(unique.size).toBe(12);
      for (const t of unique) expect(t).toMatch(/^DEP-\d{13}-\d{6}$/);
      expect([...unique].sort()).toEqual(
        [...unique].sort((a, b) => a.localeCompare(b)),
      );
      // A request with an earlier clock (another replica) still sorts after the newest token.
      const skewed = await request(store, at(-5));
      expect(skewed.token > [...unique].sort().pop()!).toBe(true);
      expect(formatToken(same.getTime(), 0)).toBe(
        `DEP-${same.getTime()}-000000`,
      );
    });

    it('calls the head of the queue only when nothing is active, FIFO', async () => {
      const { store } = await createStore();
      const first = await request(store, at(0));
      const second = await request(store, at(1));
      const elsewhere = await request(store, at(2), OTHER);
      expect(await store.queuePosition(first)).toBe(1);
      expect(await store.queuePosition(second)).toBe(2);

      const called = await store.callNext(SERVICE, at(3), 15 * 60_000);
      expect(called).toMatchObject({
        token: first.token,
        status: 'called',
        callExpiresAt: new Date(at(3).getTime() + 15 * 60_000),
      });
      expect(await store.callNext(SERVICE, at(4), 60_000)).toBeUndefined();
      expect((await store.getDeployment(second.token))!.status).toBe('queued');
      // Other services have their own queue.
      expect((await store.callNext(OTHER, at(4), 60_000))?.token).toBe(
        elsewhere.token,
      );

      expect(
        await store.start(first.token, {
          image: 'acme/api:aaaaaaa',
          stages: [{ name: 'validate', kind: 'validate' }],
          now: at(5),
        }),
      ).toBe(true);
      expect(
        await store.start(first.token, { image: 'x', stages: [], now: at(5) }),
      ).toBe(false);
      expect(await store.callNext(SERVICE, at(6), 60_000)).toBeUndefined();
      expect(
        await store.finish(first.token, 'succeeded', undefined, at(7)),
      ).toBe(true);
      expect((await store.callNext(SERVICE, at(8), 60_000))?.token).toBe(
        second.token,
      );
      expect((await store.listHistory(SERVICE, 10)).map(d => d.token)).toEqual([
        first.token,
      ]);
    });

    it('never has two active deployments for one service when callers race', async () => {
      const { store } = await createStore();
      for (let i = 0; i < 5; i++) await request(store, at(i));
      const results = await Promise.all(
        Array.from({ length: 8 }, () =>
          store.callNext(SERVICE, at(10), 60_000),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const queue = await store.listQueue(SERVICE);
      expect(queue.filter(d => d.status === 'called')).toHaveLength(1);
    });

    it('expires a call that is not started in time', async () => {
      const { store } = await createStore();
      const first = await request(store, at(0));
      const second = await request(store, at(1));
      await store.callNext(SERVICE, at(2), 10_000);
      expect(await store.expireCalls(at(11))).toEqual([]);
      const expired = await store.expireCalls(at(12));
      expect(expired.map(d => [d.token, d.status])).toEqual([
        [first.token, 'expired'],
      ]);
      expect(expired[0].reason).toMatch(/^Not started within the call window/);
      expect((await store.callNext(SERVICE, at(13), 10_000))?.token).toBe(
        second.token,
      );
    });

    it('cancels waiting deployments and flags running ones', async () => {
      const { store } = await createStore();
      const first = await request(store, at(0));
      const second = await request(store, at(1));
      expect(await store.cancel(second.token, 'user:default/ada', at(2))).toBe(
        'cancelled',
      );
      expect(await store.getDeployment(second.token)).toMatchObject({
        status: 'cancelled',
        reason: 'Cancelled by user:default/ada',
      });
      await store.callNext(SERVICE, at(3), 60_000);
      await store.start(first.token, {
        image: 'i',
        stages: [{ name: 'validate', kind: 'validate' }],
        now: at(4),
      });
      expect(await store.cancel(first.token, 'user:default/ada', at(5))).toBe(
        'requested',
      );
      expect(await store.getDeployment(first.token)).toMatchObject({
        status: 'running',
        cancelRequestedBy: 'user:default/ada',
      });
      expect(await store.cancel(second.token, 'user:default/ada', at(6))).toBe(
        'not-active',
      );
    });

    it('does not call while the queue is locked', async () => {
      const { store } = await createStore();
      const first = await request(store, at(0));
      await store.lock({
        entityRef: SERVICE,
        lockedBy: 'user:default/grace',
        reason: 'Incident INC-1',
        lockedAt: at(1),
      });
      expect(await store.getLock(SERVICE)).toEqual({
        entityRef: SERVICE,
        lockedBy: 'user:default/grace',
        reason: 'Incident INC-1',
        lockedAt: at(1),
      });
      expect(await store.callNext(SERVICE, at(2), 60_000)).toBeUndefined();
      expect(await store.unlock(SERVICE)).toBe(true);
      expect(await store.unlock(SERVICE)).toBe(false);
      expect((await store.callNext(SERVICE, at(3), 60_000))?.token).toBe(
        first.token,
      );
    });

    it('leases each due run to one owner at a time', async () => {
      const { store } = await createStore();
      const d = await request(store, at(0));
      await store.callNext(SERVICE, at(1), 60_000);
      await store.start(d.token, {
        image: 'i',
        stages: [{ name: 'validate', kind: 'validate' }],
        now: at(2),
      });
      const claims = await Promise.all(
        ['a', 'b', 'c', 'd'].map(owner =>
          store.claimDue(owner, at(3), 30_000, 10),
        ),
      );
      expect(claims.flat()).toEqual([d.token]);
      // A lapsed lease can be taken over; a released one is due at the given time.
      expect(await store.claimDue('e', at(40), 30_000, 10)).toEqual([d.token]);
      await store.release(d.token, 'e', at(50));
      expect(await store.claimDue('f', at(45), 30_000, 10)).toEqual([]);
      expect(await store.claimDue('f', at(50), 30_000, 10)).toEqual([d.token]);
    });

    it('keeps stages, logs and approvals', async () => {
      const { store } = await createStore();
      const d = await request(store, at(0));
      await store.callNext(SERVICE, at(1), 60_000);
      await store.start(d.token, {
        image: 'i',
        stages: [
          { name: 'validate', kind: 'validate' },
          { name: 'uat.deploy', kind: 'deploy', environment: 'uat' },
        ],
        now: at(2),
      });
      await store.updateStage(d.token, 1, {
        status: 'running',
        startedAt: at(3),
        actor: 'delivery',
        data: { backup: 'x' },
        incrementAttempts: true,
      });
      await store.updateStage(d.token, 1, { incrementAttempts: true });
      await store.appendStages(d.token, [
        { name: 'uat.rollback', kind: 'rollback', environment: 'uat' },
      ]);
      await store.appendLog(d.token, 1, 'info', 'Set image i', at(4));
      await store.addApproval({
        token: d.token,
        approver: 'user:default/grace',
        kind: 'production',
        approvedAt: at(5),
      });
      await store.addApproval({
        token: d.token,
        approver: 'user:default/grace',
        kind: 'production',
        approvedAt: at(6),
      });
      const stages = await store.listStages(d.token);
      expect(stages.map(s => [s.position, s.name, s.status])).toEqual([
        [0, 'validate', 'pending'],
        [1, 'uat.deploy', 'running'],
        [2, 'uat.rollback', 'pending'],
      ]);
      expect(stages[1]).toMatchObject({
        environment: 'uat',
        actor: 'delivery',
        attempts: 2,
        data: { backup: 'x' },
        startedAt: at(3),
      });
      expect(await store.listLogs(d.token)).toEqual([
        {
          token: d.token,
          position: 1,
          at: at(4),
          level: 'info',
          message: 'Set image i',
        },
      ]);
      expect(await store.listApprovals(d.token)).toEqual([
        {
          token: d.token,
          approver: 'user:default/grace',
          kind: 'production',
          approvedAt: at(5),
        },
      ]);
    });

    it('migrates down and up again', async () => {
      const { knex } = await createStore();
      await rollbackDeliveryDatabase(knex);
      expect(await knex.schema.hasTable('delivery_deployments')).toBe(false);
      await migrateDeliveryDatabase(knex);
      expect(await knex.schema.hasTable('delivery_stages')).toBe(true);
    });
  },
);
