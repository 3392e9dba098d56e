/*
 * Starts and stops delivery backend replicas (dev/replica.ts) as child processes on one
 * PostgreSQL database, against a sandbox: used by the durability tests and the benchmark.
 */
import { JsonObject } from '@backstage/types';
import type { Sandbox, SeedService } from '@internal/sandbox';
import type { Entity } from '@backstage/catalog-model';
import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve as resolvePath } from 'node:path';
import knexFactory from 'knex';
import { mockCredentials } from '@backstage/backend-test-utils';

/**
 * The catalog Component of a sandbox service, as the demo's catalog has it (the annotations the
 * delivery plugin reads, the seed's owner), with `annotations` added.
 */
export function seedComponent(
  service: SeedService,
  annotations: Record<string, string> = {},
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: service.name,
      namespace: 'default',
      annotations: {
        'github.com/project-slug': service.projectSlug,
        'backstage.io/kubernetes-id': service.name,
        'backstage.io/kubernetes-namespace': service.namespace,
        ...annotations,
      },
    },
    spec: { type: 'service', owner: service.owner, lifecycle: 'production' },
  };
}

/** What a replica prints on stdout once its HTTP server listens. */
export const READY_LINE = 'DELIVERY_REPLICA_READY';

/** Replica processes started here that have not exited yet. */
const live = new Set<ChildProcess>();

/** A running replica process. */
export interface Replica {
  name: string;
  /** Base URL of the delivery routes, e.g. `http://127.0.0.1:1234/api/delivery`. */
  url: string;
  pid: number;
  /** The last lines the process printed (stdout and stderr), for failure messages. */
  output(): string;
  /** Sends SIGKILL and waits for the process to be gone. */
  kill(): Promise<void>;
}

/** A free loopback port (there is a short window in which another process could take it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Configuration that points the delivery plugin at a sandbox: its clusters, GitHub and simulated
 * traffic, with short demo timings; `delivery` settings are merged over these.
 */
export function sandboxConfig(
  sandbox: Sandbox,
  delivery: JsonObject = {},
): JsonObject {
  return {
    app: { baseUrl: 'http://localhost:3000' },
    kubernetes: {
      clusterLocatorMethods: [
        {
          type: 'config',
          clusters: Object.entries(sandbox.clusterUrls).map(([name, url]) => ({
            name,
            url,
            authProvider: 'serviceAccount',
            serviceAccountToken: 'sandbox',
            skipTLSVerify: true,
          })),
        },
      ],
    },
    integrations: {
      github: [
        {
          host: 'sandbox.github',
          apiBaseUrl: sandbox.githubUrl,
          token: sandbox.githubToken,
        },
      ],
    },
    delivery: {
      github: { host: 'sandbox.github' },
      environments: [
        { name: 'uat', cluster: 'uat' },
        { name: 'canary', cluster: 'canary' },
        { name: 'production', cluster: 'production' },
      ],
      requestTimeout: { seconds: 5 },
      metrics: {
        provider: 'sandbox',
        sandbox: { baseUrl: sandbox.trafficUrl },
        window: { seconds: 2 },
      },
      pipeline: {
        tick: { milliseconds: 100 },
        pollInterval: { milliseconds: 100 },
        rolloutTimeout: { seconds: 30 },
        lease: { seconds: 2 },
        verification: Object.fromEntries(
          ['uat', 'canary', 'production'].map(env => [
            env,
            {
              window: { milliseconds: 500 },
              interval: { milliseconds: 100 },
              // A loaded CI machine may take a few samples late: the window stays short, but
              // evidence may come in for longer before a run fails for the lack of it.
              evidenceTimeout: { seconds: 10 },
            },
          ]),
        ),
      },
      flags: {
        // flagd's gRPC sync on any free loopback port: tests run side by side, and beside the
        // demo (which holds 8015).
        sync: { grpc: { host: '127.0.0.1', port: 0 } },
        // The sandbox's risky commit names this flag in its Flag: trailer.
        initial: [{ service: 'payments-api', key: 'http2-payment-client' }],
      },
      // The rollback automation acts only where a test asks for it (`rollback: {...}`): the
      // pipeline's own verification is what most tests watch.
      rollback: { automation: { enabled: false } },
      ...delivery,
    },
  };
}

/**
 * The configuration of a replica: {@link sandboxConfig} plus its port and PostgreSQL with a
 * database prefix of its own.
 */
export function replicaConfig(options: {
  sandbox: Sandbox;
  port: number;
  postgres: { connection: string; prefix: string };
  delivery?: JsonObject;
}): JsonObject {
  const { port } = options;
  return {
    ...sandboxConfig(options.sandbox, options.delivery),
    backend: {
      baseUrl: `http://127.0.0.1:${port}`,
      listen: { port, host: '127.0.0.1' },
      database: {
        client: 'pg',
        connection: options.postgres.connection,
        prefix: options.postgres.prefix,
      },
    },
  };
}

/** Starts dev/replica.ts with `config`; resolves once it listens. */
export async function startReplica(options: {
  name: string;
  config: JsonObject;
  timeoutMs?: number;
}): Promise<Replica> {
  const config = options.config as any;
  const port: number = config.backend.listen.port;
  const child: ChildProcess = spawn(
    process.execPath,
    [
      // e.g. `--cpu-prof` to profile the replicas.
      ...(process.env.DELIVERY_REPLICA_NODE_ARGS ?? '')
        .split(' ')
        .filter(Boolean),
      '--require',
      require.resolve('@backstage/cli/config/nodeTransform.cjs'),
      resolvePath(__dirname, 'replica.ts'),
    ],
    {
      env: {
        ...process.env,
        DELIVERY_REPLICA_CONFIG: JSON.stringify(options.config),
        LOG_LEVEL: process.env.DELIVERY_REPLICA_LOG_LEVEL ?? 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  live.add(child);
  const lines: string[] = [];
  const exited = new Promise<void>(resolve =>
    child.once('exit', () => {
      live.delete(child);
      resolve();
    }),
  );
  const replica: Replica = {
    name: options.name,
    url: `http://127.0.0.1:${port}/api/delivery`,
    pid: child.pid!,
    output: () => lines.join('\n'),
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
      }
      await exited;
    },
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `Replica ${options.name} did not start within ${
            options.timeoutMs ?? 60_000
          } ms:\n${replica.output()}`,
        ),
      );
    }, options.timeoutMs ?? 60_000);
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        lines.push(line);
        if (lines.length > 200) lines.shift();
        if (line.startsWith(READY_LINE)) {
          clearTimeout(timer);
          resolve();
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(
          `Replica ${options.name} exited (${
            signal ?? code
          }) before it was ready:\n${replica.output()}`,
        ),
      );
    });
  });
  return replica;
}

/** SIGKILLs every replica this process started and has not seen exit. */
export async function killAllReplicas(): Promise<void> {
  const children = [...live];
  await Promise.all(
    children.map(
      child =>
        new Promise<void>(resolve => {
          if (child.exitCode !== null || child.signalCode !== null) {
            resolve();
            return;
          }
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

// A test runner or script that dies must not leave replicas behind.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Creates the database a replica with `prefix` uses for the delivery plugin, empty. */
export async function createDeliveryDatabase(
  connection: string,
  prefix: string,
): Promise<void> {
  const admin = knexFactory({ client: 'pg', connection });
  try {
    await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [
      `${prefix}delivery`,
    ]);
    await admin.raw('CREATE DATABASE ??', [`${prefix}delivery`]);
  } finally {
    await admin.destroy();
  }
}

/** Drops the database created by {@link createDeliveryDatabase}. */
export async function dropDeliveryDatabase(
  connection: string,
  prefix: string,
): Promise<void> {
  const admin = knexFactory({ client: 'pg', connection });
  try {
    await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [
      `${prefix}delivery`,
    ]);
  } finally {
    await admin.destroy();
  }
}

/** Calls a replica's delivery route as a user (Ada unless told); parses the JSON answer. */
export async function callReplica(
  replica: Replica,
  method: 'GET' | 'POST',
  path: string,
  body?: object,
  user = 'user:default/ada',
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${replica.url}${path}`, {
    method,
    headers: {
      Authorization: mockCredentials.user.header(user),
      ...(body ? { 'Content-Type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** {@link callReplica}, throwing with the route, the replica and the answer unless it is 2xx. */
export async function callReplicaOk(
  replica: Replica,
  method: 'GET' | 'POST',
  path: string,
  body?: object,
): Promise<any> {
  const res = await callReplica(replica, method, path, body);
  if (res.status >= 300) {
    throw new Error(
      `${method} ${path} on ${replica.name}: ${res.status} ${JSON.stringify(
        res.body,
      )}`,
    );
  }
  return res.body;
}
