import {
  Sandbox,
  inProcessFlagdProvider,
  startSandbox,
} from '@internal/sandbox';
import { OpenFeature } from '@openfeature/server-sdk';
import knexFactory from 'knex';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  callReplicaOk,
  createDeliveryDatabase,
  dropDeliveryDatabase,
  freePort,
  killAllReplicas,
  replicaConfig,
  startReplica,
} from '../dev/replicas';
import { postgresConnections } from './__testUtils__/databases';

/*
 * flagd's gRPC sync with the real @openfeature/flagd-provider in in-process mode against real
 * backend processes (dev/replica.ts): a change through the API reaches the provider's
 * evaluations, on the replica that made it and on another replica of the same PostgreSQL. How
 * fast is measured by `scripts/bench.sh --only flags`, not asserted here.
 */

jest.setTimeout(120_000);

const POSTGRES = postgresConnections().slice(0, 1);

const FLAG = '/entities/default/component/payments-api/flags';

const call = callReplicaOk;

/** Polls `read` until it returns `want` (or the test's timeout). */
async function until<T>(read: () => Promise<T>, want: T): Promise<T> {
  for (;;) {
    const value = await read();
    if (value === want) return value;
    await new Promise(r => setTimeout(r, 20));
  }
}

const provider = (port: number, selector: string) =>
  inProcessFlagdProvider({ port }, selector);

let sandbox: Sandbox;
const databases: string[] = [];
const directories: string[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({ rolloutStepMs: 20 });
});

afterAll(async () => {
  await OpenFeature.clearProviders();
  await killAllReplicas();
  await sandbox?.close();
  for (const prefix of databases) {
    await dropDeliveryDatabase(POSTGRES[0], prefix);
  }
  for (const dir of directories) rmSync(dir, { recursive: true, force: true });
});

async function replica(
  name: string,
  database: { sqlite: string } | { prefix: string },
) {
  const grpcPort = await freePort();
  const config = replicaConfig({
    sandbox,
    port: await freePort(),
    postgres: {
      connection: POSTGRES[0] ?? 'postgresql://unused',
      prefix: 'prefix' in database ? database.prefix : 'unused_',
    },
    delivery: {
      flags: {
        sync: {
          grpc: { host: '127.0.0.1', port: grpcPort },
          pollInterval: { milliseconds: 100 },
        },
      },
    },
  }) as any;
  if ('sqlite' in database) {
    config.backend.database = {
      client: 'better-sqlite3',
      connection: { directory: database.sqlite },
    };
  }
  return { replica: await startReplica({ name, config }), grpcPort };
}

describe('a flagd provider in in-process mode', () => {
  it('evaluates what the API set, and follows toggles and percentages', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'delivery-flagsync-'));
    directories.push(dir);
    const { replica: a, grpcPort } = await replica('solo', { sqlite: dir });
    await call(a, 'POST', FLAG, {
      key: 'http2-payment-client',
      type: 'boolean',
    });

    await OpenFeature.setProviderAndWait(
      'solo',
      provider(grpcPort, 'canary/payments-api'),
    );
    const flags = OpenFeature.getClient('solo');
    const value = (user = 'user-1') =>
      flags.getBooleanValue('http2-payment-client', true, {
        targetingKey: user,
      });
    // Off: the off variant, not the code default given here (true).
    expect(await value()).toBe(false);

    await call(a, 'POST', `${FLAG}/http2-payment-client/environments/canary`, {
      action: 'toggle',
      enabled: true,
    });
    expect(await until(value, true)).toBe(true);

    await call(a, 'POST', `${FLAG}/http2-payment-client/environments/canary`, {
      action: 'rollout',
      percent: 10,
    });
    const share = async () => {
      let on = 0;
      for (let i = 0; i < 1000; i++) if (await value(`user-${i}`)) on++;
      return on;
    };
    await until(async () => (await share()) < 200, true);
    const on = await share();
    expect(on).toBeGreaterThan(60);
    expect(on).toBeLessThan(140);

    await call(a, 'POST', `${FLAG}/http2-payment-client/kill`, {
      reason: 'errors on /pay',
    });
    expect(await until(share, 0)).toBe(0);
    // Another environment was never on.
    await OpenFeature.setProviderAndWait(
      'solo-production',
      provider(grpcPort, 'production/payments-api'),
    );
    expect(
      await OpenFeature.getClient('solo-production').getBooleanValue(
        'http2-payment-client',
        true,
      ),
    ).toBe(false);
  });
});

// Only with PostgreSQL (scripts/test.sh --postgres <url>), like the durability tests.
for (const connection of POSTGRES) {
  describe('two replicas on one PostgreSQL', () => {
    it('a change made on one replica reaches providers streaming from the other', async () => {
      const prefix = `delivery_flagsync_${process.pid}_${Date.now()}_`;
      await createDeliveryDatabase(connection, prefix);
      databases.push(prefix);
      const { replica: a } = await replica('A', { prefix });
      const { grpcPort: portB } = await replica('B', { prefix });
      await call(a, 'POST', FLAG, { key: 'retry-budget', type: 'boolean' });
      await OpenFeature.setProviderAndWait(
        'on-b',
        provider(portB, 'uat/payments-api'),
      );
      const viaB = () =>
        OpenFeature.getClient('on-b').getBooleanValue('retry-budget', false);
      expect(await viaB()).toBe(false);
      await call(a, 'POST', `${FLAG}/retry-budget/environments/uat`, {
        action: 'toggle',
        enabled: true,
      });
      expect(await until(viaB, true)).toBe(true);

      // The database decides, not the replica's memory: a fresh knex sees the same revision.
      const url = new URL(connection);
      url.pathname = `/${prefix}delivery`;
      const db = knexFactory({ client: 'pg', connection: url.toString() });
      try {
        const row = await db('delivery_flag_revisions')
          .where({ environment: 'uat' })
          .first();
        expect(Number(row.revision)).toBe(2);
      } finally {
        await db.destroy();
      }
    });
  });
}
