/*
 * (d) What a Deployments tab view costs in GitHub calls: the routes the tab calls when it opens
 * (environments, deployments and commits at once, then eligibility of the listed commits, as
 * plugins/delivery/src/hooks do) against two delivery backend replicas, counted by the sandbox's
 * GitHub: every call, the 304s (free) and the calls GitHub counts against the token's hourly
 * rate limit. Cold (empty cache), warm, on the other replica, after a change on GitHub, and the
 * average over many views.
 *
 * With `redis-server` on PATH the replicas share a Redis cache (`backend.cache.store: redis`), as
 * production replicas should; without it each replica has its own memory cache.
 */
import { Sandbox, startSandbox } from '@internal/sandbox';
import { ChildProcess, spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import {
  Replica,
  callReplica,
  createDeliveryDatabase,
  dropDeliveryDatabase,
  freePort,
  killAllReplicas,
  replicaConfig,
  startReplica,
} from '../../plugins/delivery-backend/dev/replicas';

const SERVICE = 'payments-api';
const ENTITY = `/entities/default/component/${SERVICE}`;
const VIEWS = 50;

interface ViewCost {
  total: number;
  notModified: number;
  rateLimited: number;
  ms: number;
  byRoute: Record<string, { total: number; notModified: number }>;
  statuses: number[];
  /** The commits the view listed. */
  shas: string[];
}

/** One tab view: what the tab's hooks call when it opens. */
async function tabView(
  sandbox: Sandbox,
  replica: Replica,
  user: string,
): Promise<ViewCost> {
  sandbox.github.resetCalls();
  const t0 = performance.now();
  const [environments, deployments, commits] = await Promise.all([
    callReplica(replica, 'GET', `${ENTITY}/environments`, undefined, user),
    callReplica(replica, 'GET', `${ENTITY}/deployments`, undefined, user),
    callReplica(replica, 'GET', `${ENTITY}/commits`, undefined, user),
  ]);
  const shas: string[] = (commits.body?.commits ?? []).map((c: any) => c.sha);
  const query = shas.map(s => `commit=${s}`).join('&');
  const eligibility = await callReplica(
    replica,
    'GET',
    `${ENTITY}/eligibility?${query}`,
    undefined,
    user,
  );
  const ms = performance.now() - t0;
  const calls = sandbox.github.calls();
  return {
    total: calls.total,
    notModified: calls.notModified,
    rateLimited: calls.rateLimited,
    ms,
    byRoute: calls.byRoute,
    statuses: [environments, deployments, commits, eligibility].map(
      r => r.status,
    ),
    shas,
  };
}

async function startRedis(): Promise<
  { url: string; process: ChildProcess } | undefined
> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const ready = await new Promise<boolean>(resolve => {
    child.once('error', () => resolve(false));
    child.stdout!.on('data', chunk => {
      if (String(chunk).includes('Ready to accept connections')) resolve(true);
    });
    child.once('exit', () => resolve(false));
  });
  if (!ready) return undefined;
  return { url: `redis://127.0.0.1:${port}`, process: child };
}

const pad = (s: string | number, n: number) => String(s).padStart(n);
const padEnd = (s: string | number, n: number) => String(s).padEnd(n);

export async function githubPhase(postgres: string) {
  const sandbox = await startSandbox({
    rolloutStepMs: 20,
    traffic: { tickMs: 1000, rps: 20, seed: 1 },
  });
  const redis = await startRedis();
  const prefix = `delivery_bench_gh_${process.pid}_${Date.now()}_`;
  await createDeliveryDatabase(postgres, prefix);
  try {
    const replicas: Replica[] = [];
    for (const name of ['A', 'B']) {
      const config = replicaConfig({
        sandbox,
        port: await freePort(),
        postgres: { connection: postgres, prefix },
        delivery: {
          // The benchmark's views are one user's; the per-user limit is measured elsewhere.
          github: {
            host: 'sandbox.github',
            eligibilityRateLimit: { requests: 100_000, per: { minutes: 1 } },
          },
        },
      }) as any;
      if (redis) {
        config.backend.cache = { store: 'redis', connection: redis.url };
      }
      replicas.push(await startReplica({ name, config }));
    }
    const [a, b] = replicas;
    const ada = 'user:default/ada';
    const rows: Array<[string, ViewCost]> = [];
    rows.push([
      'cold: first view on replica A',
      await tabView(sandbox, a, ada),
    ]);
    rows.push(['warm: same view again on A', await tabView(sandbox, a, ada)]);
    rows.push([
      `the view on replica B (${
        redis ? 'shared Redis cache' : 'own memory cache'
      })`,
      await tabView(sandbox, b, ada),
    ]);

    // A change on GitHub: the pending check of main's head completes, and a commit is pushed.
    const repo = sandbox.github.state.getRepository('acme', SERVICE)!;
    const head = repo.branches.get(repo.defaultBranch)!;
    for (const run of sandbox.github.state.checkRunsFor(repo, head)) {
      if (run.status !== 'completed') {
        sandbox.github.state.setCheck(
          'acme',
          SERVICE,
          head,
          run.name,
          'success',
        );
      }
    }
    const pushed = sandbox.github.state.addCommit('acme', SERVICE, 'main', {
      message: 'Bench: a new commit on main',
      checks: [
        { name: 'build', state: 'success' },
        { name: 'unit-tests', state: 'pending' },
      ],
    });
    const afterChange = await tabView(sandbox, a, ada);
    rows.push(['after a check completed and a push', afterChange]);

    const many: ViewCost[] = [];
    for (let i = 0; i < VIEWS; i++) {
      many.push(await tabView(sandbox, replicas[i % 2], ada));
    }
    const sum = (f: (v: ViewCost) => number) =>
      many.reduce((s, v) => s + f(v), 0);
    rows.push([
      `average of ${VIEWS} more views (A and B in turn)`,
      {
        total: sum(v => v.total) / VIEWS,
        notModified: sum(v => v.notModified) / VIEWS,
        rateLimited: sum(v => v.rateLimited) / VIEWS,
        ms: sum(v => v.ms) / VIEWS,
        byRoute: {},
        statuses: many.flatMap(v => v.statuses),
        shas: [],
      },
    ]);

    console.log(
      `\n(d) GitHub calls per Deployments tab view of ${SERVICE} (environments + deployments + commits, then eligibility of the listed commits), counted by the sandbox's GitHub; replicas ${
        redis
          ? 'share a Redis cache'
          : 'each have a memory cache (no redis-server on PATH)'
      }`,
    );
    console.log(
      `${padEnd('view', 48)}${pad('calls', 7)}${pad('304s', 7)}${pad(
        'counted',
        9,
      )}${pad('ms', 8)}  HTTP statuses`,
    );
    for (const [label, v] of rows) {
      const statuses = [...new Set(v.statuses)].join('/');
      console.log(
        `${padEnd(label, 48)}${pad(
          v.total.toFixed(v.total % 1 ? 1 : 0),
          7,
        )}${pad(v.notModified.toFixed(v.notModified % 1 ? 1 : 0), 7)}${pad(
          v.rateLimited.toFixed(v.rateLimited % 1 ? 1 : 0),
          9,
        )}${pad(v.ms.toFixed(0), 8)}  ${statuses}`,
      );
    }
    const cold = rows[0][1];
    console.log('cold view by route (calls / of them 304):');
    for (const [route, c] of Object.entries(cold.byRoute).sort()) {
      console.log(
        `  ${padEnd(route, 60)}${pad(c.total, 5)} / ${c.notModified}`,
      );
    }
    const avg = rows[rows.length - 1][1].rateLimited;
    const perHour = (counted: number) =>
      counted > 0
        ? `${Math.floor(5000 / counted)} such views an hour`
        : 'any number of such views (none is charged)';
    console.log(
      `"counted" is what GitHub charges the token (every call but 304s). At the average above a 5,000/h token allows ${perHour(
        avg,
      )}; ${perHour(
        cold.rateLimited,
      )} if every view were cold. New commit ${pushed.slice(0, 7)} ${
        afterChange.shas.includes(pushed) ? 'listed' : 'NOT listed'
      } by the view after the push.`,
    );
  } finally {
    await killAllReplicas();
    redis?.process.kill();
    await sandbox.close();
    await dropDeliveryDatabase(postgres, prefix);
  }
}
