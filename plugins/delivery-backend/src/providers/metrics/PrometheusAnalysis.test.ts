import { ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ConfigReader } from '@backstage/config';
import {
  FlagOfChange,
  HealthFigures,
  decideRollback,
} from '@internal/plugin-delivery-common';
import { AnalysisSample, AnalysisTarget } from '@internal/plugin-delivery-node';
import { UpstreamError } from '../UpstreamError';
import { createMetricsProvider } from './createMetricsProvider';
import { PrometheusMetricsProvider } from './PrometheusMetricsProvider';

/*
 * The rollback analysis against Debian's Prometheus. Two hours of the standard series
 * (the application's http_requests_total and http_request_duration_seconds_bucket, cAdvisor,
 * kube-state-metrics, a business counter) are written as OpenMetrics, one workload per
 * scenario, backfilled with `promtool tsdb create-blocks-from openmetrics`, and served by a
 * Prometheus without scrape targets. The provider evaluates at the last sample's time, so every
 * rate() window holds whole 15 s steps and the figures are exact up to float rounding.
 */

jest.setTimeout(60_000);

const PROMETHEUS = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';
const PROMTOOL = process.env.PROMTOOL_BIN ?? '/usr/bin/promtool';
const STEP = 15;
const WINDOW = 300;
const CLUSTER = 'production';
/** The last sample, a minute before the test starts, on the 15 s grid (seconds). */
const END = Math.floor(Date.now() / 1000 / STEP) * STEP - 60;
const START = END - 2 * 3600;
/** The newest change went out 10 minutes before the end: its errors start there. */
const CHANGE = END - 600;
/** The business metric drops during the analysis window only. */
const DROP = END - WINDOW;
/** The business metric's recent baseline (0.9) starts 35 minutes before the end (0.8 before). */
const RECENT = END - 2100;
const MiB = 1024 * 1024;

const TIMES: number[] = [];
for (let t = START; t <= END; t += STEP) TIMES.push(t);

type Labels = Record<string, string>;
interface Series {
  name: string;
  labels: Labels;
  values: number[];
}
const series: Series[] = [];

/** A counter that grows by `perStep(t)` in the step ending at t. */
function counter(name: string, labels: Labels, perStep: (t: number) => number) {
  let value = 0;
  series.push({
    name,
    labels,
    values: TIMES.map((t, i) => (value += i === 0 ? 0 : perStep(t))),
  });
}

function gauge(name: string, labels: Labels, at: (t: number) => number) {
  series.push({ name, labels, values: TIMES.map(at) });
}

/** Cumulative shares of requests per `le` bucket: p95 = 0.1 + 0.45 / 0.46 × 0.15 ≈ 0.2467 s. */
const LATENCY: Array<[string, number]> = [
  ['0.05', 0.2],
  ['0.1', 0.5],
  ['0.25', 0.96],
  ['0.5', 0.99],
  ['1', 1],
  ['2.5', 1],
  ['5', 1],
  ['+Inf', 1],
];

interface WorkloadSpec {
  namespace: string;
  name: string;
  /** Requests, 4xx and 5xx of each endpoint per step, over both pods. */
  endpoints?: Array<{
    handler: string;
    perStep: number;
    notFound?: number;
    errors: (t: number) => number;
  }>;
  /** CPU cores used by each pod's container (limit 1 core). */
  cpu?: [number, number];
  /** Working set of each pod's container (limit 512 MiB). */
  memory?: [number, number];
  /** A restart of each pod's container every this many steps. */
  restartEverySteps?: number;
  replicas?: (t: number) => number;
  /** Completed orders per step, of 200. */
  completed?: (t: number) => number;
}

function workload(spec: WorkloadSpec) {
  const { namespace, name } = spec;
  const deployment = { cluster: CLUSTER, namespace, deployment: name };
  const pods = [`${name}-5d8f7c9b6-x2k4p`, `${name}-5d8f7c9b6-q7w9z`];
  let total = 0;
  for (const e of spec.endpoints ?? []) {
    total += e.perStep;
    for (const pod of pods) {
      const labels = { ...deployment, pod, handler: e.handler };
      const notFound = e.notFound ?? 0;
      counter(
        'http_requests_total',
        { ...labels, code: '200' },
        t => (e.perStep - notFound - e.errors(t)) / 2,
      );
      if (notFound) {
        counter(
          'http_requests_total',
          { ...labels, code: '404' },
          () => notFound / 2,
        );
      }
      counter(
        'http_requests_total',
        { ...labels, code: '500' },
        t => e.errors(t) / 2,
      );
    }
  }
  if (total) {
    for (const [le, share] of LATENCY) {
      counter(
        'http_request_duration_seconds_bucket',
        { ...deployment, le },
        () => Math.round(share * total),
      );
    }
  }
  pods.forEach((pod, i) => {
    const podLabels = { cluster: CLUSTER, namespace, pod };
    const container = { ...podLabels, container: name };
    if (spec.cpu) {
      counter(
        'container_cpu_usage_seconds_total',
        { ...container, id: `/kubepods/${pod}/${name}`, image: `acme/${name}` },
        () => spec.cpu![i] * STEP,
      );
      // The pod's cgroup as cAdvisor reports it too: no container name, the pod's total.
      counter(
        'container_cpu_usage_seconds_total',
        { ...podLabels, container: '', id: `/kubepods/${pod}` },
        () => spec.cpu![i] * STEP,
      );
      gauge(
        'kube_pod_container_resource_limits',
        { ...container, resource: 'cpu', unit: 'core' },
        () => 1,
      );
    }
    if (spec.memory) {
      gauge(
        'container_memory_working_set_bytes',
        { ...container, id: `/kubepods/${pod}/${name}` },
        () => spec.memory![i],
      );
      gauge(
        'container_memory_working_set_bytes',
        { ...podLabels, container: '', id: `/kubepods/${pod}` },
        () => spec.memory![i],
      );
      gauge(
        'kube_pod_container_resource_limits',
        { ...container, resource: 'memory', unit: 'byte' },
        () => 512 * MiB,
      );
    }
    if (spec.restartEverySteps !== undefined) {
      const every = spec.restartEverySteps;
      counter('kube_pod_container_status_restarts_total', container, t =>
        every > 0 && ((t - START) / STEP) % every === 0 ? 1 : 0,
      );
    }
  });
  if (spec.replicas) {
    gauge(
      'kube_deployment_status_replicas_available',
      deployment,
      spec.replicas,
    );
  }
  if (spec.completed) {
    counter(
      'orders_total',
      { ...deployment, outcome: 'completed' },
      spec.completed,
    );
    counter(
      'orders_total',
      { ...deployment, outcome: 'failed' },
      t => 200 - spec.completed!(t),
    );
  }
}

/** Errors on the change's endpoint, /payments, after it went out: 6 % there. */
workload({
  namespace: 'checkout',
  name: 'checkout',
  endpoints: [
    { handler: '/payments', perStep: 300, errors: t => (t > CHANGE ? 18 : 0) },
    { handler: '/catalog', perStep: 300, notFound: 6, errors: () => 2 },
  ],
  cpu: [0.3, 0.45],
  memory: [200 * MiB, 230 * MiB],
  restartEverySteps: 0,
  replicas: () => 2,
});
/** Another deployment whose name starts with the workload's: its pods must not count. */
workload({
  namespace: 'checkout',
  name: 'checkout-worker',
  cpu: [0.95, 0.95],
  memory: [500 * MiB, 500 * MiB],
  restartEverySteps: 1,
  replicas: () => 1,
});
/** Errors on every endpoint, memory near its limit. */
workload({
  namespace: 'inventory',
  name: 'inventory',
  endpoints: ['/items', '/stock', '/reserve'].map(handler => ({
    handler,
    perStep: 200,
    errors: (t: number) => (t > CHANGE ? 10 : 0),
  })),
  cpu: [0.5, 0.55],
  memory: [300 * MiB, 470 * MiB],
  restartEverySteps: 4,
  replicas: () => 2,
});
/** Technically healthy; completed orders 0.8, then 0.9, then 0.55 in the analysis window. */
workload({
  namespace: 'shop',
  name: 'storefront',
  endpoints: [
    { handler: '/cart', perStep: 300, errors: () => 0 },
    { handler: '/checkout', perStep: 300, errors: () => 1 },
  ],
  cpu: [0.35, 0.3],
  memory: [256 * MiB, 256 * MiB],
  restartEverySteps: 0,
  replicas: () => 2,
  completed: t => {
    if (t > DROP) return 110;
    return t > RECENT ? 180 : 160;
  },
});
/** No pod available since the analysis window started. */
workload({
  namespace: 'search',
  name: 'search',
  replicas: t => (t > DROP ? 0 : 2),
});

function openMetrics(): string {
  const lines: string[] = [];
  // A metric's series together (the sort is stable: each series' samples stay in order).
  const sorted = [...series].sort((a, b) => a.name.localeCompare(b.name));
  for (const s of sorted) {
    const labels = Object.entries(s.labels)
      .map(([k, v]) => `${k}="${v}"`)
      .join(',');
    s.values.forEach((value, i) => {
      lines.push(`${s.name}{${labels}} ${value} ${TIMES[i]}`);
    });
  }
  lines.push('# EOF', '');
  return lines.join('\n');
}

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

function target(namespace: string, name: string): AnalysisTarget {
  return {
    environment: 'production',
    cluster: CLUSTER,
    namespace,
    workload: name,
    entityRef: `component:default/${name}`,
  };
}

/** The figures of the decision engine from a sample (no answer from `up` counts as down). */
function figures(sample: AnalysisSample): HealthFigures {
  return {
    up: sample.up ?? false,
    errorRate: sample.errorRate,
    requests: sample.requests,
    endpoints: sample.endpoints,
    p95Seconds: sample.p95Seconds,
    business: sample.business,
    cpu: sample.cpu,
    memory: sample.memory,
    restartsPerMinute: sample.restartsPerMinute,
  };
}

const BUSINESS =
  'sum(rate(orders_total{cluster="{{cluster}}",namespace="{{namespace}}",deployment="{{workload}}",outcome="completed"}[{{window}}])) / sum(rate(orders_total{cluster="{{cluster}}",namespace="{{namespace}}",deployment="{{workload}}"}[{{window}}]))';

describe('PrometheusMetricsProvider analysis against backfilled Debian Prometheus', () => {
  let prometheus: ChildProcess | undefined;
  let prometheusUrl: string;
  let dir: string;
  let output = '';

  beforeAll(async () => {
    for (const binary of [PROMETHEUS, PROMTOOL]) {
      if (!existsSync(binary)) {
        throw new Error(
          `${binary} is missing: this test backfills and runs Debian's Prometheus (apt-get install -y prometheus)`,
        );
      }
    }
    dir = mkdtempSync(join(tmpdir(), 'delivery-prometheus-analysis-'));
    const input = join(dir, 'series.om');
    writeFileSync(input, openMetrics());
    const data = join(dir, 'data');
    try {
      await promisify(execFile)(
        PROMTOOL,
        ['tsdb', 'create-blocks-from', 'openmetrics', input, data],
        { timeout: 30_000 },
      );
    } catch (error: any) {
      throw new Error(
        `promtool could not backfill the series: ${error.message}\n${
          error.stderr ?? ''
        }`,
      );
    }
    const config = join(dir, 'prometheus.yml');
    writeFileSync(config, 'global:\n  evaluation_interval: 15s\n');
    const port = await freePort();
    prometheusUrl = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      PROMETHEUS,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${data}`,
        // The blocks are two hours old at most; retention counts from the newest block.
        '--storage.tsdb.retention.time=1d',
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stdout!.on('data', d => (output += d));
    prometheus.stderr!.on('data', d => (output += d));
    const deadline = Date.now() + 20_000;
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
  });

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise(r => prometheus!.once('exit', r));
      prometheus.kill('SIGTERM');
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
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const provider = (
    options: Partial<
      ConstructorParameters<typeof PrometheusMetricsProvider>[0]
    > = {},
  ) =>
    new PrometheusMetricsProvider({
      baseUrl: prometheusUrl,
      windowSeconds: WINDOW,
      timeoutMs: 10_000,
      queries: { business: BUSINESS },
      now: () => new Date(END * 1000),
      ...options,
    });

  it('sees errors on the flagged endpoint with healthy infrastructure: flag off', async () => {
    const sample = await provider().analyze(target('checkout', 'checkout'));
    // 20 steps of 300 requests on each endpoint; 18 errors a step on /payments, 2 on /catalog.
    expect(sample.endpoints).toEqual([
      {
        endpoint: '/catalog',
        requests: expect.closeTo(6000, 3),
        errors: expect.closeTo(40, 3),
      },
      {
        endpoint: '/payments',
        requests: expect.closeTo(6000, 3),
        errors: expect.closeTo(360, 3),
      },
    ]);
    expect(sample.errorRate).toBeCloseTo(400 / 12000, 6);
    expect(sample.requestsPerSecond).toBeCloseTo(40, 6);
    expect(sample.requests).toBeCloseTo(12000, 3);
    expect(sample.p95Seconds).toBeCloseTo(0.1 + (0.45 / 0.46) * 0.15, 3);
    // The busiest container of checkout's own pods, not checkout-worker's (0.95 and 97.7 %).
    expect(sample.cpu).toBeCloseTo(0.45, 6);
    expect(sample.memory).toBeCloseTo(230 / 512, 6);
    expect(sample.restartsPerMinute).toBe(0);
    expect(sample.up).toBe(true);
    expect(sample.business).toBeUndefined();
    expect(sample.sampledAt).toBe(new Date(END * 1000).toISOString());

    const flags: FlagOfChange[] = [
      { key: 'new-payment-flow', on: true, endpoints: ['/payments'] },
      { key: 'old-banner', on: false, endpoints: ['/catalog'] },
    ];
    const decision = decideRollback({
      figures: figures(sample),
      flags,
      now: new Date(END * 1000),
    });
    expect(decision).toMatchObject({
      level: 1,
      action: 'flag-off',
      flags: ['new-payment-flow'],
    });
    expect(decision.reasons).toContain('error rate 3.33 % (over 1.00 %)');
    expect(decision.reasons.join('\n')).toContain(
      "90.0 % of the errors are on the new change's endpoints (/payments)",
    );
  });

  it('sees errors on every endpoint and memory over 85 % of its limit: stable rollback', async () => {
    const sample = await provider().analyze(target('inventory', 'inventory'));
    expect(sample.endpoints.map(e => e.endpoint)).toEqual([
      '/items',
      '/reserve',
      '/stock',
    ]);
    for (const e of sample.endpoints) {
      expect(e.requests).toBeCloseTo(4000, 3);
      expect(e.errors).toBeCloseTo(200, 3);
    }
    expect(sample.errorRate).toBeCloseTo(0.05, 6);
    expect(sample.memory).toBeCloseTo(470 / 512, 6);
    expect(sample.cpu).toBeCloseTo(0.55, 6);
    // One restart a minute on each of the two pods.
    expect(sample.restartsPerMinute).toBeCloseTo(2, 6);
    expect(sample.up).toBe(true);

    const decision = decideRollback({
      figures: figures(sample),
      flags: [{ key: 'new-reserve', on: true, endpoints: ['/reserve'] }],
      now: new Date(END * 1000),
    });
    expect(decision).toMatchObject({ level: 2, action: 'stable-rollback' });
    expect(decision.reasons).toEqual(
      expect.arrayContaining([
        'memory at 91.8 % of its limit (over 85.0 %)',
        'error rate 5.00 % (over 1.00 %)',
      ]),
    );
  });

  it('holds a business metric drop with no technical breach for a person', async () => {
    const sample = await provider().analyze(target('shop', 'storefront'));
    // The baseline: the hour before the window, half at 0.8 and half at 0.9.
    expect(sample.business!.value).toBeCloseTo(0.55, 6);
    expect(sample.business!.baseline).toBeCloseTo(0.85, 6);
    expect(sample.errorRate).toBeCloseTo(1 / 600, 6);
    expect(sample.cpu).toBeCloseTo(0.35, 6);
    expect(sample.memory).toBeCloseTo(0.5, 6);
    expect(sample.restartsPerMinute).toBe(0);
    expect(sample.up).toBe(true);

    const decision = decideRollback({
      figures: figures(sample),
      flags: [
        { key: 'one-click-checkout', on: true, endpoints: ['/checkout'] },
      ],
      now: new Date(END * 1000),
    });
    expect(decision).toMatchObject({
      level: 'hold',
      action: 'ask',
      then: 'flag-off',
    });
    expect(decision.reasons[0]).toBe(
      'business metric 35.3 % below its baseline (over 20.0 %)',
    );

    // A target's own baseline window: the last 30 minutes before the window, all at 0.9.
    const recent = await provider().analyze({
      ...target('shop', 'storefront'),
      baselineSeconds: 1800,
    });
    expect(recent.business!.baseline).toBeCloseTo(0.9, 6);
  });

  it('sees a workload without available pods as down: reroute', async () => {
    const sample = await provider().analyze(target('search', 'search'));
    expect(sample).toMatchObject({
      up: false,
      endpoints: [],
      errorRate: undefined,
      p95Seconds: undefined,
      requestsPerSecond: 0,
      requests: undefined,
      cpu: undefined,
      memory: undefined,
      business: undefined,
    });
    expect(
      decideRollback({
        figures: figures(sample),
        flags: [],
        now: new Date(END * 1000),
      }),
    ).toMatchObject({ level: 3, action: 'reroute', then: 5 });
  });

  it('leaves every figure undefined for a workload without series', async () => {
    const sample = await provider().analyze(target('nowhere', 'ghost'));
    expect(sample).toEqual({
      up: undefined,
      endpoints: [],
      errorRate: undefined,
      p95Seconds: undefined,
      requestsPerSecond: 0,
      requests: undefined,
      cpu: undefined,
      memory: undefined,
      restartsPerMinute: undefined,
      business: undefined,
      sampledAt: new Date(END * 1000).toISOString(),
    });
  });

  it('charts error rate, p95 and request rate over a range, one point a step', async () => {
    const points = await provider().series(target('checkout', 'checkout'), {
      rangeSeconds: 1800,
      stepSeconds: 60,
    });
    expect(points).toHaveLength(31);
    expect(points[0].at).toBe(new Date((END - 1800) * 1000).toISOString());
    expect(points[30].at).toBe(new Date(END * 1000).toISOString());
    for (const point of points) {
      expect(point.requestsPerSecond).toBeCloseTo(40, 6);
      expect(point.p95Seconds).toBeCloseTo(0.2467, 3);
    }
    // Before the change only /catalog fails (2 a step); a whole window after it, /payments too.
    const before = points.filter(p => Date.parse(p.at) <= CHANGE * 1000);
    const after = points.filter(
      p => Date.parse(p.at) >= (CHANGE + WINDOW) * 1000,
    );
    expect(before).toHaveLength(21);
    expect(after).toHaveLength(6);
    for (const p of before) expect(p.errorRate).toBeCloseTo(40 / 12000, 6);
    for (const p of after) expect(p.errorRate).toBeCloseTo(400 / 12000, 6);
  });

  it('leaves the points of a workload without series empty', async () => {
    const points = await provider().series(target('nowhere', 'ghost'), {
      rangeSeconds: 600,
      stepSeconds: 300,
    });
    expect(points).toEqual(
      [END - 600, END - 300, END].map(t => ({
        at: new Date(t * 1000).toISOString(),
        errorRate: undefined,
        p95Seconds: undefined,
        requestsPerSecond: undefined,
      })),
    );
  });

  it('reads the endpoint label, the analysis queries and the baseline from config', async () => {
    const configured = createMetricsProvider(
      new ConfigReader({
        delivery: {
          metrics: {
            provider: 'prometheus',
            window: '5m',
            baseline: '30m',
            prometheus: {
              baseUrl: prometheusUrl,
              endpointLabel: 'code',
              queries: {
                business: BUSINESS,
                restarts: 'vector(7)',
              },
            },
          },
        },
      }),
      { timeoutMs: 10_000 },
    )!;
    // The configured provider reads at the clock's time: only the clock is faked.
    jest.useFakeTimers({
      now: END * 1000,
      doNotFake: [
        'hrtime',
        'nextTick',
        'performance',
        'queueMicrotask',
        'requestAnimationFrame',
        'cancelAnimationFrame',
        'requestIdleCallback',
        'cancelIdleCallback',
        'setImmediate',
        'clearImmediate',
        'setInterval',
        'clearInterval',
        'setTimeout',
        'clearTimeout',
      ],
    });
    let sample: AnalysisSample;
    try {
      sample = await configured.analyze!(target('shop', 'storefront'));
    } finally {
      jest.useRealTimers();
    }
    expect(sample.sampledAt).toBe(new Date(END * 1000).toISOString());
    expect(sample.endpoints).toEqual([
      {
        endpoint: '200',
        requests: expect.closeTo(11980, 3),
        errors: 0,
      },
      {
        endpoint: '500',
        requests: expect.closeTo(20, 3),
        errors: expect.closeTo(20, 3),
      },
    ]);
    expect(sample.restartsPerMinute).toBe(7);
    expect(sample.business!.value).toBeCloseTo(0.55, 6);
    expect(sample.business!.baseline).toBeCloseTo(0.9, 6);
  });

  it('names Prometheus and the analysis query that failed', async () => {
    const error = await provider({
      queries: { cpu: 'max(sum by (pod) (' },
    })
      .analyze(target('checkout', 'checkout'))
      .catch(e => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.statusCode).toBe(502);
    expect(error.message).toContain(
      `Prometheus (${prometheusUrl}) failed the CPU query for production/checkout/checkout`,
    );
    expect(error.message).toContain('bad_data');

    const range = await provider({ queries: { p95: 'histogram_quantile(' } })
      .series(target('checkout', 'checkout'), {
        rangeSeconds: 600,
        stepSeconds: 60,
      })
      .catch(e => e);
    expect(range).toBeInstanceOf(UpstreamError);
    expect(range.message).toContain(
      'failed the p95 latency range query for production/checkout/checkout',
    );
  });
});

describe('PrometheusMetricsProvider analysis options', () => {
  const build = (
    options: Partial<
      ConstructorParameters<typeof PrometheusMetricsProvider>[0]
    >,
  ) =>
    new PrometheusMetricsProvider({
      baseUrl: 'http://prometheus',
      timeoutMs: 1000,
      ...options,
    });

  it('rejects unknown placeholders in the analysis queries when built', () => {
    expect(() =>
      build({ queries: { cpu: 'x{container="{{container}}"}' } }),
    ).toThrow(/CPU query uses the unknown placeholder \{\{container\}\}/);
    expect(() => build({ queries: { business: 'x[{{baseline}}]' } })).toThrow(
      /business-metric query uses the unknown placeholder/,
    );
  });

  it('rejects an endpoint label that is not a label name', () => {
    expect(() => build({ endpointLabel: 'handler) or (up' })).toThrow(
      /is not a label name/,
    );
  });

  it('rejects a series without a step or with too many points', async () => {
    const somewhere: AnalysisTarget = {
      environment: 'uat',
      cluster: 'uat',
      namespace: 'n',
      workload: 'w',
      entityRef: 'component:default/w',
    };
    await expect(
      build({}).series(somewhere, { rangeSeconds: 600, stepSeconds: 0 }),
    ).rejects.toThrow(/longer than 0/);
    await expect(
      build({}).series(somewhere, { rangeSeconds: 86400, stepSeconds: 1 }),
    ).rejects.toThrow(/too many points/);
  });
});
