/*
 * (h) The ephemeral sweep at scale: 1,000 expired environments on PostgreSQL, their namespaces
 * in the sandbox's cluster. Prints how long the sweep takes to delete them all (claim in the
 * database, delete through @kubernetes/client-node, mark deleted, look for orphans) next to the
 * same 1,000 bare namespace deletes with the same client and concurrency, and the ratio. The
 * goal: at most 1.2 × the bare deletes and at most 10 s. Rounds alternate which goes first.
 */
import { ConfigReader } from '@backstage/config';
import { CoreV1Api } from '@kubernetes/client-node';
import { mockServices } from '@backstage/backend-test-utils';
import {
  ephemeralNamespaceName,
  EPHEMERAL_LABEL,
} from '@internal/plugin-delivery-common';
import { startSandbox } from '@internal/sandbox';
import knexFactory from 'knex';
import { performance } from 'node:perf_hooks';
import { migrateDeliveryDatabase } from '../../plugins/delivery-backend/src/database/DatabaseObservedVersionsStore';
import { readEphemeralConfig } from '../../plugins/delivery-backend/src/ephemeral/config';
import {
  DatabaseEphemeralStore,
  EphemeralRecord,
} from '../../plugins/delivery-backend/src/ephemeral/DatabaseEphemeralStore';
import { EphemeralEnvironmentService } from '../../plugins/delivery-backend/src/ephemeral/EphemeralEnvironmentService';
import { namespaceMetadata } from '../../plugins/delivery-backend/src/ephemeral/manifests';
import { ClientNodeNamespaceProvider } from '../../plugins/delivery-backend/src/providers/kubernetes/ClientNodeNamespaceProvider';
import { clusterConfiguration } from '../../plugins/delivery-backend/src/providers/kubernetes/clients';
import {
  createDeliveryDatabase,
  dropDeliveryDatabase,
} from '../../plugins/delivery-backend/dev/replicas';
import { silent } from './schedulerTick';

const COUNT = 1000;
const CONCURRENCY = 16;
const ROUNDS = 5;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function pool<T>(items: T[], fn: (item: T) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

export async function ephemeralPhase(postgres: string) {
  const prefix = `delivery_bench_ephemeral_${process.pid}_${Date.now()}_`;
  await createDeliveryDatabase(postgres, prefix);
  const url = new URL(postgres);
  url.pathname = `/${prefix}delivery`;
  const db = knexFactory({
    client: 'pg',
    connection: url.toString(),
    pool: { min: 0, max: 10 },
  });
  const sandbox = await startSandbox({ rolloutStepMs: 20 });
  try {
    await migrateDeliveryDatabase(db);
    const cluster = {
      name: 'uat',
      url: sandbox.clusterUrls.uat,
      token: 'sandbox',
      skipTLSVerify: true,
    };
    const namespaces = new ClientNodeNamespaceProvider({
      clusters: [cluster],
      timeoutMs: 30_000,
    });
    const core = new CoreV1Api(clusterConfiguration(cluster, 30_000));
    const store = new DatabaseEphemeralStore(db);
    const config = readEphemeralConfig(
      new ConfigReader({}),
      [{ name: 'uat', cluster: 'uat', namespace: 'default' }],
      ['uat'],
    );
    const service = new EphemeralEnvironmentService({
      store,
      config,
      engine: undefined as never,
      runs: undefined as never,
      kubernetes: undefined as never,
      github: undefined as never,
      permissions: mockServices.permissions(),
      imageTemplate: '{{repository}}:{{sha}}',
      namespaces,
      events: { changed: async () => {}, told: async () => {} },
      logger: silent,
      sweepConcurrency: CONCURRENCY,
    });

    let round = 0;
    const fill = async (withRows: boolean): Promise<string[]> => {
      round++;
      const now = Date.now();
      const envs: EphemeralRecord[] = [];
      for (let i = 0; i < COUNT; i++) {
        const entityRef = `component:default/service-${i % 50}`;
        const branch = `deploy/bench-${round}-${i}`;
        envs.push({
          id: `ENV-${now}-${String(i).padStart(6, '0')}`,
          entityRef,
          branch,
          cluster: 'uat',
          namespace: ephemeralNamespaceName(entityRef, branch),
          commitSha: 'a'.repeat(40),
          status: 'ready',
          createdBy: 'user:default/bench',
          createdAt: new Date(now - 4 * 3_600_000),
          updatedAt: new Date(now - 4 * 3_600_000),
          expiresAt: new Date(now - 3_600_000),
          persistent: false,
        });
      }
      await pool(envs, env =>
        namespaces.applyNamespace({
          cluster: 'uat',
          name: env.namespace,
          ...namespaceMetadata(env),
        }),
      );
      if (withRows) {
        for (const env of envs) await store.insert(env);
        await db.raw('analyze');
      }
      return envs.map(e => e.namespace);
    };

    const sweeps: number[] = [];
    const bares: number[] = [];
    const sweepOnce = async () => {
      await fill(true);
      const t0 = performance.now();
      const swept = await service.sweep({ type: 'system', ref: 'delivery' });
      const ms = performance.now() - t0;
      if (swept.deleted.length !== COUNT || swept.failed.length > 0) {
        throw new Error(
          `The sweep deleted ${swept.deleted.length} and failed ${swept.failed.length}`,
        );
      }
      sweeps.push(ms);
    };
    const bareOnce = async () => {
      const names = await fill(false);
      const t0 = performance.now();
      await pool(names, name => core.deleteNamespace({ name }));
      bares.push(performance.now() - t0);
    };
    for (let r = 0; r < ROUNDS; r++) {
      if (r % 2 === 0) {
        await sweepOnce();
        await bareOnce();
      } else {
        await bareOnce();
        await sweepOnce();
      }
    }
    const left = await namespaces.listNamespaces({
      cluster: 'uat',
      labelSelector: `${EPHEMERAL_LABEL}=true`,
    });
    const sweep = median(sweeps);
    const bare = median(bares);
    console.log(
      `\n(h) ephemeral sweep of ${COUNT} expired namespaces (PostgreSQL, sandbox cluster, ${CONCURRENCY} deletes at a time, ${ROUNDS} rounds): sweep median ${(
        sweep / 1000
      ).toFixed(2)} s (${sweeps
        .map(ms => (ms / 1000).toFixed(2))
        .join(', ')}), bare deletes median ${(bare / 1000).toFixed(
        2,
      )} s (${bares.map(ms => (ms / 1000).toFixed(2)).join(', ')}); ratio ${(
        sweep / bare
      ).toFixed(2)} × (goal ≤ 1.2 ×, ≤ 10 s); ${
        left.filter(ns => ns.phase !== 'Terminating').length
      } labelled namespaces left`,
    );
  } finally {
    await sandbox.close();
    await db.destroy();
    await dropDeliveryDatabase(postgres, prefix);
  }
}
