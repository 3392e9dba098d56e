import { TestDatabaseId } from '@backstage/backend-test-utils';
import {
  DEFAULT_DORA_TARGETS,
  DEFAULT_DORA_TIERS,
  DoraEvent,
  doraMetrics,
} from '@internal/plugin-delivery-common';
import { createTestDatabases } from '../__testUtils__/databases';
import { migrateDeliveryDatabase } from '../database/DatabaseObservedVersionsStore';
import { DatabaseDoraStore } from './DatabaseDoraStore';

jest.setTimeout(60_000);

const databases = createTestDatabases();

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
/** Monday 2 November 2026, local midnight in Central Europe (UTC+1): 1 November 23:00 UTC. */
const T0 = Date.parse('2026-11-02T00:00:00+01:00');
const A = 'component:default/a';
const B = 'component:default/b';
const C = 'component:default/c';

const sha = (name: string) => name.padEnd(40, '0').replace(/[^0-9a-f]/g, 'f');
const SHA = {
  c1: sha('c1'),
  c2: sha('c2'),
  c3: sha('c3'),
  c4: sha('c4'),
  c5: sha('c5'),
  c6: sha('c6'),
  k1: sha('b1'),
  x: sha('ee'),
};

function deployment(
  id: string,
  at: number,
  s: string,
  extra: Partial<Extract<DoraEvent, { type: 'deployment' }>> = {},
): DoraEvent {
  return {
    type: 'deployment',
    sourceId: id,
    source: 'github',
    entityRef: A,
    sha: s,
    at,
    status: 'success',
    production: true,
    ...extra,
  } as DoraEvent;
}

/**
 * A known history, two weeks from T0. Lead times (minutes), week 0: c1 90, c2 70, c3 60, c4 240,
 * c5 10; week 1: c6 1500 (A), k1 120 (B). Incidents: i1 (caused by d4, 30 min), i2 (no cause,
 * from the end of week 0 into week 1, 180 min).
 */
const HISTORY: DoraEvent[] = [
  // Before the period: not counted.
  deployment('before', T0 - 1, SHA.x),
  {
    type: 'push',
    sourceId: 'push-1',
    source: 'github',
    entityRef: A,
    at: T0 + HOUR,
    commits: [
      { sha: SHA.c1, committedAt: Date.parse('2026-11-02T05:00:00+05:30') }, // T0 + 30 min
      { sha: SHA.c2, committedAt: T0 + 50 * MIN },
    ],
  },
  // Carries the pushed commits c1 and c2.
  deployment('d1', T0 + 2 * HOUR, SHA.c2),
  // Carries the commits it names: c3.
  deployment('d2', T0 + 4 * HOUR, SHA.c3, {
    source: 'portal',
    token: 'DEP-1793660400000-000001',
    commits: [{ sha: SHA.c3, committedAt: T0 + 3 * HOUR }],
  }),
  // Failed in production.
  deployment('d3', T0 + 5 * HOUR, SHA.c3, { status: 'failure' }),
  // c3 again (its lead time stays d2's) and c4.
  deployment('d4', T0 + DAY, SHA.c4, {
    commits: [
      { sha: SHA.c3, committedAt: T0 + 3 * HOUR },
      { sha: SHA.c4, committedAt: T0 + 20 * HOUR },
    ],
  }),
  {
    type: 'incident',
    sourceId: 'i1-opened',
    source: 'github',
    entityRef: A,
    incidentId: 'i1',
    title: 'Checkout errors',
    startedAt: T0 + DAY + HOUR,
    sha: SHA.c4.slice(0, 7),
  },
  // Made while i1 is open: rework.
  deployment('d5', T0 + DAY + 70 * MIN, SHA.c5, {
    commits: [{ sha: SHA.c5, committedAt: T0 + DAY + HOUR }],
  }),
  {
    type: 'incident',
    sourceId: 'i1-closed',
    source: 'github',
    entityRef: A,
    incidentId: 'i1',
    title: 'Checkout errors',
    startedAt: T0 + DAY + HOUR,
    resolvedAt: T0 + DAY + 90 * MIN,
    sha: SHA.c4.slice(0, 7),
  },
  // Spans weeks 0 and 1: counted in week 0, where it started.
  {
    type: 'incident',
    sourceId: 'i2',
    source: 'portal',
    entityRef: A,
    incidentId: 'i2',
    title: 'Latency',
    startedAt: T0 + WEEK - HOUR,
    resolvedAt: T0 + WEEK + 2 * HOUR,
  },
  // Week 1: during i2, rework.
  deployment('d6', T0 + WEEK + HOUR, SHA.c6, {
    commits: [{ sha: SHA.c6, committedAt: T0 + 6 * DAY }],
  }),
  // An attempt that never reached production.
  deployment('d7', T0 + 8 * DAY, SHA.x, {
    status: 'failure',
    production: false,
  }),
  {
    type: 'deployment',
    sourceId: 'e1',
    source: 'portal',
    entityRef: B,
    sha: SHA.k1,
    at: T0 + 8 * DAY,
    status: 'success',
    production: true,
    token: 'DEP-1794268800000-000002',
    commits: [{ sha: SHA.k1, committedAt: T0 + 8 * DAY - 2 * HOUR }],
  },
  // After the period.
  deployment('after', T0 + 2 * WEEK, SHA.x),
];

const window = { from: T0, to: T0 + 2 * WEEK, intervalMs: WEEK };

describe.each(databases.eachSupportedId())(
  'DatabaseDoraStore on %p',
  (databaseId: TestDatabaseId) => {
    async function createStore() {
      const knex = await databases.init(databaseId);
      await migrateDeliveryDatabase(knex);
      return new DatabaseDoraStore(knex);
    }

    async function withHistory() {
      const store = await createStore();
      for (const event of HISTORY) {
        expect(await store.ingest(event, T0 + 3 * WEEK)).toBe(true);
      }
      return store;
    }

    it('counts a known history per interval and over the period', async () => {
      const store = await withHistory();
      const { total, intervals } = await store.aggregate({
        entityRefs: [A, B],
        window,
      });
      expect(intervals).toHaveLength(2);
      expect(intervals[0]).toEqual({
        deployments: 4,
        productionDeployments: 5,
        failedDeployments: 2,
        attempts: 5,
        succeeded: 4,
        rework: 1,
        incidents: 2,
        leadTime: { count: 5, p50: 70 * MIN, p90: 240 * MIN },
        recoveryTime: { count: 2, p50: 30 * MIN, p90: 180 * MIN },
      });
      expect(intervals[1]).toEqual({
        deployments: 2,
        productionDeployments: 2,
        failedDeployments: 0,
        attempts: 3,
        succeeded: 2,
        rework: 1,
        incidents: 0,
        leadTime: { count: 2, p50: 120 * MIN, p90: 1500 * MIN },
        recoveryTime: { count: 0 },
      });
      expect(total).toEqual({
        deployments: 6,
        productionDeployments: 7,
        failedDeployments: 2,
        attempts: 8,
        succeeded: 6,
        rework: 2,
        incidents: 2,
        leadTime: { count: 7, p50: 90 * MIN, p90: 1500 * MIN },
        recoveryTime: { count: 2, p50: 30 * MIN, p90: 180 * MIN },
      });

      const metrics = doraMetrics(
        { ...total, periodMs: 2 * WEEK, services: 2, teams: 1 },
        {
          tiers: DEFAULT_DORA_TIERS,
          targets: DEFAULT_DORA_TARGETS,
          scope: 'group',
        },
      );
      expect(metrics.deploymentFrequency.value).toBeCloseTo(6 / 14, 10);
      expect(metrics.deploymentFrequency.bucket).toBe('daily');
      expect(metrics.deploymentFrequency.tier).toBe('high');
      expect(metrics.deploymentFrequency.target).toEqual({
        value: 5,
        comparison: 'atLeast',
        met: false,
      });
      expect(metrics.leadTime).toMatchObject({
        value: 90 * MIN,
        p90: 1500 * MIN,
        count: 7,
        tier: 'elite',
        target: { met: true },
      });
      expect(metrics.changeFailureRate).toMatchObject({
        value: 2 / 7,
        numerator: 2,
        count: 7,
        tier: 'low',
        target: { met: false },
      });
      expect(metrics.recoveryTime).toMatchObject({
        value: 30 * MIN,
        tier: 'elite',
        target: { value: 5 * MIN, met: false },
      });
      expect(metrics.successRate).toMatchObject({ value: 6 / 8 });
      expect(metrics.reworkRate).toMatchObject({ value: 2 / 7 });
    });

    it('scopes to the services asked for; none or unknown ones give no values', async () => {
      const store = await withHistory();
      const onlyB = await store.aggregate({ entityRefs: [B], window });
      expect(onlyB.total).toMatchObject({
        deployments: 1,
        attempts: 1,
        incidents: 0,
        leadTime: { count: 1, p50: 120 * MIN, p90: 120 * MIN },
      });
      const none = await store.aggregate({ entityRefs: [C], window });
      expect(none.total).toEqual({
        deployments: 0,
        productionDeployments: 0,
        failedDeployments: 0,
        attempts: 0,
        succeeded: 0,
        rework: 0,
        incidents: 0,
        leadTime: { count: 0 },
        recoveryTime: { count: 0 },
      });
      const metrics = doraMetrics(
        { ...none.total, periodMs: 2 * WEEK, services: 1, teams: 1 },
        {
          tiers: DEFAULT_DORA_TIERS,
          targets: DEFAULT_DORA_TARGETS,
          scope: 'entity',
        },
      );
      expect(metrics.deploymentFrequency).toMatchObject({
        value: 0,
        bucket: 'none',
        tier: 'low',
      });
      expect(metrics.leadTime.value).toBeUndefined();
      expect(metrics.changeFailureRate.value).toBeUndefined();
      expect(metrics.recoveryTime.value).toBeUndefined();
      expect(metrics.successRate.target?.met).toBeUndefined();
    });

    it('stores a replayed event once and a single deployment alone', async () => {
      const store = await createStore();
      const one = deployment('only', T0 + HOUR, SHA.c1, {
        commits: [{ sha: SHA.c1, committedAt: T0 }],
      });
      expect(await store.ingest(one)).toBe(true);
      expect(await store.ingest(one)).toBe(false);
      expect(await store.stored(['only', 'other'])).toEqual(new Set(['only']));
      expect(await store.stored([])).toEqual(new Set());
      expect(await Promise.all([store.ingest(one), store.ingest(one)])).toEqual(
        [false, false],
      );
      const { total } = await store.aggregate({ entityRefs: [A], window });
      expect(total).toMatchObject({
        deployments: 1,
        attempts: 1,
        leadTime: { count: 1, p50: HOUR, p90: HOUR },
      });
    });

    it('cuts intervals from the given start, so local days stay local', async () => {
      const store = await withHistory();
      // d1 and d2 are on Monday 2 November in Central Europe (from 23:00 UTC the day before).
      const days = await store.aggregate({
        entityRefs: [A],
        window: { from: T0, to: T0 + 2 * DAY, intervalMs: DAY },
      });
      expect(days.intervals.map(i => i.deployments)).toEqual([2, 2]);
      // The same days in UTC put the 'before' deployment (T0 − 1 ms) in the first day.
      const utc = Date.parse('2026-11-01T00:00:00Z');
      const utcDays = await store.aggregate({
        entityRefs: [A],
        window: { from: utc, to: utc + 2 * DAY, intervalMs: DAY },
      });
      expect(utcDays.intervals.map(i => i.deployments)).toEqual([1, 3]);
    });

    it('links what arrives out of order: an incident before its deployment, a push after it', async () => {
      const store = await createStore();
      await store.ingest({
        type: 'incident',
        sourceId: 'early',
        source: 'github',
        entityRef: A,
        incidentId: 'early',
        title: 'Broken',
        startedAt: T0 + 2 * HOUR,
        resolvedAt: T0 + 3 * HOUR,
        sha: SHA.c2.slice(0, 8),
      });
      await store.ingest(deployment('late', T0 + HOUR, SHA.c2));
      await store.ingest({
        type: 'push',
        sourceId: 'late-push',
        source: 'github',
        entityRef: A,
        at: T0 + 30 * MIN,
        commits: [
          { sha: SHA.c1, committedAt: T0 },
          { sha: SHA.c2, committedAt: T0 + 20 * MIN },
        ],
      });
      const { total } = await store.aggregate({ entityRefs: [A], window });
      expect(total).toMatchObject({
        failedDeployments: 1,
        productionDeployments: 1,
        leadTime: { count: 2, p50: 40 * MIN, p90: HOUR },
      });
      const deployments = await store.listDeployments({
        entityRefs: [A],
        from: window.from,
        to: window.to,
        limit: 10,
        offset: 0,
      });
      expect(deployments.items).toEqual([
        expect.objectContaining({
          id: 'late',
          failed: true,
          commits: 2,
          leadTimeMedian: 40 * MIN,
        }),
      ]);
    });

    it('keeps deliveries in the inbox until they are removed or too old', async () => {
      const store = await createStore();
      const id = await store.addToInbox({
        name: 'push',
        deliveryId: 'd-1',
        repository: 'acme/a',
        payload: { after: 'x', nested: { n: 1 } },
        receivedAt: T0,
      });
      await store.addToInbox({
        name: 'issues',
        repository: 'acme/a',
        payload: {},
        receivedAt: T0 + HOUR,
      });
      await store.retryLater(id, 'no entity yet');
      expect(await store.inbox({ limit: 10 })).toEqual([
        {
          id,
          name: 'push',
          deliveryId: 'd-1',
          repository: 'acme/a',
          payload: { after: 'x', nested: { n: 1 } },
          receivedAt: T0,
          attempts: 1,
        },
        expect.objectContaining({ name: 'issues', attempts: 0 }),
      ]);
      expect(await store.pruneInbox({ before: T0 + 1 })).toBe(1);
      const [left] = await store.inbox({ limit: 10 });
      await store.removeFromInbox(left.id);
      expect(await store.inbox({ limit: 10 })).toEqual([]);
    });

    it('keeps an incident resolved when an older open state arrives late, and reopens on a newer one', async () => {
      const store = await createStore();
      const base = {
        type: 'incident' as const,
        source: 'github' as const,
        entityRef: A,
        incidentId: 'late',
        title: 'Late',
        startedAt: T0 + HOUR,
      };
      await store.ingest({
        ...base,
        sourceId: 'closed',
        resolvedAt: T0 + 2 * HOUR,
        updatedAt: T0 + 2 * HOUR,
      });
      await store.ingest({ ...base, sourceId: 'opened', updatedAt: T0 + HOUR });
      const page = { entityRefs: [A], ...window, limit: 10, offset: 0 };
      expect((await store.listIncidents(page)).items[0]).toMatchObject({
        resolvedAt: T0 + 2 * HOUR,
        recoveryTime: HOUR,
      });
      await store.ingest({
        ...base,
        sourceId: 'reopened',
        updatedAt: T0 + 3 * HOUR,
      });
      expect((await store.listIncidents(page)).items[0]).not.toHaveProperty(
        'resolvedAt',
      );
    });

    it('lists the deployments, commits and incidents behind the numbers, newest first', async () => {
      const store = await withHistory();
      const page = { entityRefs: [A, B], ...window, limit: 3, offset: 0 };
      const deployments = await store.listDeployments(page);
      expect(deployments.total).toBe(8);
      expect(deployments.items.map(d => d.id)).toEqual(['e1', 'd7', 'd6']);
      expect(deployments.items[0]).toMatchObject({
        token: 'DEP-1794268800000-000002',
        source: 'portal',
        commits: 1,
        leadTimeMedian: 120 * MIN,
      });
      const commits = await store.listCommits({ ...page, limit: 10 });
      expect(commits.total).toBe(7);
      expect(commits.items.find(c => c.sha === SHA.c3)).toMatchObject({
        deploymentId: 'd2',
        token: 'DEP-1793660400000-000001',
        leadTime: 60 * MIN,
      });
      const incidents = await store.listIncidents({ ...page, limit: 10 });
      expect(incidents.items).toEqual([
        expect.objectContaining({ id: 'i2', recoveryTime: 3 * HOUR }),
        expect.objectContaining({
          id: 'i1',
          deploymentId: 'd4',
          recoveryTime: 30 * MIN,
        }),
      ]);
    });
  },
);
