import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Server, Socket, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KubeStore,
  TrafficServer,
  startTrafficServer,
} from '@internal/sandbox';
import { UpstreamError } from '../UpstreamError';
import { HealthTarget } from '@internal/plugin-delivery-node';
import {
  PrometheusMetricsProvider,
  renderQuery,
} from './PrometheusMetricsProvider';

/*
 * Debian's Prometheus scrapes the sandbox's simulated traffic every second; the provider then
 * reads error rate, p95 latency and request rate through the real HTTP API.
 */

jest.setTimeout(40_000);

const PROMETHEUS = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';
const WINDOW_SECONDS = 8;
const GOOD = 'a'.repeat(40);
const BAD = 'b'.repeat(40);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

function deployment(name: string, sha: string) {
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
      replicas: 2,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [{ name, image: `acme/${name}:${sha.slice(0, 7)}` }],
        },
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

describe('PrometheusMetricsProvider against Debian Prometheus', () => {
  let traffic: TrafficServer;
  let prometheus: ChildProcess | undefined;
  let prometheusUrl: string;
  let dir: string;
  let output = '';

  beforeAll(async () => {
    if (!existsSync(PROMETHEUS)) {
      throw new Error(
        `${PROMETHEUS} is missing: this test runs Debian's Prometheus (apt-get install -y prometheus)`,
      );
    }
    const store = new KubeStore('canary');
    store.load([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'payments' } },
      deployment('steady', GOOD),
      deployment('broken', BAD),
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
      rps: 250,
      tickMs: 200,
      seed: 3,
    });

    dir = mkdtempSync(join(tmpdir(), 'delivery-prometheus-'));
    const config = join(dir, 'prometheus.yml');
    writeFileSync(
      config,
      [
        'global:',
        '  scrape_interval: 1s',
        '  evaluation_interval: 1s',
        'scrape_configs:',
        '  - job_name: sandbox-traffic',
        '    static_configs:',
        `      - targets: ['${new URL(traffic.url).host}']`,
        '',
      ].join('\n'),
    );
    const port = await freePort();
    prometheusUrl = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      PROMETHEUS,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stdout!.on('data', d => (output += d));
    prometheus.stderr!.on('data', d => (output += d));
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (prometheus.exitCode !== null) {
        throw new Error(`Prometheus exited at start:\n${output}`);
      }
      try {
        if ((await fetch(`${prometheusUrl}/-/ready`)).ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        throw new Error(`Prometheus did not become ready:\n${output}`);
      }
      await sleep(100);
    }
    // Wait until scrapes cover a whole rate window (the first one comes a few seconds in).
    for (;;) {
      const res = await fetch(
        `${prometheusUrl}/api/v1/query?${new URLSearchParams({
          query: `count_over_time(up{job="sandbox-traffic"}[${
            WINDOW_SECONDS + 2
          }s])`,
        })}`,
      );
      const scrapes = Number(
        (await res.json()).data?.result?.[0]?.value?.[1] ?? 0,
      );
      if (scrapes >= WINDOW_SECONDS + 1) break;
      if (Date.now() > deadline + 20_000) {
        throw new Error(`Prometheus did not scrape the traffic:\n${output}`);
      }
      await sleep(250);
    }
  });

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise(r => prometheus!.once('exit', r));
      prometheus.kill('SIGTERM');
      // A grace period whose timer is cleared: a pending one kept the jest worker alive.
      let grace: NodeJS.Timeout | undefined;
      await Promise.race([
        exited,
        new Promise(r => {
          grace = setTimeout(r, 5_000);
        }),
      ]);
      clearTimeout(grace);
      if (prometheus.exitCode === null) prometheus.kill('SIGKILL');
    }
    await traffic?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const provider = () =>
    new PrometheusMetricsProvider({
      baseUrl: prometheusUrl,
      windowSeconds: WINDOW_SECONDS,
      timeoutMs: 5_000,
    });

  it('sees a high error rate and p95 for the unhealthy version, low for the healthy one', async () => {
    const [steady, broken] = await Promise.all([
      provider().health(target('steady')),
      provider().health(target('broken')),
    ]);
    expect(steady.errorRate).toBeDefined();
    expect(steady.errorRate!).toBeLessThan(0.01);
    expect(steady.p95Seconds!).toBeGreaterThan(0.1);
    expect(steady.p95Seconds!).toBeLessThan(0.5);
    expect(steady.requestsPerSecond).toBeGreaterThan(150);
    expect(steady.requestsPerSecond).toBeLessThan(350);

    expect(broken.errorRate!).toBeGreaterThan(0.04);
    expect(broken.errorRate!).toBeLessThan(0.15);
    expect(broken.p95Seconds!).toBeGreaterThan(1.8);
    expect(broken.p95Seconds!).toBeLessThan(3.5);
    expect(Date.parse(broken.sampledAt)).not.toBeNaN();
  });

  it('answers undefined values, not an error, for a workload without metrics', async () => {
    const sample = await provider().health(target('nothing-here'));
    expect(sample).toEqual({
      errorRate: undefined,
      p95Seconds: undefined,
      requestsPerSecond: 0,
      sampledAt: expect.any(String),
    });
  });

  it('runs configured templates with their placeholders', async () => {
    const custom = new PrometheusMetricsProvider({
      baseUrl: prometheusUrl,
      windowSeconds: WINDOW_SECONDS,
      timeoutMs: 5_000,
      queries: {
        errorRate:
          'sum(rate(http_requests_total{job="sandbox-traffic",cluster="{{environment}}",version=~"{{version}}.*",code=~"5.."}[{{window}}])) / sum(rate(http_requests_total{job="sandbox-traffic",cluster="{{environment}}",version=~"{{version}}.*"}[{{window}}]))',
      },
    });
    const bad = await custom.health(
      target('anything', { version: BAD.slice(0, 7) }),
    );
    expect(bad.errorRate!).toBeGreaterThan(0.04);
    const good = await custom.health(target('anything', { version: GOOD }));
    expect(good.errorRate!).toBeLessThan(0.01);
  });

  it('names Prometheus and its complaint when a query is invalid', async () => {
    const invalid = new PrometheusMetricsProvider({
      baseUrl: prometheusUrl,
      timeoutMs: 5_000,
      queries: { p95: 'histogram_quantile(0.95, sum(' },
    });
    const error = await invalid.health(target('steady')).catch(e => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.statusCode).toBe(502);
    expect(error.message).toContain(`Prometheus (${prometheusUrl})`);
    expect(error.message).toContain('p95 latency query');
    expect(error.message).toContain('bad_data');
  });
});

describe('PrometheusMetricsProvider when Prometheus fails', () => {
  let hung: Server;
  let hungUrl: string;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    // Accepts connections and never answers.
    hung = createServer(socket => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>(r => hung.listen(0, '127.0.0.1', r));
    hungUrl = `http://127.0.0.1:${(hung.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise(r => hung.close(r));
  });

  it('is a 503 naming Prometheus when nothing listens', async () => {
    const port = await freePort();
    const error = await new PrometheusMetricsProvider({
      baseUrl: `http://127.0.0.1:${port}`,
      timeoutMs: 2_000,
    })
      .health(target('steady'))
      .catch(e => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.statusCode).toBe(503);
    expect(error.system).toBe('prometheus');
    expect(error.message).toBe(
      `Prometheus (http://127.0.0.1:${port}) is unreachable: ECONNREFUSED (connect ECONNREFUSED 127.0.0.1:${port})`,
    );
  });

  it('is a 503 after the request timeout when Prometheus hangs', async () => {
    // The server never answers: only the provider's own timeout ends the call.
    const error = await new PrometheusMetricsProvider({
      baseUrl: hungUrl,
      timeoutMs: 300,
    })
      .health(target('steady'))
      .catch(e => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.statusCode).toBe(503);
    expect(error.message).toBe(
      `Prometheus (${hungUrl}) is unreachable: no answer before the request timeout`,
    );
  });

  it('rejects unknown placeholders when built', () => {
    expect(
      () =>
        new PrometheusMetricsProvider({
          baseUrl: 'http://prometheus',
          timeoutMs: 1000,
          queries: { errorRate: 'up{pod="{{pod}}"}' },
        }),
    ).toThrow(/unknown placeholder \{\{pod\}\}/);
  });

  it('escapes values in templates', () => {
    expect(
      renderQuery(
        'x{a="{{workload}}"}[{{window}}]',
        target('we"ird\\name'),
        12.5,
      ),
    ).toBe('x{a="we\\"ird\\\\name"}[13s]');
  });
});
