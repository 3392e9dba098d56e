/*
 * Benchmark of the deployment routes and the pipeline, with two delivery backend replicas
 * (plugins/delivery-backend/dev/replica.ts) on PostgreSQL against the sandbox, all on loopback.
 * Prints figures; asserts nothing. Run it with scripts/bench.sh.
 *
 *   (a) N concurrent clients, each looping request → read it → read the queue → cancel it on
 *       alternating replicas, for a fixed time or request count: throughput and latency per route.
 *   (b) One pipeline run with tiny verification windows: each stage's duration from the API next
 *       to the time of the bare Kubernetes API calls it makes (client-node against the sandbox).
 *   (c) The scheduler's tick with 500 services with queued work (scripts/bench/schedulerTick.ts).
 *   (d) GitHub calls per Deployments tab view, cold and warm (scripts/bench/githubBudget.ts).
 *   (e) A flag change from the API call to in-process flagd providers' evaluations, on the same
 *       and on another replica (scripts/bench/flagPropagation.ts).
 *
 * `--only scheduler` runs (c) alone, `--only github` (d) alone, `--only flags` (e) alone, `--only rollback` (f) alone, `--only dora` (g) alone, `--only ephemeral` (h) alone.
 */
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { Sandbox, buildSeed, startSandbox } from '@internal/sandbox';
import knexFactory from 'knex';
import { readFileSync, readdirSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
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
import { schedulerPhase } from './schedulerTick';
import { githubPhase } from './githubBudget';
import { flagsPhase } from './flagPropagation';
import { rollbackPhase } from './rollback';
import { ephemeralPhase } from './ephemeral';
import { doraPhase } from './dora';
import { percentile } from './stats';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const POSTGRES = option(
  'postgres',
  process.env.DELIVERY_BENCH_POSTGRES_URL ??
    'postgresql://postgres@127.0.0.1:5432',
);
const CLIENTS = Number(option('clients', '20'));
const SECONDS = Number(option('seconds', '10'));
const MAX_REQUESTS = Number(option('max-requests', '20000'));
const seed = buildSeed(Date.now());

function mainCommit(service: string, back: number): string {
  const repo = seed.repositories.find(r => r.name === service)!;
  const main = repo.commits.filter(c => !c.message.startsWith('WIP'));
  return main[main.length - 1 - back].sha;
}

const ms = (n: number) => (Number.isNaN(n) ? '-' : n.toFixed(1));
const pad = (s: string | number, n: number) => String(s).padStart(n);
const padEnd = (s: string | number, n: number) => String(s).padEnd(n);

const call = callReplica;

/** CPU seconds (user + system) a process has used so far, from /proc; 0 where there is none. */
function cpuSeconds(pid: number | string): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** CPU seconds of every PostgreSQL server process (the replicas' connections included). */
function postgresCpuSeconds(): number {
  let total = 0;
  for (const pid of readdirSync('/proc').filter(p => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres') {
        total += cpuSeconds(pid);
      }
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

function cpuSnapshot(replicas: Replica[]) {
  return {
    bench: cpuSeconds(process.pid),
    postgres: postgresCpuSeconds(),
    replicas: replicas.map(r => cpuSeconds(r.pid)),
  };
}

interface RouteStats {
  latencies: number[];
  errors: number;
}

async function loadPhase(replicas: Replica[]) {
  const sha = mainCommit('payments-api', 5);
  const entity = '/entities/default/component/payments-api';
  const stats = new Map<string, RouteStats>();
  const perReplica = new Map<string, number>();
  let sent = 0;
  let stop = false;
  const timed = async (
    route: string,
    replica: Replica,
    fn: () => Promise<{ status: number; body: any }>,
  ) => {
    const s = stats.get(route) ?? { latencies: [], errors: 0 };
    stats.set(route, s);
    sent++;
    perReplica.set(replica.name, (perReplica.get(replica.name) ?? 0) + 1);
    const t0 = performance.now();
    const res = await fn();
    s.latencies.push(performance.now() - t0);
    if (res.status >= 300) s.errors++;
    return res;
  };

  // Warm-up, not measured: one round per replica.
  for (const r of replicas) {
    const res = await call(r, 'POST', `${entity}/deployments`, {
      commitSha: sha,
    });
    await call(r, 'GET', `${entity}/deployments`);
    await call(r, 'POST', `/deployments/${res.body.deployment.token}/cancel`);
  }

  const client = async (id: number) => {
    let turn = id;
    const next = () => replicas[turn++ % replicas.length];
    while (!stop && sent < MAX_REQUESTS) {
      const r0 = next();
      const requested = await timed('POST request', r0, () =>
        call(r0, 'POST', `${entity}/deployments`, { commitSha: sha }),
      );
      const token = requested.body?.deployment?.token;
      if (!token) continue;
      const r1 = next();
      await timed('GET deployment', r1, () =>
        call(r1, 'GET', `/deployments/${token}`),
      );
      const r2 = next();
      await timed('GET queue+history', r2, () =>
        call(r2, 'GET', `${entity}/deployments`),
      );
      const r3 = next();
      await timed('POST cancel', r3, () =>
        call(r3, 'POST', `/deployments/${token}/cancel`),
      );
    }
  };
  const cpuBefore = cpuSnapshot(replicas);
  const started = performance.now();
  const timer = setTimeout(() => (stop = true), SECONDS * 1000);
  await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)));
  clearTimeout(timer);
  const elapsed = (performance.now() - started) / 1000;
  const cpuAfter = cpuSnapshot(replicas);

  console.log(
    `\n(a) ${CLIENTS} concurrent clients for ${elapsed.toFixed(
      1,
    )} s (limit ${SECONDS} s or ${MAX_REQUESTS} requests), each looping request → read → queue → cancel on alternating replicas`,
  );
  console.log(
    `${padEnd('route', 20)}${pad('requests', 9)}${pad('errors', 8)}${pad(
      'req/s',
      9,
    )}${pad('p50 ms', 9)}${pad('p95 ms', 9)}${pad('p99 ms', 9)}${pad(
      'max ms',
      9,
    )}`,
  );
  let total = 0;
  for (const [route, s] of stats) {
    const sorted = [...s.latencies].sort((x, y) => x - y);
    total += sorted.length;
    console.log(
      `${padEnd(route, 20)}${pad(sorted.length, 9)}${pad(s.errors, 8)}${pad(
        (sorted.length / elapsed).toFixed(1),
        9,
      )}${pad(ms(percentile(sorted, 50)), 9)}${pad(
        ms(percentile(sorted, 95)),
        9,
      )}${pad(ms(percentile(sorted, 99)), 9)}${pad(
        ms(sorted[sorted.length - 1]),
        9,
      )}`,
    );
  }
  console.log(
    `${padEnd('all', 20)}${pad(total, 9)}${pad('', 8)}${pad(
      (total / elapsed).toFixed(1),
      9,
    )}   (per replica: ${[...perReplica]
      .map(([n, c]) => `${n} ${c}`)
      .join(', ')})`,
  );
  const share = (seconds: number) =>
    `${((seconds / elapsed) * 100).toFixed(0)}%`;
  console.log(
    `CPU during (a), share of one core: ${replicas
      .map(
        (r, i) =>
          `replica ${r.name} ${share(
            cpuAfter.replicas[i] - cpuBefore.replicas[i],
          )}`,
      )
      .join(', ')}, PostgreSQL ${share(
      cpuAfter.postgres - cpuBefore.postgres,
    )}, this process (clients, sandbox) ${share(
      cpuAfter.bench - cpuBefore.bench,
    )}`,
  );
}

/** Bare client-node calls against one sandbox cluster: median ms of `rounds` calls each. */
async function bareKubernetes(
  sandbox: Sandbox,
  cluster: string,
  rounds: number,
) {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: cluster,
        server: sandbox.clusterUrls[cluster],
        skipTLSVerify: true,
      },
    ],
    users: [{ name: 'bench', token: 'sandbox' }],
    contexts: [{ name: cluster, cluster, user: 'bench' }],
    currentContext: cluster,
  });
  const apps = kc.makeApiClient(AppsV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const namespace = 'inventory';
  const name = 'inventory-service';
  const configMap = 'delivery-stable-inventory-service';
  const time = async (fn: () => Promise<unknown>) => {
    const samples: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const t0 = performance.now();
      await fn();
      samples.push(performance.now() - t0);
    }
    return percentile(
      samples.sort((x, y) => x - y),
      50,
    );
  };
  return {
    list: await time(() =>
      apps.listNamespacedDeployment({
        namespace,
        labelSelector: `backstage.io/kubernetes-id=${name}`,
      }),
    ),
    read: await time(() => apps.readNamespacedDeployment({ name, namespace })),
    // The same object back: a write the server must process, without a new revision.
    replace: await time(async () =>
      apps.replaceNamespacedDeployment({
        name,
        namespace,
        body: await apps.readNamespacedDeployment({ name, namespace }),
      }),
    ),
    readConfigMap: await time(() =>
      core.readNamespacedConfigMap({ name: configMap, namespace }),
    ),
    replaceConfigMap: await time(async () =>
      core.replaceNamespacedConfigMap({
        name: configMap,
        namespace,
        body: await core.readNamespacedConfigMap({
          name: configMap,
          namespace,
        }),
      }),
    ),
  };
}

async function pipelinePhase(sandbox: Sandbox, replicas: Replica[]) {
  const service = 'inventory-service';
  const entity = `/entities/default/component/${service}`;
  const deployed = Object.values(sandbox.clusters).map(
    c =>
      c.store.get('deployments', 'inventory', service)!.spec.template.spec
        .containers[0].image as string,
  );
  const repo = seed.repositories.find(r => r.name === service)!;
  const sha = repo.commits
    .filter(
      c =>
        !c.message.startsWith('WIP') &&
        c.checks.every(k => k.state === 'success'),
    )
    .map(c => c.sha)
    .reverse()
    .find(s => deployed.every(image => !image.endsWith(s.slice(0, 7))))!;
  const requested = await call(replicas[0], 'POST', `${entity}/deployments`, {
    commitSha: sha,
  });
  const token = requested.body.deployment.token;
  await call(replicas[1], 'POST', `/deployments/${token}/start`);
  let run: any;
  const deadline = Date.now() + 60_000;
  for (;;) {
    run = (await call(replicas[0], 'GET', `/deployments/${token}`)).body;
    if (!['called', 'running'].includes(run.status) || Date.now() > deadline)
      break;
    await new Promise(resolve => setTimeout(resolve, 100));
  }

  const bare: Record<string, Awaited<ReturnType<typeof bareKubernetes>>> = {};
  for (const cluster of Object.keys(sandbox.clusterUrls)) {
    bare[cluster] = await bareKubernetes(sandbox, cluster, 30);
  }
  const clusterOf = (stage: any) => stage.environment ?? 'uat';
  // The Kubernetes calls each stage kind makes (KubernetesProvider), and their bare cost.
  const kubeCalls = (
    stage: any,
  ): { calls: string; bareMs: number } | undefined => {
    const b = bare[clusterOf(stage)];
    switch (stage.kind) {
      case 'validate':
        return { calls: 'none (3 GitHub reads)', bareMs: 0 };
      case 'backup':
        return { calls: 'list', bareMs: b.list };
      case 'deploy':
        return {
          calls: 'read + replace (+3 GitHub)',
          bareMs: b.read + b.replace,
        };
      case 'mark-stable': {
        const all = Object.values(bare);
        return {
          calls: '3 × (read + replace configmap)',
          bareMs: all.reduce(
            (sum, x) => sum + x.readConfigMap + x.replaceConfigMap,
            0,
          ),
        };
      }
      default:
        return undefined;
    }
  };

  console.log(
    `\n(b) one pipeline run of ${service} (${token}): ${run.status}, ${(
      (Date.parse(run.finishedAt) - Date.parse(run.startedAt)) /
      1000
    ).toFixed(
      2,
    )} s from start to finish; tick and poll 100 ms, verification windows 200 ms`,
  );
  console.log(
    `${padEnd('stage', 20)}${pad('stage ms', 9)}${pad('gap ms', 8)}  ${padEnd(
      'Kubernetes calls',
      32,
    )}${pad('bare ms', 8)}${pad('overhead ms', 12)}`,
  );
  let previousEnd: number | undefined;
  let gaps = 0;
  for (const stage of run.stages) {
    const start = Date.parse(stage.startedAt);
    const end = Date.parse(stage.finishedAt);
    const gap =
      previousEnd === undefined ? Date.parse(run.startedAt) : previousEnd;
    gaps += start - gap;
    previousEnd = end;
    const k = kubeCalls(stage);
    const samples = stage.logs.filter((l: any) =>
      l.message.startsWith('Health sample'),
    ).length;
    const note =
      stage.kind === 'rollout'
        ? 'one read per poll (waits)'
        : stage.kind === 'verify'
        ? `none (${samples} health samples)`
        : k?.calls ?? '';
    console.log(
      `${padEnd(stage.name, 20)}${pad(end - start, 9)}${pad(
        start - gap,
        8,
      )}  ${padEnd(note, 32)}${pad(k ? ms(k.bareMs) : '-', 8)}${pad(
        k ? ms(end - start - k.bareMs) : '-',
        12,
      )}`,
    );
  }
  console.log(
    `gap = from the previous stage's end (or the start) to this stage's start: release and re-claim of the lease, or the wait for the next tick; ${gaps} ms in all`,
  );
  console.log(
    `bare client-node medians (30 calls each, ms): ${Object.entries(bare)
      .map(
        ([c, b]) =>
          `${c}: list ${ms(b.list)}, read ${ms(b.read)}, replace ${ms(
            b.replace,
          )}, configmap read ${ms(b.readConfigMap)} / replace ${ms(
            b.replaceConfigMap,
          )}`,
      )
      .join('; ')}`,
  );
}

async function main() {
  const admin = knexFactory({ client: 'pg', connection: POSTGRES });
  const pgVersion = (await admin.raw('show server_version')).rows[0]
    .server_version;
  await admin.destroy();
  const cpu = cpus();
  console.log(
    `machine: ${cpu.length} × ${cpu[0]?.model ?? '?'}, ${(
      totalmem() /
      2 ** 30
    ).toFixed(1)} GiB, load average ${loadavg()
      .map(l => l.toFixed(2))
      .join(' ')}; node ${process.version}; PostgreSQL ${pgVersion}`,
  );
  if (option('only', '') === 'scheduler') {
    await schedulerPhase(POSTGRES);
    return;
  }
  if (option('only', '') === 'github') {
    await githubPhase(POSTGRES);
    return;
  }
  if (option('only', '') === 'flags') {
    await flagsPhase(POSTGRES);
    return;
  }
  if (option('only', '') === 'rollback') {
    await rollbackPhase(POSTGRES);
    return;
  }
  if (option('only', '') === 'ephemeral') {
    await ephemeralPhase(POSTGRES);
    return;
  }
  if (option('only', '') === 'dora') {
    await doraPhase(POSTGRES);
    return;
  }

  const sandbox = await startSandbox({
    rolloutStepMs: 20,
    traffic: { tickMs: 100, rps: 200, seed: 1 },
  });
  const prefix = `delivery_bench_${process.pid}_${Date.now()}_`;
  await createDeliveryDatabase(POSTGRES, prefix);
  try {
    const replicas: Replica[] = [];
    for (const name of ['A', 'B']) {
      const t0 = performance.now();
      replicas.push(
        await startReplica({
          name,
          config: replicaConfig({
            sandbox,
            port: await freePort(),
            postgres: { connection: POSTGRES, prefix },
            delivery: {
              pipeline: {
                tick: { milliseconds: 100 },
                pollInterval: { milliseconds: 100 },
                rolloutTimeout: { seconds: 30 },
                lease: { seconds: 10 },
                verification: Object.fromEntries(
                  ['uat', 'canary', 'production'].map(env => [
                    env,
                    {
                      window: { milliseconds: 200 },
                      interval: { milliseconds: 100 },
                    },
                  ]),
                ),
              },
            },
          }),
        }),
      );
      console.log(
        `replica ${name} (pid ${replicas[replicas.length - 1].pid}) ready in ${(
          (performance.now() - t0) /
          1000
        ).toFixed(1)} s`,
      );
    }
    await loadPhase(replicas);
    await pipelinePhase(sandbox, replicas);
    await schedulerPhase(POSTGRES);
  } finally {
    await killAllReplicas();
    await sandbox.close();
    await dropDeliveryDatabase(POSTGRES, prefix);
  }
  await githubPhase(POSTGRES);
  await flagsPhase(POSTGRES);
  await rollbackPhase(POSTGRES);
  await ephemeralPhase(POSTGRES);
}

main().catch(error => {
  console.error(error);
  process.exitCode = 1;
});
