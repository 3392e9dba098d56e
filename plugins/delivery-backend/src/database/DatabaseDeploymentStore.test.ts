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
/** Catalogued a second time, on payments-api's workload. */
const TWIN = 'component:default/payments-twin';
const WORKLOADS: Record<string, string> = {
  [SERVICE]: 'payments/payments-api',
  [TWIN]: 'payments/payments-api',
  [OTHER]: 'storefront/checkout-web',
};
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
        workload: WORKLOADS[entityRef],
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

    const callDue = (
      store: DatabaseDeploymentStore,
      now: Date,
      callTimeoutMs = 60_000,
      entityRef?: string,
    ) =>
      store.callDue({
        now,
        callTimeoutMs,
        ...(entityRef ? { entityRef } : {}),
      });

    const start = (store: DatabaseDeploymentStore, token: string, now: Date) =>
      store.start({
        token,
        image: 'acme/api:aaaaaaa',
        now,
        then: async () => {},
      });

    it('calls the head of each queue only when nothing is active there, FIFO', async () => {
      const { store } = await createStore();
      const first = await request(store, at(0));
      const second = await request(store, at(1));
      const elsewhere = await request(store, at(2), OTHER);
      expect(await store.queuePosition({ deployment: first })).toBe(1);
      expect(await store.queuePosition({ deployment: second })).toBe(2);

      // Only the given service's queue, when one is given.
      const called = await callDue(store, at(3), 15 * 60_000, SERVICE);
      expect(called).toEqual([
        expect.objectContaining({
          token: first.token,
          status: 'called',
          callExpiresAt: new Date(at(3).getTime() + 15 * 60_000),
        }),
      ]);
      // Every queue at once otherwise: the other service's head, not a second of this one.
      expect((await callDue(store, at(4))).map(d => d.token)).toEqual([
        elsewhere.token,
      ]);
      expect(await callDue(store, at(4))).toEqual([]);
      expect((await store.getDeployment({ token: second.token }))!.status).toBe(
        'queued',
      );

      let inTransaction = false;
      expect(
        await store.start({
          token: first.token,
          image: 'acme/api:aaaaaaa',
          now: at(5),
          then: async () => {
            inTransaction = true;
          },
        }),
      ).toBe('started');
      expect(inTransaction).toBe(true);
      expect(await store.getDeployment({ token: first.token })).toMatchObject({
        status: 'running',
        image: 'acme/api:aaaaaaa',
        startedAt: at(5),
      });
      expect(await start(store, first.token, at(5))).toBe('not-called');
      expect(await callDue(store, at(6))).toEqual([]);
      expect(
        await store.finish({
          token: first.token,
          status: 'succeeded',
          now: at(7),
        }),
      ).toBe(true);
      expect(
        await store.finish({
          token: first.token,
          status: 'failed',
          now: at(7),
        }),
      ).toBe(false);
      expect((await callDue(store, at(8))).map(d => d.token)).toEqual([
        second.token,
      ]);
      expect(
        (await store.listHistory({ entityRef: SERVICE, limit: 10 })).map(
          d => d.token,
        ),
      ).toEqual([first.token]);
    });

    it('starts nothing when the transaction that creates the run fails', async () => {
      const { store } = await createStore();
      const first = await request(store, at(0));
      await callDue(store, at(1));
      await expect(
        store.start({
          token: first.token,
          image: 'i',
          now: at(2),
          then: async () => {
            throw new Error('no handler for stage kind print');
          },
        }),
      ).rejects.toThrow('no handler for stage kind print');
      expect(await store.getDeployment({ token: first.token })).toMatchObject({
        status: 'called',
      });
    });

    it('never has two active deployments for one service when callers race', async () => {
      const { store } = await createStore();
      for (let i = 0; i < 5; i++) await request(store, at(i));
      const results = await Promise.all(
        Array.from({ length: 8 }, () => callDue(store, at(10))),
      );
      expect(results.flat()).toHaveLength(1);
      const queue = await store.listQueue({ entityRef: SERVICE });
      expect(queue.filter(d => d.status === 'called')).toHaveLength(1);
    });

    it('keeps one active deployment per workload, whichever entity asked for it', async () => {
      const { store } = await createStore();
      const mine = await request(store, at(0));
      const twin = await request(store, at(1), TWIN);
      const other = await request(store, at(2), OTHER);
      expect(twin.workload).toBe('payments/payments-api');
      const called = await callDue(store, at(10));
      expect(called.map(d => d.token).sort()).toEqual(
        [mine.token, other.token].sort(),
      );
      expect((await store.getDeployment({ token: twin.token }))?.status).toBe(
        'queued',
      );
      await store.finish({
        token: mine.token,
        status: 'succeeded',
        now: at(20),
      });
      expect((await callDue(store, at(21))).map(d => d.token)).toEqual([
        twin.token,
      ]);
    });

    it('prunes deployments finished before the retention, with their approvals, never active ones', async () => {
      const { knex, store } = await createStore();
      const old = await request(store, at(0));
      const recent = await request(store, at(1), OTHER);
      const waiting = await request(store, at(2), TWIN);
      await store.addApproval({
        approval: {
          token: old.token,
          approver: 'user:default/grace',
          kind: 'request',
          approvedAt: at(0),
        },
      });
      await knex('delivery_deployments')
        .where({ token: old.token })
        .update({ status: 'succeeded', finished_at: at(10) });
      await knex('delivery_deployments')
        .where({ token: recent.token })
        .update({ status: 'failed', finished_at: at(100) });

      expect(await store.prune({ before: at(50) })).toBe(1);

      expect(await store.getDeployment({ token: old.token })).toBeUndefined();
      expect(await store.listApprovals({ tokens: [old.token] })).toEqual([]);
      expect(await store.getDeployment({ token: recent.token })).toBeDefined();
      expect(
        (await store.getDeployment({ token: waiting.token }))?.status,
      ).toBe('queued');
    });

    it('expires a call that is not started in time', async () => {
      const { store } = await createStore();
      const first = await request(store, at(0));
      const second = await request(store, at(1));
      await callDue(store, at(2), 10_000);
      expect(await store.expireCalls({ now: at(11) })).toEqual([]);
      const expired = await store.expireCalls({ now: at(12) });
      expect(expired.map(d => [d.token, d.status])).toEqual([
        [first.token, 'expired'],
      ]);
      expect(expired[0].reason).toMatch(/^Not started within the call window/);
      expect((await callDue(store, at(13), 10_000)).map(d => d.token)).toEqual([
        second.token,
      ]);
    });

    it('cancels waiting deployments, not running ones', async () => {
      const { store } = await createStore();
      const first = await request(store, at(0));
      const second = await request(store, at(1));
      const cancel = (token: string) =>
        store.cancelWaiting({
          token,
          reason: 'Cancelled by user:default/ada',
          now: at(2),
        });
      expect(await cancel(second.token)).toBe(true);
      expect(await store.getDeployment({ token: second.token })).toMatchObject({
        status: 'cancelled',
        reason: 'Cancelled by user:default/ada',
      });
      await callDue(store, at(3));
      await start(store, first.token, at(4));
      expect(await cancel(first.token)).toBe(false);
      expect(await cancel(second.token)).toBe(false);
      expect(await store.getDeployment({ token: first.token })).toMatchObject({
        status: 'running',
      });
    });

    it('does not call while the queue is locked', async () => {
      const { store } = await createStore();
      const first = await request(store, at(0));
      const other = await request(store, at(0), OTHER);
      const lock = {
        entityRef: SERVICE,
        lockedBy: 'user:default/grace',
        reason: 'Incident INC-1',
        lockedAt: at(1),
      };
      await store.lock({ lock });
      expect(await store.getLock({ entityRef: SERVICE })).toEqual(lock);
      expect((await callDue(store, at(2))).map(d => d.token)).toEqual([
        other.token,
      ]);
      expect(await store.unlock({ entityRef: SERVICE })).toBe(true);
      expect(await store.unlock({ entityRef: SERVICE })).toBe(false);
      expect((await callDue(store, at(3))).map(d => d.token)).toEqual([
        first.token,
      ]);
    });

    it('locking a queue un-calls its head, in the same transaction, and start refuses a locked queue or an expired call', async () => {
      const { store, knex } = await createStore();
      const first = await request(store, at(0));
      const second = await request(store, at(1));
      expect((await callDue(store, at(2), 10_000)).map(d => d.token)).toEqual([
        first.token,
      ]);
      const lock = {
        entityRef: SERVICE,
        lockedBy: 'user:default/grace',
        reason: 'Incident INC-2',
        lockedAt: at(3),
      };
      const uncalled = await store.lock({ lock });
      expect(uncalled.map(d => [d.token, d.status])).toEqual([
        [first.token, 'queued'],
      ]);
      expect(await store.getDeployment({ token: first.token })).toMatchObject({
        status: 'queued',
      });
      expect(
        (await store.getDeployment({ token: first.token }))?.calledAt,
      ).toBeUndefined();
      // Still first in line, and nothing is called while the lock holds.
      expect(await store.queuePosition({ deployment: first })).toBe(1);
      expect(await callDue(store, at(4))).toEqual([]);
      await store.unlock({ entityRef: SERVICE });
      expect((await callDue(store, at(5), 10_000)).map(d => d.token)).toEqual([
        first.token,
      ]);
      // Locked between the call and the start: start refuses and changes nothing.
      await store.lock({ lock: { ...lock, lockedAt: at(6) } });
      await store.unlock({ entityRef: SERVICE });
      await callDue(store, at(7), 10_000);
      await store
        .lock({ lock: { ...lock, lockedAt: at(8) } })
        .then(() => undefined);
      expect(await start(store, first.token, at(9))).toBe('not-called');
      await store.unlock({ entityRef: SERVICE });
      await callDue(store, at(10), 10_000);
      await knex('delivery_queue_locks').insert({
        entity_ref: SERVICE,
        locked_by: 'user:default/grace',
        reason: 'Inserted without un-calling',
        locked_at: at(11),
      });
      expect(await start(store, first.token, at(11))).toBe('locked');
      await store.unlock({ entityRef: SERVICE });
      // A call that ran out cannot be started, even before the expiry sweep saw it.
      expect(await start(store, first.token, at(25))).toBe('expired');
      expect(await store.getDeployment({ token: first.token })).toMatchObject({
        status: 'called',
      });
      expect(await start(store, first.token, at(19))).toBe('started');
      expect(second.status).toBe('queued');
    });

    it('keeps approvals once per approver and kind', async () => {
      const { store } = await createStore();
      const d = await request(store, at(0));
      const approval = {
        token: d.token,
        approver: 'user:default/grace',
        kind: 'production' as const,
        approvedAt: at(5),
      };
      await store.addApproval({ approval });
      await store.addApproval({ approval: { ...approval, approvedAt: at(6) } });
      expect(await store.listApprovals({ tokens: [d.token] })).toEqual([
        approval,
      ]);
      expect(await store.listApprovals({ tokens: [] })).toEqual([]);
    });

    it('migrates down and up again', async () => {
      const { knex } = await createStore();
      await rollbackDeliveryDatabase(knex);
      expect(await knex.schema.hasTable('delivery_deployments')).toBe(false);
      await migrateDeliveryDatabase(knex);
      expect(await knex.schema.hasTable('delivery_runs')).toBe(true);
      expect(await knex.schema.hasTable('delivery_stages')).toBe(false);
    });
  },
);
