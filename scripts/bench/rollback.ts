/*
 * (f) Rollback speed, with a delivery backend replica on PostgreSQL against the sandbox:
 *   1. from a breach becoming visible in the metrics to the automation's action being issued
 *      (goal: within one analysis interval, 10 s by default);
 *   2. from a click (POST …/rollbacks, level 1) to a flag-off reaching an in-process OpenFeature
 *      flagd provider (goal: under 1 s);
 *   3. from a click (level 2) to the stable version rolled out in canary and then production,
 *      next to the bare Kubernetes calls doing the same (goal: the portal's own overhead under
 *      1 s; the canary verification between the two is the process's, and is printed apart).
 * Prints figures; asserts nothing.
 */
import { KubeConfig, AppsV1Api } from '@kubernetes/client-node';
import {
  Sandbox,
  buildSeed,
  inProcessFlagdProvider,
  startSandbox,
} from '@internal/sandbox';
import { OpenFeature, ProviderEvents } from '@openfeature/server-sdk';
import { performance } from 'node:perf_hooks';
import {
  Replica,
  callReplicaOk,
  createDeliveryDatabase,
  dropDeliveryDatabase,
  freePort,
  killAllReplicas,
  replicaConfig,
  startReplica,
} from '../../plugins/delivery-backend/dev/replicas';
import { percentile } from './stats';

const SERVICE = '/entities/default/component/payments-api';
const NAMESPACE = 'payments';
const NAME = 'payments-api';
const FLAG = 'new-receipt-email';
const ok = callReplicaOk;
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

function stats(values: number[], unit: 'ms' | 's' = 'ms') {
  const sorted = [...values].sort((a, b) => a - b);
  const f = (v: number) =>
    unit === 's' ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(0)} ms`;
  return `median ${f(percentile(sorted, 50))}, max ${f(
    sorted[sorted.length - 1],
  )} (${sorted.length})`;
}

async function until<T>(
  what: string,
  fn: () => Promise<T>,
  done: (v: T) => boolean,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(20);
  }
}

function workload(sandbox: Sandbox, cluster: string) {
  return sandbox.clusters[cluster].store.get('deployments', NAMESPACE, NAME)!;
}

/** Puts a version on a workload behind the portal's back (a bad hotfix). */
function runVersion(sandbox: Sandbox, cluster: string, sha: string) {
  const w = workload(sandbox, cluster);
  w.spec.template.spec.containers[0].image = `ghcr.io/acme/payments-api:${sha}`;
  w.metadata.annotations!['delivery.backstage.io/commit-sha'] = sha;
  sandbox.clusters[cluster].store.update(undefined, w);
}

function rolledOut(sandbox: Sandbox, cluster: string, sha: string) {
  const w = workload(sandbox, cluster);
  // As `kubectl rollout status` reads it: the controller saw this generation, and all is updated.
  return (
    w.metadata.annotations?.['delivery.backstage.io/commit-sha'] === sha &&
    w.status?.observedGeneration === (w.metadata.generation ?? 1) &&
    (w.status?.updatedReplicas ?? 0) >= (w.spec.replicas ?? 1) &&
    (w.status?.readyReplicas ?? 0) >= (w.spec.replicas ?? 1) &&
    (w.status?.replicas ?? 0) === (w.spec.replicas ?? 1)
  );
}

async function rollbackDone(replica: Replica, id: string) {
  return until(
    `${id} to finish`,
    () => ok(replica, 'GET', `/rollbacks/${id}`),
    r => r.status !== 'running',
  );
}

function mainCommit(seed: ReturnType<typeof buildSeed>, back: number) {
  const repo = seed.repositories.find(r => r.name === NAME)!;
  const main = repo.commits.filter(c => !c.message.startsWith('WIP'));
  return main[main.length - 1 - back];
}

export async function rollbackPhase(postgres: string) {
  console.log(
    '\n(f) rollback: breach → automated action, click → flag off in a provider, click → stable version in both clusters',
  );
  const seed = buildSeed(Date.now());
  const sandbox = await startSandbox({
    rolloutStepMs: 20,
    traffic: { tickMs: 100, rps: 200, seed: 5 },
  });
  const prefix = `delivery_bench_rollback_${process.pid}_${Date.now()}_`;
  await createDeliveryDatabase(postgres, prefix);
  const verification = Object.fromEntries(
    ['uat', 'canary', 'production'].map(env => [
      env,
      {
        window: { milliseconds: 500 },
        interval: { milliseconds: 100 },
        evidenceTimeout: { seconds: 10 },
      },
    ]),
  );
  const start = async (name: string, automation: boolean, grpcPort: number) =>
    startReplica({
      name,
      config: replicaConfig({
        sandbox,
        port: await freePort(),
        postgres: { connection: postgres, prefix },
        delivery: {
          pipeline: {
            tick: { milliseconds: 100 },
            pollInterval: { milliseconds: 100 },
            rolloutTimeout: { seconds: 30 },
            verification,
          },
          flags: {
            sync: { grpc: { host: '127.0.0.1', port: grpcPort } },
            initial: [
              { service: NAME, key: 'http2-payment-client' },
              { service: NAME, key: FLAG },
            ],
          },
          rollback: {
            automation: { enabled: automation },
            // Each round's breach is a new one, not a second breach to escalate.
            thresholds: { secondBreachWindow: { milliseconds: 1 } },
          },
        },
      }),
    });
  try {
    const grpcPort = await freePort();
    let replica = await start('A', false, grpcPort);

    // The flagged change, deployed through the pipeline: its flag ends on for everyone.
    const flagged = seed.repositories
      .find(r => r.name === NAME)!
      .commits.find(c => c.message.includes(`Flag: ${FLAG}`))!;
    const { deployment } = await ok(replica, 'POST', `${SERVICE}/deployments`, {
      commitSha: flagged.sha,
    });
    await ok(replica, 'POST', `/deployments/${deployment.token}/start`);
    const deployed = await until(
      `${deployment.token} to finish`,
      () => ok(replica, 'GET', `/deployments/${deployment.token}`),
      d => !['called', 'running'].includes(d.status),
    );
    console.log(
      `  setup: ${deployment.token} (${flagged.message.split('\n')[0]}) ${
        deployed.status
      }`,
    );

    // 2. Click → flag off in an in-process provider streaming from the replica.
    await OpenFeature.setProviderAndWait(
      'bench',
      inProcessFlagdProvider({ port: grpcPort }, `canary/${NAME}`),
    );
    const client = OpenFeature.getClient('bench');
    const flagOff: number[] = [];
    for (let round = 0; round < 10; round++) {
      await ok(
        replica,
        'POST',
        `${SERVICE}/flags/${FLAG}/environments/canary`,
        {
          action: 'toggle',
          enabled: true,
        },
      ).catch(() => undefined);
      await until(
        'the flag on again',
        () => client.getBooleanValue(FLAG, false),
        on => on,
      );
      const seen = new Promise<number>(resolve => {
        const check = async () => {
          if (!(await client.getBooleanValue(FLAG, true))) {
            client.removeHandler(ProviderEvents.ConfigurationChanged, check);
            resolve(performance.now());
          }
        };
        client.addHandler(ProviderEvents.ConfigurationChanged, check);
      });
      const t0 = performance.now();
      const { rollback } = await ok(replica, 'POST', `${SERVICE}/rollbacks`, {
        environment: 'canary',
        level: 1,
        reason: `benchmark round ${round}`,
        flags: [FLAG],
      });
      flagOff.push((await seen) - t0);
      await rollbackDone(replica, rollback.id);
      await ok(replica, 'POST', `${SERVICE}/queue/unlock`);
    }
    console.log(
      `  click → flag off in an in-process provider:      ${stats(flagOff)}`,
    );

    // 3. Click → stable version in canary, then production.
    const stable = workload(sandbox, 'production').metadata.annotations![
      'delivery.backstage.io/commit-sha'
    ];
    const bad = mainCommit(seed, 2).sha;
    const canaryDone: number[] = [];
    const productionDone: number[] = [];
    const verify: number[] = [];
    for (let round = 0; round < 5; round++) {
      runVersion(sandbox, 'canary', bad);
      runVersion(sandbox, 'production', bad);
      await until(
        'the bad version to roll out',
        async () => rolledOut(sandbox, 'production', bad),
        Boolean,
      );
      const t0 = performance.now();
      const { rollback } = await ok(replica, 'POST', `${SERVICE}/rollbacks`, {
        environment: 'production',
        level: 2,
        reason: `benchmark round ${round}`,
      });
      await until(
        'canary stable',
        async () => rolledOut(sandbox, 'canary', stable),
        Boolean,
      );
      canaryDone.push(performance.now() - t0);
      await until(
        'production stable',
        async () => rolledOut(sandbox, 'production', stable),
        Boolean,
      ).catch(async error => {
        const r = await ok(replica, 'GET', `/rollbacks/${rollback.id}`);
        console.error(JSON.stringify(r, null, 1));
        throw error;
      });
      productionDone.push(performance.now() - t0);
      const done = await rollbackDone(replica, rollback.id);
      const stage = done.stages.find((s: any) => s.name === 'canary.verify');
      verify.push(Date.parse(stage.finishedAt) - Date.parse(stage.startedAt));
      await ok(replica, 'POST', `${SERVICE}/queue/unlock`);
    }
    // The same by hand: set the image, wait for the rollout, in canary then production.
    const bare: number[] = [];
    for (let round = 0; round < 5; round++) {
      runVersion(sandbox, 'canary', bad);
      runVersion(sandbox, 'production', bad);
      await until(
        'the bad version to roll out',
        async () => rolledOut(sandbox, 'production', bad),
        Boolean,
      );
      const t0 = performance.now();
      for (const cluster of ['canary', 'production']) {
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
        // Read, change, replace; again on a 409 (the rollout controller wrote meanwhile).
        for (let attempt = 0; ; attempt++) {
          const d = await apps.readNamespacedDeployment({
            name: NAME,
            namespace: NAMESPACE,
          });
          d.spec!.template.spec!.containers[0].image = `ghcr.io/acme/payments-api:${stable}`;
          d.metadata!.annotations!['delivery.backstage.io/commit-sha'] = stable;
          try {
            await apps.replaceNamespacedDeployment({
              name: NAME,
              namespace: NAMESPACE,
              body: d,
            });
            break;
          } catch (error: any) {
            if (error?.code !== 409 || attempt >= 5) throw error;
          }
        }
        await until(
          `${cluster} stable by hand`,
          async () => rolledOut(sandbox, cluster, stable),
          Boolean,
        );
      }
      bare.push(performance.now() - t0);
    }
    const median = (v: number[]) =>
      percentile(
        [...v].sort((a, b) => a - b),
        50,
      );
    console.log(
      `  click → canary rolled out to the stable version: ${stats(canaryDone)}`,
    );
    console.log(
      `  click → production rolled out too:              ${stats(
        productionDone,
      )}  (canary's verification between them: ${stats(verify)})`,
    );
    console.log(
      `  bare Kubernetes calls, canary then production:  ${stats(bare)}`,
    );
    console.log(
      `  portal overhead (median, production − canary verification − bare): ${(
        median(productionDone) -
        median(verify) -
        median(bare)
      ).toFixed(0)} ms`,
    );
    await OpenFeature.clearProviders();
    await replica.kill();

    // 1. A breach → the automation's action, with the default analysis interval (10 s).
    replica = await start('B', true, await freePort());
    const actions: number[] = [];
    for (let round = 0; round < 5; round++) {
      // Watched: a deployment finished in the last 10 minutes (the one above).
      const before = (await ok(replica, 'GET', `${SERVICE}/rollbacks`)).items
        .length;
      runVersion(sandbox, 'production', bad);
      await until(
        'the bad version to roll out',
        async () => rolledOut(sandbox, 'production', bad),
        Boolean,
      );
      // The breach is visible once the metrics window shows it (2 s here).
      await until(
        'the breach in the metrics',
        async () =>
          (
            await ok(replica, 'GET', `${SERVICE}/health?environment=production`)
          ).decision.action,
        action => action !== 'none',
      );
      const t0 = performance.now();
      const items = await until(
        'the automated rollback',
        async () => (await ok(replica, 'GET', `${SERVICE}/rollbacks`)).items,
        list => list.length > before,
        60_000,
      );
      actions.push(performance.now() - t0);
      await rollbackDone(replica, items[0].id);
      await ok(replica, 'POST', `${SERVICE}/queue/unlock`);
    }
    console.log(
      `  breach visible → automated rollback issued:      ${stats(
        actions,
        's',
      )}  (analysis interval 10 s)`,
    );
  } finally {
    await OpenFeature.clearProviders();
    await killAllReplicas();
    await sandbox.close();
    await dropDeliveryDatabase(postgres, prefix);
  }
}
