import { ConfigReader } from '@backstage/config';
import {
  KubeStore,
  TrafficServer,
  VersionFault,
  startTrafficServer,
} from '@internal/sandbox';
import { Server, Socket, createServer } from 'node:net';
import { UpstreamError } from '../UpstreamError';
import { decideRollback } from '@internal/plugin-delivery-common';
import { AnalysisTarget } from '@internal/plugin-delivery-node';
import { PrometheusMetricsProvider } from './PrometheusMetricsProvider';
import { SandboxMetricsProvider } from './SandboxMetricsProvider';
import {
  BUILT_IN_METRICS_PROVIDERS,
  createMetricsProvider,
} from './createMetricsProvider';

const GOOD = 'a'.repeat(40);
const BAD = 'b'.repeat(40);
const FAULTY = ['payments-api', 'hot', 'crashy', 'dead', 'leaky', 'checkout'];

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

function target(workload: string, extra: Partial<AnalysisTarget> = {}) {
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
    ...FAULTY.map(name => deployment(name, GOOD)),
  ]);
  for (const name of ['steady', 'broken', ...FAULTY]) {
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
  const inject = (workload: string, fault: VersionFault) =>
    traffic.simulator.setFault({
      cluster: 'canary',
      namespace: 'payments',
      workload,
      fault,
    });
  inject('payments-api', { kind: 'endpoint-errors', endpoints: ['/payments'] });
  inject('hot', { kind: 'cpu-hot' });
  inject('crashy', { kind: 'crash-loop' });
  inject('dead', { kind: 'down' });
  inject('leaky', { kind: 'memory-leak', crossAfterSeconds: 30 });
  for (let i = 0; i < 60; i++) {
    clock += 1000;
    traffic.tick();
    // The checkout change ships half-way through: fewer orders complete from then on.
    if (i === 29) inject('checkout', { kind: 'business-drop', drop: 0.5 });
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

describe('SandboxMetricsProvider analysis', () => {
  const provider = () =>
    new SandboxMetricsProvider({ baseUrl: traffic.url, timeoutMs: 2_000 });

  it('reads every figure of a healthy workload', async () => {
    const a = await provider().analyze(target('steady'));
    expect(a).toMatchObject({
      requests: 6000,
      requestsPerSecond: 100,
      sampledAt: new Date(clock).toISOString(),
      up: true,
      restartsPerMinute: 0,
    });
    expect(a.errorRate!).toBeLessThan(0.01);
    expect(a.p95Seconds!).toBeLessThan(0.3);
    expect(a.endpoints.map(e => e.endpoint)).toEqual([
      '/api/items',
      '/api/items/:id',
    ]);
    expect(a.endpoints.reduce((n, e) => n + e.requests, 0)).toBe(6000);
    expect(a.cpu!).toBeGreaterThan(0.2);
    expect(a.cpu!).toBeLessThan(0.4);
    expect(a.memory!).toBeGreaterThan(0.4);
    expect(a.memory!).toBeLessThan(0.5);
    // The window is the last 30 s; the baseline the 30 s before.
    const b = (
      await provider().analyze(
        target('steady', { windowSeconds: 30, baselineSeconds: 30 }),
      )
    ).business!;
    expect(b.value).toBeGreaterThan(0.8);
    expect(b.baseline).toBeGreaterThan(0.8);
  });

  it('reads where the errors sit and what the pods suffer', async () => {
    const flagged = await provider().analyze(target('payments-api'));
    const onPayments = flagged.endpoints.find(e => e.endpoint === '/payments')!;
    const errors = flagged.endpoints.reduce((n, e) => n + e.errors, 0);
    expect(flagged.endpoints.map(e => e.endpoint)).toEqual([
      '/payments',
      '/payments/:id',
      '/refunds',
    ]);
    expect(onPayments.errors / errors).toBeGreaterThan(0.9);
    expect(flagged.errorRate!).toBeGreaterThan(0.05);

    expect((await provider().analyze(target('hot'))).cpu!).toBeGreaterThan(0.8);
    expect(
      (await provider().analyze(target('crashy'))).restartsPerMinute!,
    ).toBeGreaterThan(5);
    const dead = await provider().analyze(target('dead'));
    expect(dead.up).toBe(false);
    expect(dead.errorRate).toBe(1);
    expect(
      (await provider().analyze(target('leaky', { windowSeconds: 5 }))).memory!,
    ).toBeGreaterThan(0.85);
    const checkout = (
      await provider().analyze(
        target('checkout', { windowSeconds: 30, baselineSeconds: 30 }),
      )
    ).business!;
    expect(
      (checkout.baseline - checkout.value) / checkout.baseline,
    ).toBeGreaterThan(0.3);
  });

  it('gives the decision engine the figures of every level', async () => {
    const decide = async (workload: string, flagOn = false) => {
      const a = await provider().analyze(
        target(workload, { windowSeconds: 30, baselineSeconds: 30 }),
      );
      return decideRollback({
        figures: { ...a, up: a.up ?? true },
        flags: [
          { key: 'http2-payment-client', on: flagOn, endpoints: ['/payments'] },
        ],
        now: new Date(clock),
      });
    };
    expect((await decide('steady')).action).toBe('none');
    expect(await decide('payments-api', true)).toMatchObject({
      level: 1,
      action: 'flag-off',
      flags: ['http2-payment-client'],
    });
    // The same errors with no flag of the change on: a rollback.
    expect((await decide('payments-api')).action).toBe('stable-rollback');
    for (const workload of ['broken', 'hot', 'crashy', 'leaky']) {
      expect([workload, (await decide(workload)).action]).toEqual([
        workload,
        'stable-rollback',
      ]);
    }
    expect(await decide('dead')).toMatchObject({ level: 3, action: 'reroute' });
    expect(await decide('checkout')).toMatchObject({
      level: 'hold',
      action: 'ask',
    });
  });

  it('passes the version through', async () => {
    const other = await provider().analyze(target('steady', { version: BAD }));
    expect(other).toMatchObject({
      requests: 0,
      errorRate: undefined,
      p95Seconds: undefined,
      requestsPerSecond: 0,
    });
    expect(other.endpoints.every(e => e.requests === 0)).toBe(true);
  });

  it('has no data, not an error, for an unknown workload', async () => {
    expect(await provider().analyze(target('nope'))).toEqual({
      requestsPerSecond: 0,
      sampledAt: expect.any(String),
      endpoints: [],
    });
    expect(
      await provider().series(target('nope'), {
        rangeSeconds: 60,
        stepSeconds: 10,
      }),
    ).toEqual([]);
  });

  it('charts error rate, p95 and request rate per step', async () => {
    const points = await provider().series(target('broken'), {
      rangeSeconds: 60,
      stepSeconds: 10,
    });
    expect(points).toHaveLength(6);
    expect(points[5].at).toBe(new Date(clock).toISOString());
    expect(points[0].at).toBe(new Date(clock - 50_000).toISOString());
    for (const p of points) {
      expect(p.requestsPerSecond).toBe(100);
      expect(p.errorRate!).toBeGreaterThan(0.03);
      expect(p.p95Seconds!).toBeGreaterThan(2);
    }
    // Before the traffic started: nothing to show.
    const older = await provider().series(target('steady'), {
      rangeSeconds: 120,
      stepSeconds: 30,
    });
    expect(older[0]).toEqual({
      at: new Date(clock - 90_000).toISOString(),
      errorRate: undefined,
      p95Seconds: undefined,
      requestsPerSecond: undefined,
    });
    expect(older[3].requestsPerSecond).toBe(100);
  });

  it('is a 502 naming the sandbox and the bad parameter when it refuses the question', async () => {
    const error = await provider()
      .analyze(target('steady', { baselineSeconds: -1 }))
      .catch(e => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.statusCode).toBe(502);
    expect(error.message).toBe(
      `Sandbox traffic (${traffic.url}) failed to report the analysis of canary/payments/steady: HTTP 400 baselineSeconds must be a positive number, got '-1'`,
    );
    const series = await provider()
      .series(target('steady'), { rangeSeconds: 60, stepSeconds: 0 })
      .catch(e => e);
    expect(series.statusCode).toBe(502);
    expect(series.message).toBe(
      `Sandbox traffic (${traffic.url}) failed to report the series of canary/payments/steady: HTTP 400 stepSeconds must be a positive number, got '0'`,
    );
  });

  it('is a 503 when the sandbox is down or hangs', async () => {
    const hanging = new SandboxMetricsProvider({
      baseUrl: hungUrl,
      timeoutMs: 200,
    });
    for (const call of [
      () => hanging.analyze(target('steady')),
      () =>
        hanging.series(target('steady'), { rangeSeconds: 60, stepSeconds: 10 }),
    ]) {
      const error = await call().catch(e => e);
      expect(error).toBeInstanceOf(UpstreamError);
      expect(error.statusCode).toBe(503);
      expect(error.message).toBe(
        `Sandbox traffic (${hungUrl}) is unreachable: no answer before the request timeout`,
      );
    }
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
