/*
 * (c) The scheduler's tick at scale: 500 services with queued work on PostgreSQL, stepped by the
 * real queue and run engine in this process. Prints how long a tick takes and how many queries
 * it sends: one query finds every queue head that may be called and one finds the due runs,
 * whatever the number of services.
 */
import { LoggerService } from '@backstage/backend-plugin-api';
import knexFactory, { Knex } from 'knex';
import { performance } from 'node:perf_hooks';
import { DatabaseDeploymentStore } from '../../plugins/delivery-backend/src/database/DatabaseDeploymentStore';
import { migrateDeliveryDatabase } from '../../plugins/delivery-backend/src/database/DatabaseObservedVersionsStore';
import {
  DatabaseRunStore,
  RunEngine,
} from '../../plugins/delivery-backend/src/engine';
import { DeployQueue } from '../../plugins/delivery-backend/src/queue/DeployQueue';
import { Notifier } from '../../plugins/delivery-backend/src/services/Notifier';
import {
  createDeliveryDatabase,
  dropDeliveryDatabase,
} from '../../plugins/delivery-backend/dev/replicas';

/** A logger that says nothing (benchmarks print their own figures). */
export const silent: LoggerService = {
  error: () => {},
  warn: () => {},
  info: () => {},
  debug: () => {},
  child: () => silent,
};

const SERVICES = 500;
const QUEUED_PER_SERVICE = 3;
const HISTORY_PER_SERVICE = 20;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Counts the queries a function sends. */
async function counting<T>(
  db: Knex,
  fn: () => Promise<T>,
): Promise<{ value: T; queries: number; ms: number }> {
  let queries = 0;
  const onQuery = () => {
    queries++;
  };
  db.on('query', onQuery);
  const t0 = performance.now();
  try {
    const value = await fn();
    return { value, queries, ms: performance.now() - t0 };
  } finally {
    db.removeListener('query', onQuery);
  }
}

export async function schedulerPhase(postgres: string) {
  const prefix = `delivery_bench_tick_${process.pid}_${Date.now()}_`;
  await createDeliveryDatabase(postgres, prefix);
  const url = new URL(postgres);
  url.pathname = `/${prefix}delivery`;
  const db = knexFactory({ client: 'pg', connection: url.toString() });
  try {
    await migrateDeliveryDatabase(db);
    const store = new DatabaseDeploymentStore(db);
    const runs = new DatabaseRunStore(db);
    const queue = new DeployQueue({
      store,
      notifier: new Notifier({ logger: silent, appBaseUrl: '' }),
      callTimeoutMs: 15 * 60_000,
    });
    const engine = new RunEngine({
      store: runs,
      logger: silent,
      instanceId: 'bench',
      leaseMs: 60_000,
      retry: { maxAttempts: 10, backoffMs: () => 1_000 },
    }).register({
      kind: 'deployment',
      handlers: [],
      load: async () => ({}),
    });

    // 500 services, each with finished history and queued requests.
    const t0 = Date.UTC(2026, 0, 1);
    const rows: Record<string, unknown>[] = [];
    let ms = t0;
    for (let s = 0; s < SERVICES; s++) {
      const entityRef = `component:default/service-${s}`;
      for (let h = 0; h < HISTORY_PER_SERVICE + QUEUED_PER_SERVICE; h++) {
        ms += 1;
        const queued = h >= HISTORY_PER_SERVICE;
        rows.push({
          token: `DEP-${String(ms).padStart(13, '0')}-000000`,
          entity_ref: entityRef,
          workload: `apps/service-${s}`,
          commit_sha: 'a'.repeat(40),
          requested_by: 'user:default/bench',
          requested_at: new Date(ms),
          status: queued ? 'queued' : 'succeeded',
          ...(queued ? {} : { finished_at: new Date(ms) }),
        });
      }
    }
    for (let i = 0; i < rows.length; i += 1000) {
      await db('delivery_deployments').insert(rows.slice(i, i + 1000));
    }
    await db.raw('analyze');

    const first = await counting(db, () => queue.tick());
    const called = await db('delivery_deployments')
      .where({ status: 'called' })
      .count({ n: '*' });
    console.log(
      `\n(c) scheduler tick with ${SERVICES} services (${
        rows.length
      } deployments, ${
        SERVICES * QUEUED_PER_SERVICE
      } queued): the first tick called ${Number(
        called[0].n,
      )} queue heads in ${first.ms.toFixed(0)} ms (${
        first.queries
      } queries: 2 to find due work, then one conditional update, one lock check and one read per call)`,
    );

    // Steady state: every service has an active deployment; nothing is due.
    const times: number[] = [];
    let queries = 0;
    for (let i = 0; i < 20; i++) {
      const tick = await counting(db, async () => {
        await queue.tick();
        await engine.runDue();
      });
      times.push(tick.ms);
      queries = tick.queries;
    }
    console.log(
      `    a tick with every queue busy and nothing due: median ${median(
        times,
      ).toFixed(
        1,
      )} ms, ${queries} queries (the engine's before: 3 per service per tick, ${
        3 * SERVICES
      } here)`,
    );
  } finally {
    await db.destroy();
    await dropDeliveryDatabase(postgres, prefix);
  }
}
