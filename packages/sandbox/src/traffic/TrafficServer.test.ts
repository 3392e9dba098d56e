import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { KubeObject, KubeStore } from '../kube/KubeStore';
import { TrafficServer, startTrafficServer } from './TrafficServer';
import { COMMIT_SHA_ANNOTATION } from './TrafficSimulator';

const PROMTOOL = process.env.PROMTOOL ?? '/usr/bin/promtool';

const GOOD = 'a'.repeat(40);
const BAD = 'b'.repeat(40);
const NEXT = 'c'.repeat(40);

function deployment(
  name: string,
  sha: string | undefined,
  replicas: number,
  image = `sandbox.local/acme/${name}:${(sha ?? 'v1.2.3').slice(0, 7)}`,
): KubeObject {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace: 'shop',
      labels,
      annotations: sha ? { [COMMIT_SHA_ANNOTATION]: sha } : {},
    },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name, image }] },
      },
    },
  };
}

/** Sets a Deployment's status as the deployment controller would. */
function setStatus(store: KubeStore, name: string, updated: number) {
  const d = store.read('deployments', 'shop', name);
  const replicas = d.spec.replicas;
  store.updateStatus('deployments', 'shop', name, {
    observedGeneration: d.metadata.generation,
    replicas,
    updatedReplicas: updated,
    readyReplicas: replicas,
    availableReplicas: replicas,
  });
}

/** Changes a Deployment's version (image and annotation), like the pipeline does. */
function deploy(store: KubeStore, name: string, sha: string) {
  const d = store.read('deployments', 'shop', name);
  d.metadata.annotations[COMMIT_SHA_ANNOTATION] = sha;
  d.spec.template.spec.containers[0].image = `sandbox.local/acme/${name}:${sha.slice(
    0,
    7,
  )}`;
  store.update('deployments', d);
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A small parser of the text exposition format (one sample per line). */
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

function promtoolCheck(text: string): Promise<{ code: number; out: string }> {
  return new Promise(resolve => {
    const child = execFile(
      PROMTOOL,
      ['check', 'metrics'],
      (error, stdout, stderr) =>
        resolve({
          code: error ? Number(error.code ?? 1) : 0,
          out: `${stdout}${stderr}`,
        }),
    );
    child.stdin!.end(text);
  });
}

describe('simulated traffic', () => {
  let store: KubeStore;
  let server: TrafficServer;
  let clock: number;

  function run(ticks: number) {
    for (let i = 0; i < ticks; i++) {
      clock += 1000;
      server.tick();
    }
  }

  beforeEach(async () => {
    clock = Date.parse('2026-11-20T12:00:00Z');
    store = new KubeStore('prod');
    store.load([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } },
      deployment('good', GOOD, 3),
      deployment('bad', BAD, 3),
      deployment('idle', GOOD, 0),
      deployment('tagged', undefined, 2),
      deployment('mixed', GOOD, 4),
    ]);
    for (const name of ['good', 'bad', 'tagged', 'mixed']) {
      setStatus(
        store,
        name,
        store.read('deployments', 'shop', name).spec.replicas,
      );
    }
    server = await startTrafficServer({
      clusters: { prod: store },
      faultOf: sha =>
        sha === BAD || sha === NEXT
          ? { fault: { kind: 'unhealthy' } }
          : undefined,
      rps: 100,
      paused: true,
      seed: 42,
      now: () => clock,
    });
  });

  afterEach(() => server.close());

  const q = (workload: string, extra: Record<string, unknown> = {}) =>
    server.health({
      cluster: 'prod',
      namespace: 'shop',
      workload,
      windowSeconds: 60,
      ...extra,
    })!;

  it('gives healthy versions few errors and low latency, unhealthy ones many and high', () => {
    run(60);
    const good = q('good');
    expect(good.version).toBe(GOOD);
    expect(good.requests).toBe(6000);
    expect(good.requestsPerSecond).toBe(100);
    expect(good.errorRate!).toBeLessThan(0.006);
    expect(good.p95Seconds!).toBeGreaterThan(0.15);
    expect(good.p95Seconds!).toBeLessThan(0.26);

    const bad = q('bad');
    expect(bad.errorRate!).toBeGreaterThan(0.06);
    expect(bad.errorRate!).toBeLessThan(0.1);
    expect(bad.p95Seconds!).toBeGreaterThan(2.1);
    expect(bad.p95Seconds!).toBeLessThan(2.9);

    // Without the commit annotation, the image tag is the version.
    expect(q('tagged').version).toBe('v1.2.3');
    expect(q('tagged').requests).toBe(6000);
  });

  it('sends no traffic to a Deployment scaled to 0', () => {
    run(10);
    expect(q('idle')).toMatchObject({
      requests: 0,
      errorRate: null,
      p95Seconds: null,
      requestsPerSecond: 0,
    });
    const d = store.read('deployments', 'shop', 'good');
    store.update('deployments', { ...d, spec: { ...d.spec, replicas: 0 } });
    run(10);
    expect(q('good', { windowSeconds: 10 }).requests).toBe(0);
    expect(q('good', { windowSeconds: 20 }).requests).toBe(1000);
  });

  it('only counts the window asked for', () => {
    run(30);
    deploy(store, 'good', NEXT);
    setStatus(store, 'good', 3);
    run(10);
    // The last 10 s ran the unhealthy version only.
    expect(q('good', { windowSeconds: 10 }).errorRate!).toBeGreaterThan(0.04);
    expect(q('good', { windowSeconds: 10 }).p95Seconds!).toBeGreaterThan(1.5);
    expect(q('good', { windowSeconds: 10 }).requests).toBe(1000);
    expect(q('good', { windowSeconds: 40 }).requests).toBe(4000);
    // Asking for more than was simulated counts only what exists.
    expect(q('good', { windowSeconds: 3600 }).requestsPerSecond).toBe(100);
  });

  it('mixes versions during a rollout by updatedReplicas / replicas', () => {
    run(5);
    deploy(store, 'mixed', NEXT);
    // The controller has not observed the new generation yet: all old pods.
    run(20);
    expect(q('mixed', { windowSeconds: 20 }).requests).toBe(2000);
    expect(q('mixed', { windowSeconds: 20, version: NEXT }).requests).toBe(0);
    expect(q('mixed', { windowSeconds: 20 }).version).toBe(NEXT);

    setStatus(store, 'mixed', 1);
    clock += 3_600_000;
    run(20);
    const quarter = q('mixed', { windowSeconds: 20, version: NEXT }).requests;
    expect(quarter).toBeGreaterThan(400);
    expect(quarter).toBeLessThan(600);
    const old = q('mixed', { windowSeconds: 20, version: GOOD.slice(0, 7) });
    expect(old.requests + quarter).toBe(2000);
    expect(old.errorRate!).toBeLessThan(0.01);

    setStatus(store, 'mixed', 4);
    clock += 3_600_000;
    run(20);
    expect(q('mixed', { windowSeconds: 20, version: NEXT }).requests).toBe(
      2000,
    );
  });

  it('serves /health over HTTP with 400 and 404 for bad questions', async () => {
    run(5);
    const get = (query: string) => fetch(`${server.url}/health?${query}`);
    const ok = await get(
      'cluster=prod&namespace=shop&workload=bad&windowSeconds=5',
    );
    expect(ok.status).toBe(200);
    const body = await ok.json();
    expect(Object.keys(body)).toEqual(
      expect.arrayContaining([
        'errorRate',
        'p95Seconds',
        'requestsPerSecond',
        'version',
        'sampledAt',
      ]),
    );
    expect(body).toMatchObject({ version: BAD, requestsPerSecond: 100 });
    expect(body.sampledAt).toBe(new Date(clock).toISOString());

    const defaultWindow = await (
      await get('cluster=prod&namespace=shop&workload=bad')
    ).json();
    expect(defaultWindow.windowSeconds).toBe(60);

    const missing = await get('cluster=prod&workload=bad');
    expect(missing.status).toBe(400);
    expect((await missing.json()).message).toContain('namespace');
    expect(
      (await get('cluster=prod&namespace=shop&workload=bad&windowSeconds=-1'))
        .status,
    ).toBe(400);
    const unknown = await get('cluster=prod&namespace=shop&workload=nope');
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).message).toContain('shop/nope');
    expect((await get('cluster=dev&namespace=shop&workload=good')).status).toBe(
      404,
    );
  });

  it('exposes monotonic counters and histograms in the Prometheus text format', async () => {
    run(3);
    const first = await fetch(`${server.url}/metrics`);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe(
      'text/plain; version=0.0.4; charset=utf-8',
    );
    const before = parseExposition(await first.text());
    run(3);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const after = parseExposition(text);

    expect(text).toContain('# TYPE http_requests_total counter');
    expect(text).toContain('# TYPE http_request_duration_seconds histogram');
    const key = (s: Sample) => `${s.name}${JSON.stringify(s.labels)}`;
    const previous = new Map(before.map(s => [key(s), s.value]));
    // Counters only: gauges (memory, limits, available replicas) may go down.
    const gauges = new Set(
      [...text.matchAll(/^# TYPE (\S+) gauge$/gm)].map(m => m[1]),
    );
    expect(gauges).toEqual(
      new Set([
        'container_memory_working_set_bytes',
        'kube_pod_container_resource_limits',
        'kube_deployment_status_replicas_available',
      ]),
    );
    for (const s of after.filter(x => !gauges.has(x.name))) {
      expect(s.value).toBeGreaterThanOrEqual(previous.get(key(s)) ?? 0);
    }

    const badRequests = after.filter(
      s => s.name === 'http_requests_total' && s.labels.deployment === 'bad',
    );
    expect(new Set(badRequests.map(s => s.labels.code))).toEqual(
      new Set(['200', '404', '500', '503']),
    );
    // One series per route template of the default endpoints.
    expect(new Set(badRequests.map(s => s.labels.handler))).toEqual(
      new Set(['/api/items', '/api/items/:id']),
    );
    expect(badRequests[0].labels).toMatchObject({
      cluster: 'prod',
      namespace: 'shop',
      deployment: 'bad',
      version: BAD,
    });
    expect(badRequests.reduce((sum, s) => sum + s.value, 0)).toBe(600);

    const perHandler = (name: string, handler: string) =>
      after.filter(
        s =>
          s.name === name &&
          s.labels.deployment === 'bad' &&
          s.labels.handler === handler,
      );
    const buckets = perHandler(
      'http_request_duration_seconds_bucket',
      '/api/items',
    );
    const values = buckets.map(s => s.value);
    expect([...values].sort((x, y) => x - y)).toEqual(values);
    expect(buckets[buckets.length - 1].labels.le).toBe('+Inf');
    const counts = ['/api/items', '/api/items/:id'].map(
      h => perHandler('http_request_duration_seconds_count', h)[0].value,
    );
    expect(buckets[buckets.length - 1].value).toBe(counts[0]);
    expect(counts[0] + counts[1]).toBe(600);
    // Scaled to 0: no requests, no pods, no orders; kube-state-metrics still reports it.
    expect(
      after
        .filter(
          s =>
            s.labels.deployment === 'idle' || s.labels.pod?.startsWith('idle-'),
        )
        .map(s => [s.name, s.value]),
    ).toEqual([['kube_deployment_status_replicas_available', 0]]);

    // Prometheus' own checker parses it.
    if (!existsSync(PROMTOOL)) {
      throw new Error(
        `${PROMTOOL} is missing: install Debian's prometheus package (apt-get install -y prometheus)`,
      );
    }
    const checked = await promtoolCheck(text);
    expect(checked).toEqual({ code: 0, out: '' });
  });

  it('is reproducible for a given seed', async () => {
    run(10);
    const one = server.simulator.exposition();
    const again = await startTrafficServer({
      clusters: { prod: store },
      faultOf: sha =>
        sha === BAD || sha === NEXT
          ? { fault: { kind: 'unhealthy' } }
          : undefined,
      rps: 100,
      paused: true,
      seed: 42,
      now: () => clock,
    });
    try {
      for (let i = 0; i < 10; i++) again.tick();
      expect(again.simulator.exposition()).toBe(one);
    } finally {
      await again.close();
    }
  });

  it('ticks on its own unless paused', async () => {
    const live = await startTrafficServer({
      clusters: { prod: store },
      rps: 100,
      tickMs: 50,
    });
    try {
      await new Promise(r => setTimeout(r, 300));
      const h = live.health({
        cluster: 'prod',
        namespace: 'shop',
        workload: 'good',
      })!;
      expect(h.requests).toBeGreaterThan(15);
      expect(h.requestsPerSecond).toBeGreaterThan(50);
      expect(h.requestsPerSecond).toBeLessThanOrEqual(100);
    } finally {
      await live.close();
    }
  });
});
