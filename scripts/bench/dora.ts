/*
 * (g) DORA at scale, on PostgreSQL: 2,000 services × 1 year (about 3.6 M production deployments,
 * 5.4 M commits and 180 k incidents) in the delivery plugin's own tables, then the queries behind
 * an organisation card (all 2,000 services, 12 weeks by week), a team card (20 services) and a
 * service card, each next to a bare `count(*)` over the same deployments. Prints figures;
 * asserts nothing.
 *
 * The rows are written with generate_series in time order (as ingestion writes them), not through
 * the ingestion path: 9 M events through
 * it would measure the insert path for an hour, not the card. The ingestion path is what the
 * demo and the tests use.
 */
import {
  DEFAULT_DORA_TARGETS,
  DEFAULT_DORA_TIERS,
  doraMetrics,
} from '@internal/plugin-delivery-common';
import knexFactory, { Knex } from 'knex';
import { performance } from 'node:perf_hooks';
import {
  createDeliveryDatabase,
  dropDeliveryDatabase,
} from '../../plugins/delivery-backend/dev/replicas';
import { migrateDeliveryDatabase } from '../../plugins/delivery-backend/src/database/DatabaseObservedVersionsStore';
import { DatabaseDoraStore } from '../../plugins/delivery-backend/src/dora/DatabaseDoraStore';
import { percentile } from './stats';

const SERVICES = 2000;
const PER_SERVICE = 1800; // a year of about five production deployments a day
const DAY = 86_400_000;
const YEAR = 365 * DAY;
const RUNS = 10;

const refs = (n: number, offset = 0) =>
  Array.from(
    { length: n },
    (_, i) => `component:default/svc-${offset + i + 1}`,
  );

async function fill(db: Knex, end: number) {
  const start = end - YEAR;
  await db.raw('SELECT setseed(0.42)');
  // Deployments: evenly spread with jitter; 3 % fail in production, 2 % are rework.
  await db.raw(
    `INSERT INTO delivery_dora_deployments
       (id, entity_ref, sha, deployed_at, status, production, source, failed, rework)
     SELECT 'bench:' || s || ':' || n,
            'component:default/svc-' || s,
            md5(s || ':' || n),
            ?::bigint + (n::bigint * ?::bigint / ?) + (random() * 3600000)::bigint,
            CASE WHEN random() < 0.97 THEN 'success' ELSE 'failure' END,
            true, 'github', false, random() < 0.02
     FROM generate_series(1, ?) s, generate_series(1, ?) n
     ORDER BY 4`,
    [start, YEAR, PER_SERVICE, SERVICES, PER_SERVICE],
  );
  await db.raw(
    `UPDATE delivery_dora_deployments SET failed = true WHERE status = 'failure'`,
  );
  // Commits: one or two per successful deployment, lead times from minutes to days.
  await db.raw(
    `INSERT INTO delivery_dora_changes
       (entity_ref, sha, committed_at, pushed_at, deployment_id, deployed_at, lead_ms)
     SELECT d.entity_ref, md5(d.id || ':' || c), d.deployed_at - l.lead, d.deployed_at - l.lead,
            d.id, d.deployed_at, l.lead
     FROM delivery_dora_deployments d
     CROSS JOIN generate_series(1, 2) c
     CROSS JOIN LATERAL (SELECT (60000 + random() * random() * random() * 604800000)::bigint
                         + c * 0 AS lead) l
     WHERE d.status = 'success' AND (c = 1 OR random() < 0.5)
     ORDER BY d.deployed_at`,
  );
  // Incidents: one per failed deployment, recovered in minutes to hours.
  await db.raw(
    `INSERT INTO delivery_dora_incidents
       (id, entity_ref, title, source, started_at, resolved_at, recovery_ms, deployment_id)
     SELECT 'inc:' || d.id, d.entity_ref, 'Bench incident', 'github', d.deployed_at + 60000,
            d.deployed_at + 60000 + r.ms, r.ms, d.id
     FROM delivery_dora_deployments d
     CROSS JOIN LATERAL (SELECT (60000 + random() * random() * 14400000)::bigint
                         + length(d.id) * 0 AS ms) r
     WHERE d.failed`,
  );
  await db.raw(
    `INSERT INTO delivery_dora_services (entity_ref)
     SELECT 'component:default/svc-' || s FROM generate_series(1, ?) s`,
    [SERVICES],
  );
  await db.raw('VACUUM ANALYZE delivery_dora_deployments');
  await db.raw('VACUUM ANALYZE delivery_dora_changes');
  await db.raw('VACUUM ANALYZE delivery_dora_incidents');
}

async function time(fn: () => Promise<unknown>) {
  const values: number[] = [];
  await fn(); // warm the cache once
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await fn();
    values.push(performance.now() - t0);
  }
  values.sort((a, b) => a - b);
  return values;
}

const f = (values: number[]) =>
  `median ${percentile(values, 50).toFixed(0)} ms, max ${values[
    values.length - 1
  ].toFixed(0)} ms`;

export async function doraPhase(postgres: string) {
  // DORA_BENCH_KEEP=1 keeps the filled database for the next run (EXPLAIN, tuning).
  const keep = process.env.DORA_BENCH_KEEP === '1';
  const prefix = keep
    ? 'delivery_bench_dora_kept_'
    : `delivery_bench_dora_${process.pid}_`;
  const admin = knexFactory({ client: 'pg', connection: postgres });
  const kept = keep
    ? (
        await admin.raw('SELECT 1 FROM pg_database WHERE datname = ?', [
          `${prefix}delivery`,
        ])
      ).rows.length > 0
    : false;
  await admin.destroy();
  if (!kept) await createDeliveryDatabase(postgres, prefix);
  const db = knexFactory({
    client: 'pg',
    connection: `${postgres.replace(/\/$/, '')}/${prefix}delivery`,
    pool: { min: 1, max: 4 },
  });
  try {
    await migrateDeliveryDatabase(db);
    const t0 = performance.now();
    let end = Date.now();
    if (kept) {
      const last = await db('delivery_dora_deployments').max({
        at: 'deployed_at',
      });
      end = Number(last[0].at) + 1;
    } else {
      await fill(db, end);
    }
    const counts = await db.raw(
      `SELECT (SELECT count(*) FROM delivery_dora_deployments) AS deployments,
              (SELECT count(*) FROM delivery_dora_changes) AS changes,
              (SELECT count(*) FROM delivery_dora_incidents) AS incidents`,
    );
    const c = counts.rows[0];
    console.log(
      `(g) DORA: ${Number(c.deployments).toLocaleString(
        'en',
      )} deployments, ${Number(c.changes).toLocaleString(
        'en',
      )} commits, ${Number(c.incidents).toLocaleString(
        'en',
      )} incidents of ${SERVICES} services over a year, written in ${(
        (performance.now() - t0) /
        1000
      ).toFixed(0)} s`,
    );
    const store = new DatabaseDoraStore(db);
    const window = {
      from: end - 12 * 7 * DAY,
      to: end,
      intervalMs: 7 * DAY,
    };
    const scopes = [
      {
        name: 'organisation card (2,000 services, 12 weeks by week)',
        refs: refs(SERVICES),
        teams: 100,
      },
      {
        name: 'team card (20 services, 12 weeks by week)',
        refs: refs(20, 40),
        teams: 1,
      },
      {
        name: 'service card (1 service, 12 weeks by week)',
        refs: refs(1, 7),
        teams: 1,
      },
    ];
    for (const scope of scopes) {
      let rows = 0;
      const card = await time(async () => {
        const { total, intervals } = await store.aggregate({
          entityRefs: scope.refs,
          window,
        });
        rows = total.attempts;
        doraMetrics(
          {
            ...total,
            periodMs: window.to - window.from,
            services: scope.refs.length,
            teams: scope.teams,
          },
          {
            tiers: DEFAULT_DORA_TIERS,
            targets: DEFAULT_DORA_TARGETS,
            scope: 'group',
          },
        );
        return intervals;
      });
      // The same deployments, counted as simply as SQL can: by time alone when the scope is every
      // service (as the card reads them), else by time and service.
      const all = scope.refs.length === SERVICES;
      const bare = await time(() =>
        db('delivery_dora_deployments')
          .count({ n: '*' })
          .where('deployed_at', '>=', window.from)
          .andWhere('deployed_at', '<', window.to)
          .modify(q => (all ? q : q.whereIn('entity_ref', scope.refs))),
      );
      console.log(
        `    ${scope.name}: ${f(card)} over ${rows.toLocaleString(
          'en',
        )} deployments and their commits; bare count(*) of those deployments ${f(
          bare,
        )}; ratio ${(percentile(card, 50) / percentile(bare, 50)).toFixed(1)}×`,
      );
    }
  } finally {
    await db.destroy();
    if (!keep) await dropDeliveryDatabase(postgres, prefix);
  }
}
