import { ConfigReader } from '@backstage/config';
import {
  KubeStore,
  TrafficServer,
  startTrafficServer,
} from '@internal/sandbox';
import { Server, Socket, createServer } from 'node:net';
import { UpstreamError } from '../UpstreamError';
import { HealthTarget } from '@internal/plugin-delivery-node';
import { PrometheusMetricsProvider } from './PrometheusMetricsProvider';
import { SandboxMetricsProvider } from './SandboxMetricsProvider';
import {
  BUILT_IN_METRICS_PROVIDERS,
  createMetricsProvider,
} from './createMetricsProvider';

const GOOD = 'a'.repeat(40);
const BAD = 'b'.repeat(40);

function deployment(name: string, sha: string, replicas = 2) {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace: 'payments',
      labels,
      annotations: { 'delivery.backstage.io/commit-sha': sha },
    },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name, image: `acme/${name}:1` }] },
      },
    },
  };
}

function target(workload: string, extra: Partial<HealthTarget> = {}) {
  return {
    environment: 'canary',
    cluster: 'canary',
    namespace: 'payments',
    workload,
    entityRef: `component:default/${workload}`,
    ...extra,
  };
}

let traffic: TrafficServer;
let clock: number;
let hung: Server;
let hungUrl: string;
const sockets = new Set<Socket>();

beforeAll(async () => {
  clock = Date.parse('2026-11-20T12:00:00Z');
  const store = new KubeStore('canary');
  store.load([
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'payments' } },
    deployment('steady', GOOD),
    deployment('broken', BAD),
    deployment('idle', GOOD, 0),
  ]);
  for (const name of ['steady', 'broken']) {
    const d = store.read('deployments', 'payments', name);
    store.updateStatus('deployments', 'payments', name, {
      observedGeneration: d.metadata.generation,
      replicas: 2,
      updatedReplicas: 2,
      readyReplicas: 2,
      availableReplicas: 2,
    });
  }
  traffic = await startTrafficServer({
    clusters: { canary: store },
    faultOf: sha =>
      sha === BAD ? { fault: { kind: 'unhealthy' } } : undefined,
    rps: 100,
    paused: true,
    now: () => clock,
  });
  for (let i = 0; i < 60; i++) {
    clock += 1000;
    traffic.tick();
  }
  hung = createServer(socket => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>(r => hung.listen(0, '127.0.0.1', r));
  hungUrl = `http://127.0.0.1:${(hung.address() as { port: number }).port}`;
});

afterAll(async () => {
  await traffic.close();
  for (const socket of sockets) socket.destroy();
  await new Promise(r => hung.close(r));
});

describe('SandboxMetricsProvider', () => {
  const provider = () =>
    new SandboxMetricsProvider({ baseUrl: traffic.url, timeoutMs: 2_000 });

  it('reads healthy and unhealthy workloads from the simulated traffic', async () => {
    const steady = await provider().health(target('steady'));
    expect(steady.errorRate!).toBeLessThan(0.01);
    expect(steady.p95Seconds!).toBeLessThan(0.3);
    expect(steady.requestsPerSecond).toBe(100);
    expect(steady.sampledAt).toBe(new Date(clock).toISOString());

    const broken = await provider().health(target('broken'));
    expect(broken.errorRate!).toBeGreaterThan(0.05);
    expect(broken.p95Seconds!).toBeGreaterThan(2);
  });

  it('passes the window and version through', async () => {
    const recent = await provider().health(
      target('steady', { windowSeconds: 5 }),
    );
    expect(recent.requestsPerSecond).toBe(100);
    const otherVersion = await provider().health(
      target('steady', { version: BAD }),
    );
    expect(otherVersion).toMatchObject({
      errorRate: undefined,
      p95Seconds: undefined,
      requestsPerSecond: 0,
    });
  });

  it('has no data, not an error, without traffic or for an unknown workload', async () => {
    for (const workload of ['idle', 'nope']) {
      expect(await provider().health(target(workload))).toEqual({
        errorRate: undefined,
        p95Seconds: undefined,
        requestsPerSecond: 0,
        sampledAt: expect.any(String),
      });
    }
  });

  it('is a 502 naming the sandbox when it refuses the question', async () => {
    const error = await provider()
      .health(target('steady', { windowSeconds: -5 }))
      .catch(e => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.statusCode).toBe(502);
    expect(error.message).toBe(
      `Sandbox traffic (${traffic.url}) failed to report the health of canary/payments/steady: HTTP 400 windowSeconds must be a positive number, got '-5'`,
    );
  });

  it('is a 503 when the sandbox is down or hangs', async () => {
    const closed = createServer();
    await new Promise<void>(r => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as { port: number }).port;
    await new Promise(r => closed.close(r));
    const down = await new SandboxMetricsProvider({
      baseUrl: `http://127.0.0.1:${port}`,
      timeoutMs: 2_000,
    })
      .health(target('steady'))
      .catch(e => e);
    expect(down).toBeInstanceOf(UpstreamError);
    expect(down.statusCode).toBe(503);
    expect(down.message).toMatch(
      `Sandbox traffic (http://127.0.0.1:${port}) is unreachable: ECONNREFUSED`,
    );
    const hanging = await new SandboxMetricsProvider({
      baseUrl: hungUrl,
      timeoutMs: 200,
    })
      .health(target('steady'))
      .catch(e => e);
    expect(hanging.statusCode).toBe(503);
    expect(hanging.message).toBe(
      `Sandbox traffic (${hungUrl}) is unreachable: no answer before the request timeout`,
    );
  });
});

describe('createMetricsProvider', () => {
  const create = (metrics?: object) =>
    createMetricsProvider(
      new ConfigReader({ delivery: metrics ? { metrics } : {} }),
      { timeoutMs: 2_000 },
    );

  it('is undefined without delivery.metrics', () => {
    expect(create()).toBeUndefined();
  });

  it('builds the sandbox provider with the configured window', async () => {
    const provider = create({
      provider: 'sandbox',
      window: '10s',
      sandbox: { baseUrl: `${traffic.url}/` },
    });
    expect(provider).toBeInstanceOf(SandboxMetricsProvider);
    const sample = await provider!.health(target('broken'));
    expect(sample.errorRate!).toBeGreaterThan(0.04);
  });

  it('builds the Prometheus provider with its templates', () => {
    expect(
      create({
        provider: 'prometheus',
        window: { minutes: 2 },
        prometheus: {
          baseUrl: 'http://prometheus:9090',
          errorRateQuery: 'vector(0)',
          p95Query: 'vector(0.1)',
        },
      }),
    ).toBeInstanceOf(PrometheusMetricsProvider);
    expect(() =>
      create({
        provider: 'prometheus',
        prometheus: {
          baseUrl: 'http://prometheus:9090',
          p95Query: 'x{pod="{{pod}}"}',
        },
      }),
    ).toThrow(/p95 latency query uses the unknown placeholder \{\{pod\}\}/);
  });

  it('names what is missing or wrong', () => {
    expect(() => create({ provider: 'prometheus' })).toThrow(
      /delivery\.metrics\.prometheus/,
    );
    expect(() => create({ provider: 'datadog' })).toThrow(
      "delivery.metrics.provider is 'datadog', but no metrics provider of that type is installed (known: 'prometheus', 'sandbox')",
    );
  });

  it('makes providers added by modules, by their type', async () => {
    const provider = createMetricsProvider(
      new ConfigReader({ delivery: { metrics: { provider: 'fixed' } } }),
      {
        timeoutMs: 1000,
        factories: [
          ...BUILT_IN_METRICS_PROVIDERS,
          {
            type: 'fixed',
            create: ({ windowSeconds, timeoutMs }) => ({
              health: async () => ({
                errorRate: windowSeconds / 1000,
                requestsPerSecond: timeoutMs,
                sampledAt: '2026-11-28T00:00:00Z',
              }),
            }),
          },
        ],
      },
    );
    await expect(
      provider!.health({
        environment: 'uat',
        cluster: 'uat',
        namespace: 'n',
        workload: 'w',
        entityRef: 'component:default/w',
      }),
    ).resolves.toMatchObject({ errorRate: 0.06, requestsPerSecond: 1000 });
  });
});
