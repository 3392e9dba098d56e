/*
 * (e) From the API call to the provider's evaluation: how long a flag change takes to reach
 * OpenFeature flagd providers in in-process mode (the real @openfeature/flagd-provider) that
 * stream from the backend's gRPC sync, on the replica that made the change and on another
 * replica of the same PostgreSQL. Goal: under 1 s (flagd's own HTTP polling default is 5 s).
 * Also the HTTP sync source's answers (200 and 304). Prints figures; asserts nothing.
 */
import { inProcessFlagdProvider, startSandbox } from '@internal/sandbox';
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

const FLAGS = '/entities/default/component/payments-api/flags';
const KEY = 'bench-flag';
const ROUNDS = 30;
const PROVIDERS_PER_REPLICA = 10;
const TOKEN = 'bench-sync-token';

function stats(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return `median ${percentile(sorted, 50).toFixed(1)} ms, p95 ${percentile(
    sorted,
    95,
  ).toFixed(1)} ms, max ${sorted[sorted.length - 1].toFixed(1)} ms (${
    sorted.length
  })`;
}

const ok = callReplicaOk;

export async function flagsPhase(postgres: string) {
  console.log(
    `\n(e) flag change → provider evaluation: ${PROVIDERS_PER_REPLICA} in-process flagd providers on each of two replicas, ${ROUNDS} toggles through replica A's API`,
  );
  const sandbox = await startSandbox({ rolloutStepMs: 20 });
  const prefix = `delivery_bench_flags_${process.pid}_${Date.now()}_`;
  await createDeliveryDatabase(postgres, prefix);
  try {
    const replicas: Array<{ replica: Replica; grpcPort: number }> = [];
    for (const name of ['A', 'B']) {
      const grpcPort = await freePort();
      const replica = await startReplica({
        name,
        config: replicaConfig({
          sandbox,
          port: await freePort(),
          postgres: { connection: postgres, prefix },
          delivery: {
            flags: {
              sync: {
                token: TOKEN,
                grpc: { host: '127.0.0.1', port: grpcPort },
              },
            },
          },
        }),
      });
      replicas.push({ replica, grpcPort });
    }
    const [a, b] = replicas;
    await ok(a.replica, 'POST', FLAGS, { key: KEY, type: 'boolean' });

    // Providers on both replicas, each in a domain of its own.
    const clients: Array<{ on: 'A' | 'B'; domain: string }> = [];
    for (const [name, { grpcPort }] of [
      ['A', a],
      ['B', b],
    ] as const) {
      for (let i = 0; i < PROVIDERS_PER_REPLICA; i++) {
        const domain = `${name}-${i}`;
        await OpenFeature.setProviderAndWait(
          domain,
          inProcessFlagdProvider({ port: grpcPort }, 'canary/payments-api'),
        );
        clients.push({ on: name, domain });
      }
    }

    const api: number[] = [];
    const same: number[] = [];
    const other: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // A random pause, so that changes do not fall in step with B's revision poll.
      await new Promise(r => setTimeout(r, Math.random() * 500));
      const want = round % 2 === 0;
      const seen = clients.map(
        ({ on, domain }) =>
          new Promise<void>(resolve => {
            const client = OpenFeature.getClient(domain);
            const check = async () => {
              if ((await client.getBooleanValue(KEY, !want)) === want) {
                (on === 'A' ? same : other).push(performance.now() - t0);
                client.removeHandler(
                  ProviderEvents.ConfigurationChanged,
                  check,
                );
                resolve();
              }
            };
            client.addHandler(ProviderEvents.ConfigurationChanged, check);
          }),
      );
      const t0 = performance.now();
      await ok(a.replica, 'POST', `${FLAGS}/${KEY}/environments/canary`, {
        action: 'toggle',
        enabled: want,
      });
      api.push(performance.now() - t0);
      await Promise.all(seen);
    }
    console.log(`  API call (toggle, answered):          ${stats(api)}`);
    console.log(`  providers on the same replica (A):    ${stats(same)}`);
    console.log(
      `  providers on the other replica (B):   ${stats(
        other,
      )}  — B learns of A's change from its revision poll (delivery.flags.sync.pollInterval, 250 ms)`,
    );

    // The HTTP source, as flagd polls it.
    const url = `${b.replica.url}/flagd/canary?service=payments-api`;
    const headers = { Authorization: `Bearer ${TOKEN}` };
    const full: number[] = [];
    const unchanged: number[] = [];
    let etag = '';
    for (let i = 0; i < 200; i++) {
      const t0 = performance.now();
      const res = await fetch(url, {
        headers:
          i % 2 && etag ? { ...headers, 'If-None-Match': etag } : headers,
      });
      await res.text();
      (res.status === 304 ? unchanged : full).push(performance.now() - t0);
      etag = res.headers.get('etag') ?? etag;
    }
    console.log(`  HTTP sync 200 (full configuration):   ${stats(full)}`);
    console.log(`  HTTP sync 304 (If-None-Match):        ${stats(unchanged)}`);
  } finally {
    await OpenFeature.clearProviders();
    await killAllReplicas();
    await sandbox.close();
    await dropDeliveryDatabase(postgres, prefix);
  }
}
