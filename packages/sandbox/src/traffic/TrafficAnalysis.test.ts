/*
 * The figures of a rollback decision in the simulated traffic: endpoints, faults, pods and
 * their resources, orders, canary weights, `/analysis`, `/series` and `/_sandbox/faults`.
 */
import { KubeObject, KubeStore } from '../kube/KubeStore';
import { TrafficServer, startTrafficServer } from './TrafficServer';
import { COMMIT_SHA_ANNOTATION, podName } from './TrafficSimulator';

const GOOD = 'a'.repeat(40);
const NEXT = 'c'.repeat(40);

function deployment(
  name: string,
  sha: string,
  replicas: number,
  extra: { limits?: Record<string, string>; id?: string } = {},
): KubeObject {
  const labels = {
    app: name,
    ...(extra.id ? { 'backstage.io/kubernetes-id': extra.id } : {}),
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace: 'shop',
      labels,
      annotations: { [COMMIT_SHA_ANNOTATION]: sha },
    },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: `${name}-app`,
              image: `sandbox.local/acme/${name}:${sha.slice(0, 7)}`,
              ...(extra.limits ? { resources: { limits: extra.limits } } : {}),
            },
          ],
        },
      },
    },
  };
}

function canaryIngress(id: string, weight?: string): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: `${id}-canary`,
      namespace: 'shop',
      labels: { 'backstage.io/kubernetes-id': id },
      annotations: {
        'nginx.ingress.kubernetes.io/canary': 'true',
        ...(weight !== undefined
          ? { 'nginx.ingress.kubernetes.io/canary-weight': weight }
          : {}),
      },
    },
    spec: { rules: [] },
  };
}

function setStatus(store: KubeStore, name: string) {
  const d = store.read('deployments', 'shop', name);
  const replicas = d.spec.replicas;
  store.updateStatus('deployments', 'shop', name, {
    observedGeneration: d.metadata.generation,
    replicas,
    updatedReplicas: replicas,
    readyReplicas: replicas,
    availableReplicas: replicas,
  });
}

function deploy(store: KubeStore, name: string, sha: string) {
  const d = store.read('deployments', 'shop', name);
  d.metadata.annotations[COMMIT_SHA_ANNOTATION] = sha;
  d.spec.template.spec.containers[0].image = `sandbox.local/acme/${name}:${sha.slice(
    0,
    7,
  )}`;
  store.update('deployments', d);
  setStatus(store, name);
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$/.exec(line);
    if (!m) throw new Error(`unparseable line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of m[2].matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1]] = l[2];
    }
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

jest.setTimeout(30_000);

const NAMES = [
  'payments-api',
  'web',
  'leaky',
  'hot',
  'crashy',
  'dead',
  'slow',
  'spread',
  'shop-front',
  'routed',
];

describe('rollback figures of the simulated traffic', () => {
  let store: KubeStore;
  let server: TrafficServer;
  let clock: number;

  function run(ticks: number) {
    for (let i = 0; i < ticks; i++) {
      clock += 1000;
      server.tick();
    }
  }

  async function get(path: string, query: Record<string, string | number>) {
    const q = new URLSearchParams(
      Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)])),
    );
    const res = await fetch(`${server.url}${path}?${q}`);
    return { status: res.status, body: await res.json() };
  }

  const analysis = async (
    workload: string,
    extra: Record<string, string | number> = {},
  ) => {
    const res = await get('/analysis', {
      cluster: 'prod',
      namespace: 'shop',
      workload,
      windowSeconds: 60,
      ...extra,
    });
    expect(res.status).toBe(200);
    return res.body;
  };

  async function inject(body: unknown, method = 'POST') {
    const res = await fetch(`${server.url}/_sandbox/faults`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  }

  const fault = (workload: string, f: unknown, version?: string) =>
    inject({
      cluster: 'prod',
      namespace: 'shop',
      workload,
      fault: f,
      ...(version ? { version } : {}),
    });

  beforeEach(async () => {
    clock = Date.parse('2026-11-20T12:00:00Z');
    store = new KubeStore('prod');
    store.load([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } },
      ...NAMES.map(name =>
        deployment(name, GOOD, name === 'payments-api' ? 3 : 2, {
          ...(name === 'hot' ? { limits: { cpu: '2', memory: '1Gi' } } : {}),
          ...(name === 'routed' ? { id: 'routed-service' } : {}),
        }),
      ),
    ]);
    for (const name of NAMES) setStatus(store, name);
    server = await startTrafficServer({
      clusters: { prod: store },
      rps: 100,
      paused: true,
      seed: 3,
      now: () => clock,
    });
  });

  afterEach(() => server.close());

  it('spreads requests over the endpoints with fixed weights, labelled by handler', async () => {
    run(60);
    const payments = await analysis('payments-api');
    expect(payments.requests).toBe(6000);
    const share = Object.fromEntries(
      payments.endpoints.map((e: any) => [e.endpoint, e.requests / 6000]),
    );
    expect(Object.keys(share)).toEqual([
      '/payments',
      '/payments/:id',
      '/refunds',
    ]);
    expect(share['/payments']).toBeCloseTo(0.45, 1);
    expect(share['/payments/:id']).toBeCloseTo(0.35, 1);
    expect(share['/refunds']).toBeCloseTo(0.2, 1);
    // An unknown workload gets the default set.
    expect(
      (await analysis('web')).endpoints.map((e: any) => e.endpoint),
    ).toEqual(['/api/items', '/api/items/:id']);
    const samples = parseExposition(server.simulator.exposition());
    const handlers = samples
      .filter(
        s =>
          s.name === 'http_requests_total' &&
          s.labels.deployment === 'payments-api' &&
          s.labels.code === '200',
      )
      .map(s => s.labels.handler);
    expect(handlers).toEqual(['/payments', '/payments/:id', '/refunds']);
  });

  it('answers /analysis with every figure of a healthy workload', async () => {
    run(120);
    const a = await analysis('web', { baselineSeconds: 60 });
    expect(a).toMatchObject({
      cluster: 'prod',
      namespace: 'shop',
      workload: 'web',
      version: GOOD,
      windowSeconds: 60,
      baselineSeconds: 60,
      requests: 6000,
      requestsPerSecond: 100,
      sampledAt: new Date(clock).toISOString(),
      up: true,
    });
    expect(a.errorRate).toBeLessThan(0.01);
    expect(a.p95Seconds).toBeLessThan(0.3);
    expect(a.endpoints.reduce((n: number, e: any) => n + e.requests, 0)).toBe(
      6000,
    );
    expect(a.cpu).toBeGreaterThan(0.25);
    expect(a.cpu).toBeLessThan(0.4);
    expect(a.memory).toBeGreaterThan(0.4);
    expect(a.memory).toBeLessThan(0.5);
    expect(a.restartsPerMinute).toBe(0);
    expect(a.business.value).toBeGreaterThan(0.85);
    expect(a.business.value).toBeLessThan(0.95);
    expect(a.business.baseline).toBeGreaterThan(0.85);
    expect(a.business.baseline).toBeLessThan(0.95);
    // Without orders before the window, there is no baseline to compare with.
    expect((await analysis('web', { windowSeconds: 120 })).business).toBe(null);
  });

  it('puts the errors of a flagged change on its endpoints, for the requests it hits', async () => {
    await fault('payments-api', {
      kind: 'endpoint-errors',
      endpoints: ['/payments'],
    });
    run(60);
    const a = await analysis('payments-api');
    const byEndpoint = Object.fromEntries(
      a.endpoints.map((e: any) => [e.endpoint, e]),
    );
    const onPayments = byEndpoint['/payments'].errors;
    const total = a.endpoints.reduce((n: number, e: any) => n + e.errors, 0);
    expect(onPayments / total).toBeGreaterThan(0.9);
    expect(onPayments / byEndpoint['/payments'].requests).toBeGreaterThan(0.15);
    expect(a.errorRate).toBeGreaterThan(0.05);
    expect(a.p95Seconds).toBeLessThan(0.3);
  });

  it('spreads errors over every endpoint, and slows every endpoint', async () => {
    await fault('spread', { kind: 'errors' });
    await fault('slow', 'slow');
    run(60);
    const spread = await analysis('spread');
    expect(spread.errorRate).toBeGreaterThan(0.06);
    expect(spread.errorRate).toBeLessThan(0.1);
    for (const e of spread.endpoints) {
      expect(e.errors / e.requests).toBeGreaterThan(0.05);
    }
    expect(spread.p95Seconds).toBeLessThan(0.3);
    const slow = await analysis('slow');
    expect(slow.p95Seconds).toBeGreaterThan(2.2);
    expect(slow.p95Seconds).toBeLessThan(2.8);
    expect(slow.errorRate).toBeLessThan(0.01);
  });

  it('leaks memory over time since the version started, crossing 85 % at the time given', async () => {
    await fault('leaky', { kind: 'memory-leak', crossAfterSeconds: 300 });
    run(60);
    const early = await analysis('leaky');
    expect(early.memory).toBeGreaterThan(0.45);
    expect(early.memory).toBeLessThan(0.6);
    run(200);
    expect((await analysis('leaky')).memory).toBeLessThan(0.85);
    run(60);
    const late = await analysis('leaky');
    expect(late.memory).toBeGreaterThan(0.85);
    expect(late.cpu).toBeLessThan(0.4);
    expect(late.errorRate).toBeLessThan(0.01);
    const samples = parseExposition(server.simulator.exposition());
    const memory = samples.filter(
      s =>
        s.name === 'container_memory_working_set_bytes' &&
        s.labels.pod.startsWith('leaky-'),
    );
    expect(memory).toHaveLength(2);
    for (const s of memory) {
      expect(s.value / (512 * 1024 * 1024)).toBeGreaterThan(0.85);
    }
  });

  it('runs a CPU-hot version near its limit, taken from the Deployment', async () => {
    await fault('hot', { kind: 'cpu-hot' });
    run(60);
    const a = await analysis('hot');
    expect(a.cpu).toBeGreaterThan(0.85);
    expect(a.cpu).toBeLessThan(1);
    const samples = parseExposition(server.simulator.exposition());
    const pod = podName('hot', GOOD, 0);
    const cpu = samples.find(
      s =>
        s.name === 'container_cpu_usage_seconds_total' && s.labels.pod === pod,
    )!;
    expect(cpu.labels).toEqual({
      cluster: 'prod',
      namespace: 'shop',
      pod,
      container: 'hot-app',
    });
    // 60 s at ~92 % of 2 cores.
    expect(cpu.value).toBeGreaterThan(60 * 2 * 0.85);
    expect(cpu.value).toBeLessThan(60 * 2);
    const limits = samples.filter(
      s =>
        s.name === 'kube_pod_container_resource_limits' && s.labels.pod === pod,
    );
    expect(
      limits.map(s => [s.labels.resource, s.labels.unit, s.value]),
    ).toEqual([
      ['cpu', 'core', 2],
      ['memory', 'byte', 1024 ** 3],
    ]);
    // Without limits on the Deployment: 500m and 512Mi.
    const webLimits = samples.filter(
      s =>
        s.name === 'kube_pod_container_resource_limits' &&
        s.labels.pod === podName('web', GOOD, 0),
    );
    expect(webLimits.map(s => s.value)).toEqual([0.5, 512 * 1024 * 1024]);
  });

  it('restarts the pods of a crash-looping version more than 5 times a minute', async () => {
    await fault('crashy', { kind: 'crash-loop' });
    run(120);
    const a = await analysis('crashy');
    expect(a.restartsPerMinute).toBeGreaterThan(5);
    const restarts = parseExposition(server.simulator.exposition()).filter(
      s =>
        s.name === 'kube_pod_container_status_restarts_total' &&
        s.labels.pod.startsWith('crashy-'),
    );
    expect(restarts).toHaveLength(2);
    for (const s of restarts) expect(s.value).toBe(12);
    expect((await analysis('web')).restartsPerMinute).toBe(0);
  });

  it('takes a down version out: no ready pods, every request fails', async () => {
    run(10);
    await fault('dead', { kind: 'down' });
    run(30);
    const a = await analysis('dead', { windowSeconds: 30 });
    expect(a.up).toBe(false);
    expect(a.errorRate).toBe(1);
    const samples = parseExposition(server.simulator.exposition());
    const available = (deploymentName: string) =>
      samples.find(
        s =>
          s.name === 'kube_deployment_status_replicas_available' &&
          s.labels.deployment === deploymentName,
      )!.value;
    expect(available('dead')).toBe(0);
    expect(available('web')).toBe(2);
    expect(
      samples.find(
        s =>
          s.name === 'http_requests_total' &&
          s.labels.deployment === 'dead' &&
          s.labels.code === '503' &&
          s.labels.handler === '/api/items',
      )!.value,
    ).toBeGreaterThan(1000);
    // Cleared: up again.
    expect(
      (
        await inject(
          { cluster: 'prod', namespace: 'shop', workload: 'dead' },
          'DELETE',
        )
      ).body,
    ).toEqual({
      cluster: 'prod',
      namespace: 'shop',
      workload: 'dead',
      version: GOOD,
      fault: null,
    });
    run(5);
    const back = await analysis('dead', { windowSeconds: 5 });
    expect(back.up).toBe(true);
    expect(back.errorRate).toBeLessThan(0.02);
  });

  it('drops the order completion rate of a business-drop version against its baseline', async () => {
    run(300);
    deploy(store, 'shop-front', NEXT);
    await fault('shop-front', { kind: 'business-drop' });
    run(300);
    const a = await analysis('shop-front', {
      windowSeconds: 300,
      baselineSeconds: 300,
    });
    expect(a.version).toBe(NEXT);
    expect(a.business.baseline).toBeGreaterThan(0.87);
    expect(a.business.baseline).toBeLessThan(0.93);
    const drop = (a.business.baseline - a.business.value) / a.business.baseline;
    expect(drop).toBeGreaterThan(0.3);
    expect(drop).toBeLessThan(0.4);
    // Technically healthy.
    expect(a.errorRate).toBeLessThan(0.01);
    expect(a.p95Seconds).toBeLessThan(0.3);
    const orders = parseExposition(server.simulator.exposition()).filter(
      s => s.name === 'orders_total' && s.labels.deployment === 'shop-front',
    );
    expect(orders.map(s => s.labels)).toEqual([
      {
        cluster: 'prod',
        namespace: 'shop',
        deployment: 'shop-front',
        outcome: 'abandoned',
      },
      {
        cluster: 'prod',
        namespace: 'shop',
        deployment: 'shop-front',
        outcome: 'completed',
      },
    ]);
    const [abandoned, completed] = orders.map(s => s.value);
    // ~10 % of 60,000 requests are orders.
    expect(abandoned + completed).toBeGreaterThan(5_500);
    expect(abandoned + completed).toBeLessThan(6_500);
  });

  it('names pods per version, stable across ticks, and changes them with the version', () => {
    run(2);
    const podsOf = () =>
      parseExposition(server.simulator.exposition())
        .filter(
          s =>
            s.name === 'container_memory_working_set_bytes' &&
            s.labels.pod.startsWith('web-'),
        )
        .map(s => s.labels.pod);
    const before = podsOf();
    expect(before).toHaveLength(2);
    for (const pod of before)
      expect(pod).toMatch(/^web-[a-z0-9]{10}-[a-z0-9]{5}$/);
    expect(new Set(before.map(p => p.split('-')[1])).size).toBe(1);
    run(2);
    expect(podsOf()).toEqual(before);
    deploy(store, 'web', NEXT);
    run(2);
    const after = podsOf();
    expect(after).toHaveLength(2);
    expect(after.some(p => before.includes(p))).toBe(false);
  });

  it('sends a Deployment the canary weight of its NGINX canary Ingress', () => {
    store.create('ingresses', canaryIngress('routed-service', '100'));
    run(10);
    const q = { cluster: 'prod', namespace: 'shop', workload: 'routed' };
    expect(server.health({ ...q, windowSeconds: 10 })!.requests).toBe(1000);
    const setWeight = (weight: string) => {
      const ingress = store.read('ingresses', 'shop', 'routed-service-canary');
      ingress.metadata.annotations[
        'nginx.ingress.kubernetes.io/canary-weight'
      ] = weight;
      store.update('ingresses', ingress);
    };
    setWeight('25');
    run(10);
    expect(server.health({ ...q, windowSeconds: 10 })!.requests).toBe(250);
    setWeight('0');
    run(10);
    const rerouted = server.simulator.analysis({
      ...q,
      windowSeconds: 10,
      baselineSeconds: 60,
    })!;
    expect(rerouted.requests).toBe(0);
    // The pods still run and answer their health checks.
    expect(rerouted.up).toBe(true);
    expect(rerouted.cpu).toBeGreaterThan(0);
    // Another service's canary Ingress does not route this one.
    store.create('ingresses', canaryIngress('someone-else', '0'));
    store.delete('ingresses', 'shop', 'routed-service-canary');
    run(10);
    expect(server.health({ ...q, windowSeconds: 10 })!.requests).toBe(1000);
  });

  it('counts no pod ready while the Deployment has none available', () => {
    const q = {
      cluster: 'prod',
      namespace: 'shop',
      workload: 'web',
      windowSeconds: 5,
      baselineSeconds: 60,
    };
    run(5);
    expect(server.simulator.analysis(q)!.up).toBe(true);
    const d = store.read('deployments', 'shop', 'web');
    store.updateStatus('deployments', 'shop', 'web', {
      ...d.status,
      readyReplicas: 0,
      availableReplicas: 0,
    });
    run(5);
    const starting = server.simulator.analysis(q)!;
    expect(starting.up).toBe(false);
    expect(starting.requests).toBe(0);
    expect(
      parseExposition(server.simulator.exposition()).find(
        s =>
          s.name === 'kube_deployment_status_replicas_available' &&
          s.labels.deployment === 'web',
      )!.value,
    ).toBe(0);
  });

  it('keeps an injected fault on its version: a new version runs healthy', async () => {
    const set = await fault('spread', { kind: 'errors', errorRate: 0.5 });
    expect(set).toEqual({
      status: 200,
      body: {
        cluster: 'prod',
        namespace: 'shop',
        workload: 'spread',
        version: GOOD,
        fault: { kind: 'errors', errorRate: 0.5 },
      },
    });
    run(10);
    expect(
      (await analysis('spread', { windowSeconds: 10 })).errorRate,
    ).toBeGreaterThan(0.4);
    deploy(store, 'spread', NEXT);
    run(10);
    expect(
      (await analysis('spread', { windowSeconds: 10, version: NEXT }))
        .errorRate,
    ).toBeLessThan(0.02);
    // A fault for a version given explicitly (its short sha), before it runs.
    await fault('web', { kind: 'errors', errorRate: 0.5 }, NEXT.slice(0, 7));
    run(10);
    expect(
      (await analysis('web', { windowSeconds: 10 })).errorRate,
    ).toBeLessThan(0.02);
    deploy(store, 'web', NEXT);
    run(10);
    expect(
      (await analysis('web', { windowSeconds: 10 })).errorRate,
    ).toBeGreaterThan(0.4);
    const listed = await fetch(`${server.url}/_sandbox/faults`);
    expect((await listed.json()).faults).toEqual([
      {
        cluster: 'prod',
        namespace: 'shop',
        workload: 'spread',
        version: GOOD,
        fault: { kind: 'errors', errorRate: 0.5 },
      },
      {
        cluster: 'prod',
        namespace: 'shop',
        workload: 'web',
        version: NEXT.slice(0, 7),
        fault: { kind: 'errors', errorRate: 0.5 },
      },
    ]);
    // `fault: null` clears, like DELETE.
    expect((await fault('web', null)).body.fault).toBe(null);
    run(10);
    expect(
      (await analysis('web', { windowSeconds: 10 })).errorRate,
    ).toBeLessThan(0.02);
  });

  it('silences a seeded fault with the none fault', async () => {
    const seeded = await startTrafficServer({
      clusters: { prod: store },
      rps: 100,
      paused: true,
      now: () => clock,
      faultOf: sha => (sha === GOOD ? { fault: { kind: 'down' } } : undefined),
    });
    try {
      const tick = (n: number) => {
        for (let i = 0; i < n; i++) {
          clock += 1000;
          seeded.tick();
        }
      };
      tick(5);
      const q = {
        cluster: 'prod',
        namespace: 'shop',
        workload: 'web',
        windowSeconds: 5,
        baselineSeconds: 60,
      };
      expect(seeded.simulator.analysis(q)!.up).toBe(false);
      seeded.simulator.setFault({ ...q, fault: { kind: 'none' } });
      tick(5);
      expect(seeded.simulator.analysis(q)!.up).toBe(true);
      expect(seeded.simulator.analysis(q)!.errorRate).toBeLessThan(0.02);
    } finally {
      await seeded.close();
    }
  });

  it('refuses bad fault requests with 400s that say what is wrong, 404 for an unknown workload', async () => {
    const cases: Array<[unknown, string]> = [
      ['not json', 'The body is not JSON'],
      [[1], 'The body must be a JSON object'],
      [
        { namespace: 'shop', fault: 'slow' },
        'Missing query parameter(s): cluster, workload',
      ],
      [
        { cluster: 'prod', namespace: 'shop', workload: 'web' },
        'fault is missing: a fault such as {"kind":"slow"}, or null to clear',
      ],
      [
        { cluster: 'prod', namespace: 'shop', workload: 'web', fault: 'melt' },
        'fault.kind must be one of endpoint-errors, errors, unhealthy, slow, memory-leak, cpu-hot, crash-loop, down, business-drop, none, got "melt"',
      ],
      [
        {
          cluster: 'prod',
          namespace: 'shop',
          workload: 'web',
          fault: { kind: 'endpoint-errors' },
        },
        'fault.endpoints must be a non-empty array of route templates such as "/payments"',
      ],
      [
        {
          cluster: 'prod',
          namespace: 'shop',
          workload: 'web',
          fault: { kind: 'errors', errorRate: 2 },
        },
        'fault.errorRate must be a number from 0 to 1',
      ],
      [
        {
          cluster: 'prod',
          namespace: 'shop',
          workload: 'web',
          fault: { kind: 'slow', p95: 3 },
        },
        'fault.p95 is not a figure of a slow fault (p95Seconds)',
      ],
      [
        {
          cluster: 'prod',
          namespace: 'shop',
          workload: 'web',
          fault: 'down',
          version: 7,
        },
        'version must be a string',
      ],
    ];
    for (const [body, message] of cases) {
      expect(await inject(body)).toEqual({ status: 400, body: { message } });
    }
    expect(
      await inject({
        cluster: 'prod',
        namespace: 'shop',
        workload: 'nope',
        fault: 'down',
      }),
    ).toEqual({
      status: 404,
      body: { message: "No deployment shop/nope in cluster 'prod'" },
    });
    const put = await fetch(`${server.url}/_sandbox/faults`, { method: 'PUT' });
    expect(put.status).toBe(405);
    expect(
      (await (await fetch(`${server.url}/_sandbox/faults`)).json()).faults,
    ).toEqual([]);
  });

  it('validates /analysis and /series, with 404 for an unknown workload', async () => {
    run(5);
    const base = { cluster: 'prod', namespace: 'shop', workload: 'web' };
    for (const [path, param] of [
      ['/analysis', 'windowSeconds'],
      ['/analysis', 'baselineSeconds'],
      ['/series', 'rangeSeconds'],
      ['/series', 'stepSeconds'],
    ]) {
      expect(await get(path, { ...base, [param]: 'x' })).toEqual({
        status: 400,
        body: { message: `${param} must be a positive number, got 'x'` },
      });
    }
    expect(
      await get('/series', { ...base, rangeSeconds: 3600, stepSeconds: 0.1 }),
    ).toEqual({
      status: 400,
      body: {
        message:
          'stepSeconds is too small for rangeSeconds: at most 11000 points',
      },
    });
    for (const path of ['/analysis', '/series']) {
      expect(await get(path, { cluster: 'prod' })).toEqual({
        status: 400,
        body: { message: 'Missing query parameter(s): namespace, workload' },
      });
      expect(await get(path, { ...base, workload: 'nope' })).toEqual({
        status: 404,
        body: { message: "No deployment shop/nope in cluster 'prod'" },
      });
    }
  });

  it('charts the last hour from /series, one point per step, merging old ticks', async () => {
    const hour = await startTrafficServer({
      clusters: { prod: store },
      rps: 2,
      paused: true,
      now: () => clock,
    });
    try {
      // An hour and a half: the first half hour is past retention.
      for (let i = 0; i < 5400; i++) {
        clock += 1000;
        hour.tick();
        if (i === 5400 - 1800) {
          hour.simulator.setFault({
            cluster: 'prod',
            namespace: 'shop',
            workload: 'web',
            fault: { kind: 'slow' },
          });
        }
      }
      const res = await fetch(
        `${hour.url}/series?${new URLSearchParams({
          cluster: 'prod',
          namespace: 'shop',
          workload: 'web',
          rangeSeconds: '5400',
          stepSeconds: '300',
        })}`,
      );
      expect(res.status).toBe(200);
      const body = await res.json();
      expect(body).toMatchObject({
        rangeSeconds: 5400,
        stepSeconds: 300,
        retentionSeconds: 3600,
      });
      expect(body.points).toHaveLength(18);
      expect(body.points[17].at).toBe(new Date(clock).toISOString());
      expect(body.points[16].at).toBe(new Date(clock - 300_000).toISOString());
      // Past retention: nothing.
      for (const p of body.points.slice(0, 5)) {
        expect(p).toMatchObject({
          errorRate: null,
          p95Seconds: null,
          requestsPerSecond: null,
        });
      }
      // Retained, merged per minute (older than 15 minutes) or not.
      for (const p of body.points.slice(6)) {
        expect(p.requestsPerSecond).toBeCloseTo(2, 1);
        expect(p.errorRate).toBeLessThan(0.05);
      }
      // Slow for the last half hour: the chart shows when.
      for (const p of body.points.slice(6, 12)) {
        expect(p.p95Seconds).toBeLessThan(0.4);
      }
      for (const p of body.points.slice(12)) {
        expect(p.p95Seconds).toBeGreaterThan(1.8);
      }
      // The health over the hour counts the retained requests, to within a merged minute.
      const health = hour.health({
        cluster: 'prod',
        namespace: 'shop',
        workload: 'web',
        windowSeconds: 3600,
      })!;
      expect(health.requests).toBeGreaterThanOrEqual(7080);
      expect(health.requests).toBeLessThanOrEqual(7320);
    } finally {
      await hour.close();
    }
  });
});
