/*
 * Simulated request traffic for every Deployment of the sandbox clusters. Each tick, each
 * serving Deployment receives `rps × tick` requests; the version that answers a request is the
 * Deployment's current version with probability `updatedReplicas / replicas` (during a rollout)
 * and the version it ran before otherwise. Healthy versions answer ~0.2% 5xx with a p95 latency
 * of ~0.2 s, unhealthy ones ~8% 5xx and ~2.5 s; a version can also be unhealthy for some
 * requests only (a change behind a feature flag, for the users who get it). A seeded PRNG makes
 * runs reproducible.
 */
import { KubeObject, KubeStore } from '../kube/KubeStore';

/** How a version behaves: share of 5xx answers and 95th percentile latency. */
export interface TrafficProfile {
  errorRate: number;
  p95Seconds: number;
}

export const HEALTHY_PROFILE: TrafficProfile = {
  errorRate: 0.002,
  p95Seconds: 0.2,
};
export const UNHEALTHY_PROFILE: TrafficProfile = {
  errorRate: 0.08,
  p95Seconds: 2.5,
};

/** Share of non-5xx answers that are 404s (client errors, not failures). */
const NOT_FOUND_RATE = 0.01;
/** Spread of the log-normal latency distribution. */
const LATENCY_SIGMA = 0.5;
/** z-score of the 95th percentile of a normal distribution. */
const Z95 = 1.6448536;

/** Upper bounds of the latency histogram buckets, in seconds (+Inf implied). */
export const LATENCY_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 1.5,
  2, 2.5, 3, 4, 5, 7.5, 10,
];

/** Status codes every (workload, version) series starts with at 0. */
const CODES = ['200', '404', '500'];

/** The annotation recording which commit a workload's image was built from. */
export const COMMIT_SHA_ANNOTATION = 'delivery.backstage.io/commit-sha';

/**
 * Which requests to a version follow the unhealthy profile: all (`true`), none (`false`), or
 * the ones a function picks. The function is called once per request, synchronously, with the
 * simulator's PRNG (e.g. to draw the request's user and look up whether a flag is on for them).
 */
export type Unhealthiness = boolean | ((random: () => number) => boolean);

export interface TrafficSimulatorOptions {
  clusters: Record<string, KubeStore>;
  /**
   * Whether a version (a commit sha, or an image tag when no sha is annotated) runs unhealthy
   * in a cluster; asked once per version and tick.
   */
  isUnhealthy: (commitSha: string, cluster: string) => Unhealthiness;
  /** Requests per second per Deployment (default 20). */
  rps?: number;
  /** Simulated time per tick, in milliseconds (default 1000). */
  tickMs?: number;
  /** Seed of the PRNG (default 1). */
  seed?: number;
  /** How long per-tick samples are kept for `/health`, in seconds (default 900). */
  retentionSeconds?: number;
  /** Clock, in milliseconds since the epoch (default `Date.now`). */
  now?: () => number;
}

/** Health of one workload over a window, as served by `GET /health`. */
export interface WorkloadHealth {
  cluster: string;
  namespace: string;
  workload: string;
  /** The version the Deployment is (being) rolled out to. */
  version: string;
  windowSeconds: number;
  /** Requests counted in the window. */
  requests: number;
  /** Share of 5xx answers, 0..1; null without traffic. */
  errorRate: number | null;
  /** 95th percentile latency in seconds; null without traffic. */
  p95Seconds: number | null;
  requestsPerSecond: number;
  sampledAt: string;
}

interface VersionTally {
  requests: number;
  errors: number;
  latencies: number[];
}

interface TickRecord {
  at: number;
  seconds: number;
  byVersion: Map<string, VersionTally>;
}

interface Workload {
  cluster: string;
  namespace: string;
  name: string;
  current: string;
  previous?: string;
  carry: number;
  ticks: TickRecord[];
}

/** Cumulative counters of one (cluster, namespace, deployment, version) series. */
interface SeriesCounters {
  labels: Record<string, string>;
  codes: Map<string, number>;
  /** Non-cumulative counts per bucket; the exposition sums them. */
  buckets: number[];
  sum: number;
  count: number;
}

/** A small seedable PRNG (mulberry32), uniform in [0, 1). */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The version a Deployment runs: its commit-sha annotation, else its first image's tag. */
export function versionOf(deployment: KubeObject): string {
  const sha = deployment.metadata?.annotations?.[COMMIT_SHA_ANNOTATION];
  if (typeof sha === 'string' && sha) return sha;
  const image = String(
    deployment.spec?.template?.spec?.containers?.[0]?.image ?? '',
  );
  const withoutDigest = image.split('@')[0];
  const colon = withoutDigest.lastIndexOf(':');
  if (colon > withoutDigest.lastIndexOf('/')) {
    return withoutDigest.slice(colon + 1);
  }
  return image.includes('@') ? image.split('@')[1] : 'latest';
}

function desiredReplicas(d: KubeObject): number {
  const r = d.spec?.replicas;
  return typeof r === 'number' && r >= 0 ? r : 1;
}

function isServing(d: KubeObject): boolean {
  return (
    desiredReplicas(d) > 0 &&
    (d.status?.availableReplicas ?? d.status?.readyReplicas ?? 0) > 0
  );
}

/** Share of the pods that run the current version (the rest run the previous one). */
function updatedShare(d: KubeObject): number {
  const st = d.status ?? {};
  if ((st.observedGeneration ?? 0) < (d.metadata?.generation ?? 1)) return 0;
  const share = (st.updatedReplicas ?? 0) / Math.max(1, desiredReplicas(d));
  return Math.min(1, Math.max(0, share));
}

/** Whether two version strings name the same commit (a full sha and its short form match). */
export function sameVersion(a: string, b: string): boolean {
  if (a === b) return true;
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  return (
    short.length >= 7 && /^[0-9a-f]+$/.test(long) && long.startsWith(short)
  );
}

function percentile95(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.max(0, Math.ceil(sorted.length * 0.95) - 1)];
}

function escapeLabel(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/\n/g, '\\n')
    .replace(/"/g, '\\"');
}

function formatLabels(labels: Record<string, string>): string {
  return `{${Object.entries(labels)
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    .join(',')}}`;
}

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

/** The traffic model, without HTTP: ticks, Prometheus exposition and windowed health. */
export class TrafficSimulator {
  readonly tickMs: number;
  readonly rps: number;
  readonly #clusters: Record<string, KubeStore>;
  readonly #isUnhealthy: (sha: string, cluster: string) => Unhealthiness;
  readonly #random: () => number;
  readonly #retentionMs: number;
  readonly #now: () => number;
  readonly #workloads = new Map<string, Workload>();
  readonly #series = new Map<string, SeriesCounters>();

  constructor(options: TrafficSimulatorOptions) {
    this.#clusters = options.clusters;
    this.#isUnhealthy = options.isUnhealthy;
    this.rps = options.rps ?? 20;
    this.tickMs = options.tickMs ?? 1000;
    this.#random = createRandom(options.seed ?? 1);
    this.#retentionMs = (options.retentionSeconds ?? 900) * 1000;
    this.#now = options.now ?? Date.now;
  }

  /** Simulates one tick of traffic (`tickMs` worth of requests) for every Deployment. */
  tick(): void {
    const at = this.#now();
    const seconds = this.tickMs / 1000;
    for (const [cluster, store] of Object.entries(this.#clusters)) {
      const seen = new Set<string>();
      for (const d of store.list('deployments')) {
        const key = `${cluster}/${d.metadata.namespace}/${d.metadata.name}`;
        seen.add(key);
        const version = versionOf(d);
        let w = this.#workloads.get(key);
        if (!w) {
          w = {
            cluster,
            namespace: d.metadata.namespace,
            name: d.metadata.name,
            current: version,
            carry: 0,
            ticks: [],
          };
          this.#workloads.set(key, w);
        } else if (w.current !== version) {
          w.previous = w.current;
          w.current = version;
        }
        const record: TickRecord = { at, seconds, byVersion: new Map() };
        if (isServing(d)) this.#serve(w, d, record);
        else w.carry = 0;
        w.ticks.push(record);
        while (w.ticks.length > 0 && w.ticks[0].at <= at - this.#retentionMs) {
          w.ticks.shift();
        }
      }
      for (const [key, w] of this.#workloads) {
        if (w.cluster === cluster && !seen.has(key))
          this.#workloads.delete(key);
      }
    }
  }

  #serve(w: Workload, d: KubeObject, record: TickRecord) {
    const expected = this.rps * record.seconds + w.carry;
    const n = Math.floor(expected);
    w.carry = expected - n;
    const share = w.previous === undefined ? 1 : updatedShare(d);
    const verdicts = new Map<string, Unhealthiness>();
    for (let i = 0; i < n; i++) {
      const version =
        w.previous !== undefined && this.#random() >= share
          ? w.previous
          : w.current;
      let verdict = verdicts.get(version);
      if (verdict === undefined) {
        verdict = this.#isUnhealthy(version, w.cluster);
        verdicts.set(version, verdict);
      }
      // A fixed verdict draws nothing from the PRNG, so runs without per-request verdicts
      // stay exactly as they were.
      const unhealthy =
        typeof verdict === 'function' ? verdict(this.#random) : verdict;
      const profile = unhealthy ? UNHEALTHY_PROFILE : HEALTHY_PROFILE;
      const failed = this.#random() < profile.errorRate;
      let code = '200';
      if (failed) code = '500';
      else if (this.#random() < NOT_FOUND_RATE) code = '404';
      const latency = this.#latency(profile);
      let tally = record.byVersion.get(version);
      if (!tally) {
        tally = { requests: 0, errors: 0, latencies: [] };
        record.byVersion.set(version, tally);
      }
      tally.requests++;
      if (failed) tally.errors++;
      tally.latencies.push(latency);
      this.#count(w, version, code, latency);
    }
  }

  /** A log-normal latency whose 95th percentile is the profile's. */
  #latency(profile: TrafficProfile): number {
    const u1 = 1 - this.#random();
    const u2 = this.#random();
    const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    const median = profile.p95Seconds / Math.exp(Z95 * LATENCY_SIGMA);
    return median * Math.exp(LATENCY_SIGMA * z);
  }

  #count(w: Workload, version: string, code: string, latency: number) {
    const key = `${w.cluster}/${w.namespace}/${w.name}/${version}`;
    let s = this.#series.get(key);
    if (!s) {
      s = {
        labels: {
          cluster: w.cluster,
          namespace: w.namespace,
          deployment: w.name,
          version,
        },
        codes: new Map(CODES.map(c => [c, 0])),
        buckets: new Array(LATENCY_BUCKETS.length + 1).fill(0),
        sum: 0,
        count: 0,
      };
      this.#series.set(key, s);
    }
    s.codes.set(code, (s.codes.get(code) ?? 0) + 1);
    let bucket = LATENCY_BUCKETS.findIndex(le => latency <= le);
    if (bucket < 0) bucket = LATENCY_BUCKETS.length;
    s.buckets[bucket]++;
    s.sum += latency;
    s.count++;
  }

  /** Every counter in the Prometheus text exposition format (version 0.0.4). */
  exposition(): string {
    const series = [...this.#series.values()].sort((a, b) =>
      formatLabels(a.labels).localeCompare(formatLabels(b.labels)),
    );
    const lines: string[] = [
      '# HELP http_requests_total Requests answered, by workload, version and status code (simulated).',
      '# TYPE http_requests_total counter',
    ];
    for (const s of series) {
      for (const [code, value] of [...s.codes].sort()) {
        lines.push(
          `http_requests_total${formatLabels({ ...s.labels, code })} ${value}`,
        );
      }
    }
    lines.push(
      '# HELP http_request_duration_seconds Request latency, by workload and version (simulated).',
      '# TYPE http_request_duration_seconds histogram',
    );
    for (const s of series) {
      let cumulative = 0;
      LATENCY_BUCKETS.forEach((le, i) => {
        cumulative += s.buckets[i];
        lines.push(
          `http_request_duration_seconds_bucket${formatLabels({
            ...s.labels,
            le: String(le),
          })} ${cumulative}`,
        );
      });
      lines.push(
        `http_request_duration_seconds_bucket${formatLabels({
          ...s.labels,
          le: '+Inf',
        })} ${s.count}`,
        `http_request_duration_seconds_sum${formatLabels(
          s.labels,
        )} ${formatNumber(s.sum)}`,
        `http_request_duration_seconds_count${formatLabels(s.labels)} ${
          s.count
        }`,
      );
    }
    return `${lines.join('\n')}\n`;
  }

  /**
   * Health of a Deployment over the last `windowSeconds`, optionally only of the requests one
   * version answered. Undefined when the cluster has no such Deployment.
   */
  health(query: {
    cluster: string;
    namespace: string;
    workload: string;
    windowSeconds: number;
    version?: string;
  }): WorkloadHealth | undefined {
    const store = this.#clusters[query.cluster];
    const deployment = store?.get(
      'deployments',
      query.namespace,
      query.workload,
    );
    if (!deployment) return undefined;
    const at = this.#now();
    const w = this.#workloads.get(
      `${query.cluster}/${query.namespace}/${query.workload}`,
    );
    const since = at - query.windowSeconds * 1000;
    let covered = 0;
    let requests = 0;
    let errors = 0;
    const latencies: number[] = [];
    for (const t of w?.ticks ?? []) {
      if (t.at <= since) continue;
      covered += t.seconds;
      for (const [version, tally] of t.byVersion) {
        if (query.version && !sameVersion(version, query.version)) continue;
        requests += tally.requests;
        errors += tally.errors;
        latencies.push(...tally.latencies);
      }
    }
    return {
      cluster: query.cluster,
      namespace: query.namespace,
      workload: query.workload,
      version: versionOf(deployment),
      windowSeconds: query.windowSeconds,
      requests,
      errorRate: requests > 0 ? errors / requests : null,
      p95Seconds: percentile95(latencies),
      requestsPerSecond:
        covered > 0 ? requests / Math.min(covered, query.windowSeconds) : 0,
      sampledAt: new Date(at).toISOString(),
    };
  }
}
