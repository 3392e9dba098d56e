/*
 * Simulated request traffic for every Deployment of the sandbox clusters. Each tick, each
 * serving Deployment receives `rps × tick` requests (times the canary weight of its NGINX
 * canary Ingress, when it has one), spread over its endpoints with fixed weights; the version
 * that answers a request is the Deployment's current version with probability
 * `updatedReplicas / replicas` (during a rollout) and the version it ran before otherwise.
 * Healthy versions answer ~0.2% 5xx with a p95 latency of ~0.2 s; a version can have a fault
 * (see faults.ts: errors on some endpoints or all, slow, memory leak, CPU hot, crash loop, down,
 * business drop), for every request or for some only (a change behind a feature flag, for the
 * users who get it). Pods are simulated too (CPU, memory, restarts, limits), as are orders (the
 * business metric). A seeded PRNG makes runs reproducible.
 */
import { createHash } from 'node:crypto';
import { quantityNumber } from '../kube/controllers';
import { KubeObject, KubeStore } from '../kube/KubeStore';
import {
  FAULT_DEFAULTS,
  FaultVerdict,
  HEALTHY_COMPLETION_RATE,
  HEALTHY_CPU,
  HEALTHY_ERROR_RATE,
  HEALTHY_MEMORY,
  HEALTHY_P95_SECONDS,
  VersionFault,
  endpointsOf,
} from './faults';

/** How a version behaves: share of 5xx answers and 95th percentile latency. */
export interface TrafficProfile {
  errorRate: number;
  p95Seconds: number;
}

export const HEALTHY_PROFILE: TrafficProfile = {
  errorRate: HEALTHY_ERROR_RATE,
  p95Seconds: HEALTHY_P95_SECONDS,
};
export const UNHEALTHY_PROFILE: TrafficProfile = {
  errorRate: FAULT_DEFAULTS.errorRate,
  p95Seconds: FAULT_DEFAULTS.p95Seconds,
};

/** Share of non-5xx answers that are 404s (client errors, not failures). */
const NOT_FOUND_RATE = 0.01;
/** Spread of the log-normal latency distribution. */
const LATENCY_SIGMA = 0.5;
/** z-score of the 95th percentile of a normal distribution. */
const Z95 = 1.6448536;
/** Share of requests that are an order attempt (completed or abandoned). */
const ORDER_SHARE = 0.1;
/** Width of the latency bins kept per tick: 1 % apart. */
const LOG_BIN = Math.log(1.01);
/** How long per-tick records are kept as they are; older ones are merged per minute. */
const FINE_RETENTION_MS = 900_000;
/** Length of a merged record. */
const COARSE_MS = 60_000;

/** Upper bounds of the latency histogram buckets, in seconds (+Inf implied). */
export const LATENCY_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 1.5,
  2, 2.5, 3, 4, 5, 7.5, 10,
];

/** Status codes every (workload, version, handler) series starts with at 0. */
const CODES = ['200', '404', '500', '503'];

/** CPU and memory limits of a container without `resources.limits`: 500m and 512Mi. */
export const DEFAULT_LIMITS = { cpu: 0.5, memoryBytes: 512 * 1024 * 1024 };

/** The annotation recording which commit a workload's image was built from. */
export const COMMIT_SHA_ANNOTATION = 'delivery.backstage.io/commit-sha';
/** The label tying a workload and its Ingresses to a catalog entity. */
export const KUBERNETES_ID_LABEL = 'backstage.io/kubernetes-id';
export const CANARY_ANNOTATION = 'nginx.ingress.kubernetes.io/canary';
export const CANARY_WEIGHT_ANNOTATION =
  'nginx.ingress.kubernetes.io/canary-weight';

export interface TrafficSimulatorOptions {
  clusters: Record<string, KubeStore>;
  /**
   * The fault of a version (a commit sha, or an image tag when no sha is annotated) in a
   * cluster, if any; asked once per version and tick. A fault injected at run time
   * ({@link TrafficSimulator.setFault}) takes precedence.
   */
  faultOf?: (version: string, cluster: string) => FaultVerdict | undefined;
  /** Requests per second per Deployment (default 20). */
  rps?: number;
  /** Simulated time per tick, in milliseconds (default 1000). */
  tickMs?: number;
  /** Seed of the PRNG (default 1). */
  seed?: number;
  /**
   * How long samples are kept for `/health`, `/analysis` and `/series`, in seconds (default
   * 3600); the last 900 s tick by tick, older ones merged per minute.
   */
  retentionSeconds?: number;
  /** Clock, in milliseconds since the epoch (default `Date.now`). */
  now?: () => number;
}

/** Which workload (and optionally which version of it) a question is about. */
export interface WorkloadQuery {
  cluster: string;
  namespace: string;
  workload: string;
  version?: string;
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

/** Every figure of a rollback decision over a window, as served by `GET /analysis`. */
export interface WorkloadAnalysis extends WorkloadHealth {
  baselineSeconds: number;
  /** Whether some pod of the workload is ready (its health endpoint answers). */
  up: boolean;
  /** Requests and 5xx answers per endpoint (route template), in the window. */
  endpoints: Array<{ endpoint: string; requests: number; errors: number }>;
  /**
   * Order completion rate in the window (of the version asked for, if any) and over the
   * `baselineSeconds` before it (every version); null without orders in either.
   */
  business: { value: number; baseline: number } | null;
  /** CPU use of the busiest pod as a share of its limit, averaged over the window. */
  cpu: number | null;
  /** Memory use of the fullest pod as a share of its limit, at the end of the window. */
  memory: number | null;
  /** Container restarts per minute across the pods, over the window. */
  restartsPerMinute: number | null;
}

/** One point of a chart, as served by `GET /series`. */
export interface WorkloadSeriesPoint {
  /** The end of the step (ISO). */
  at: string;
  errorRate: number | null;
  p95Seconds: number | null;
  requestsPerSecond: number | null;
}

/** A fault injected at run time. */
export interface InjectedFault {
  cluster: string;
  namespace: string;
  workload: string;
  version: string;
  fault: VersionFault;
}

interface EndpointTally {
  requests: number;
  errors: number;
}

/** What one version did during a record. */
interface VersionTally {
  requests: number;
  errors: number;
  /** Latency bin (log, 1 % wide) → requests. */
  latencies: Map<number, number>;
  endpoints: Map<string, EndpointTally>;
  completed: number;
  abandoned: number;
  /** Busiest pod's CPU share × seconds, and the seconds it had pods. */
  cpuTime: number;
  podSeconds: number;
  /** Fullest pod's memory share at the end of the record (-1: no pods). */
  memory: number;
  /** Container restarts across its pods (fractional). */
  restarts: number;
}

interface TickRecord {
  at: number;
  seconds: number;
  byVersion: Map<string, VersionTally>;
  /** Whether some pod was ready at the end of the record. */
  up: boolean;
}

interface Pod {
  name: string;
  cpuSeconds: number;
  /** Restarts (fractional; the exposition shows the whole ones). */
  restarts: number;
  memoryBytes: number;
}

interface Workload {
  cluster: string;
  namespace: string;
  name: string;
  container: string;
  current: string;
  previous?: string;
  carry: number;
  /** Per-tick records of the last 15 minutes. */
  ticks: TickRecord[];
  /** Older records, merged per minute. */
  coarse: TickRecord[];
  /** Version → its pods (one ReplicaSet per version). */
  pods: Map<string, Pod[]>;
  /** Version → when it first had pods (ms). */
  startedAt: Map<string, number>;
  limits: { cpu: number; memoryBytes: number };
  /** The exposition's counters of its versions, by handler (a shortcut into the series). */
  series: Map<string, Map<string, SeriesCounters>>;
  available: number;
  completed: number;
  abandoned: number;
}

/** Cumulative counters of one (cluster, namespace, deployment, version, handler) series. */
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

/** The CPU (cores) and memory (bytes) limits of a Deployment's first container. */
export function limitsOf(d: KubeObject): { cpu: number; memoryBytes: number } {
  const limits = d.spec?.template?.spec?.containers?.[0]?.resources?.limits;
  const cpu = quantityNumber(limits?.cpu);
  const memory = quantityNumber(limits?.memory);
  return {
    cpu: cpu > 0 ? cpu : DEFAULT_LIMITS.cpu,
    memoryBytes: memory > 0 ? memory : DEFAULT_LIMITS.memoryBytes,
  };
}

/**
 * The share (0..1) of a Deployment's traffic its NGINX canary Ingress sends it: the
 * `canary-weight` of an Ingress in its namespace labelled with its `backstage.io/kubernetes-id`
 * and annotated `canary: "true"` (a missing or bad weight is 0, as for NGINX); 1 without one.
 */
export function canaryShare(store: KubeStore, d: KubeObject): number {
  const id = d.metadata?.labels?.[KUBERNETES_ID_LABEL];
  if (!id) return 1;
  const ingress = store
    .list('ingresses', d.metadata.namespace)
    .find(
      i =>
        i.metadata?.labels?.[KUBERNETES_ID_LABEL] === id &&
        i.metadata?.annotations?.[CANARY_ANNOTATION] === 'true',
    );
  if (!ingress) return 1;
  const raw = String(
    ingress.metadata.annotations[CANARY_WEIGHT_ANNOTATION] ?? '',
  );
  const weight = /^\d+$/.test(raw) ? Number(raw) : 0;
  return Math.min(100, weight) / 100;
}

/** Whether two version strings name the same commit (a full sha and its short form match). */
export function sameVersion(a: string, b: string): boolean {
  if (a === b) return true;
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  return (
    short.length >= 7 && /^[0-9a-f]+$/.test(long) && long.startsWith(short)
  );
}

const HASH_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

function hashChars(text: string, length: number): string {
  const digest = createHash('sha256').update(text).digest();
  let out = '';
  for (let i = 0; i < length; i++)
    out += HASH_CHARS[digest[i] % HASH_CHARS.length];
  return out;
}

/** A pod's name: `<deployment>-<hash of the version>-<suffix>`, stable per version and index. */
export function podName(
  deployment: string,
  version: string,
  index: number,
): string {
  const hash = hashChars(`${deployment}/${version}`, 10);
  return `${deployment}-${hash}-${hashChars(`${hash}/${index}`, 5)}`;
}

function emptyTally(): VersionTally {
  return {
    requests: 0,
    errors: 0,
    latencies: new Map(),
    endpoints: new Map(),
    completed: 0,
    abandoned: 0,
    cpuTime: 0,
    podSeconds: 0,
    memory: -1,
    restarts: 0,
  };
}

function mergeTally(into: VersionTally, from: VersionTally) {
  into.requests += from.requests;
  into.errors += from.errors;
  for (const [bin, n] of from.latencies) {
    into.latencies.set(bin, (into.latencies.get(bin) ?? 0) + n);
  }
  for (const [endpoint, e] of from.endpoints) {
    const t = into.endpoints.get(endpoint) ?? { requests: 0, errors: 0 };
    t.requests += e.requests;
    t.errors += e.errors;
    into.endpoints.set(endpoint, t);
  }
  into.completed += from.completed;
  into.abandoned += from.abandoned;
  into.cpuTime += from.cpuTime;
  into.podSeconds += from.podSeconds;
  if (from.memory >= 0) into.memory = from.memory;
  into.restarts += from.restarts;
}

function percentile95(bins: Map<number, number>): number | null {
  let total = 0;
  for (const n of bins.values()) total += n;
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(total * 0.95));
  let seen = 0;
  for (const bin of [...bins.keys()].sort((x, y) => x - y)) {
    seen += bins.get(bin)!;
    if (seen >= rank) return Number(Math.exp((bin + 0.5) * LOG_BIN).toFixed(4));
  }
  return null;
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

/** What a fault does to the requests it hits and to the pods of its version. */
function errorRateOf(fault: VersionFault | undefined, endpoint: string) {
  switch (fault?.kind) {
    case 'endpoint-errors':
      return fault.endpoints.includes(endpoint)
        ? fault.errorRate ?? FAULT_DEFAULTS.endpointErrorRate
        : HEALTHY_ERROR_RATE;
    case 'errors':
      return fault.errorRate ?? FAULT_DEFAULTS.errorRate;
    case 'unhealthy':
      return FAULT_DEFAULTS.errorRate;
    case 'down':
      return 1;
    default:
      return HEALTHY_ERROR_RATE;
  }
}

function p95Of(fault: VersionFault | undefined) {
  if (fault?.kind === 'slow')
    return fault.p95Seconds ?? FAULT_DEFAULTS.p95Seconds;
  if (fault?.kind === 'unhealthy') return FAULT_DEFAULTS.p95Seconds;
  return HEALTHY_P95_SECONDS;
}

/** The traffic model, without HTTP: ticks, Prometheus exposition and windowed figures. */
export class TrafficSimulator {
  readonly tickMs: number;
  readonly rps: number;
  readonly retentionSeconds: number;
  readonly #clusters: Record<string, KubeStore>;
  readonly #faultOf: (
    version: string,
    cluster: string,
  ) => FaultVerdict | undefined;
  readonly #random: () => number;
  readonly #retentionMs: number;
  readonly #now: () => number;
  readonly #workloads = new Map<string, Workload>();
  readonly #series = new Map<string, SeriesCounters>();
  /** `cluster/namespace/workload` → injected faults by version. */
  readonly #injected = new Map<string, Map<string, VersionFault>>();

  constructor(options: TrafficSimulatorOptions) {
    this.#clusters = options.clusters;
    this.#faultOf = options.faultOf ?? (() => undefined);
    this.rps = options.rps ?? 20;
    this.tickMs = options.tickMs ?? 1000;
    this.#random = createRandom(options.seed ?? 1);
    this.retentionSeconds = options.retentionSeconds ?? 3600;
    this.#retentionMs = this.retentionSeconds * 1000;
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
            container: String(
              d.spec?.template?.spec?.containers?.[0]?.name ?? d.metadata.name,
            ),
            current: version,
            carry: 0,
            ticks: [],
            coarse: [],
            pods: new Map(),
            startedAt: new Map(),
            limits: limitsOf(d),
            series: new Map(),
            available: 0,
            completed: 0,
            abandoned: 0,
          };
          this.#workloads.set(key, w);
        } else if (w.current !== version) {
          w.previous = w.current;
          w.current = version;
        }
        w.limits = limitsOf(d);
        const record: TickRecord = {
          at,
          seconds,
          byVersion: new Map(),
          up: false,
        };
        const verdicts = new Map<string, FaultVerdict | undefined>();
        const verdictOf = (v: string) => {
          if (!verdicts.has(v)) verdicts.set(v, this.#verdict(w!, v));
          return verdicts.get(v);
        };
        const podsByVersion = this.#podCounts(w, d);
        const serving = isServing(d);
        if (serving) {
          this.#serve(w, d, record, canaryShare(store, d), verdictOf);
        } else {
          w.carry = 0;
        }
        this.#runPods(w, record, podsByVersion, verdictOf, serving);
        w.ticks.push(record);
        this.#compact(w, at);
      }
      for (const [key, w] of this.#workloads) {
        if (w.cluster === cluster && !seen.has(key))
          this.#workloads.delete(key);
      }
    }
  }

  #verdict(w: Workload, version: string): FaultVerdict | undefined {
    const injected = this.#injected.get(
      `${w.cluster}/${w.namespace}/${w.name}`,
    );
    for (const [v, fault] of injected ?? []) {
      if (sameVersion(v, version)) {
        return fault.kind === 'none' ? undefined : { fault };
      }
    }
    const verdict = this.#faultOf(version, w.cluster);
    return verdict?.fault.kind === 'none' ? undefined : verdict;
  }

  /** How many pods each version runs: the rollout's split of the desired replicas. */
  #podCounts(w: Workload, d: KubeObject): Map<string, number> {
    const replicas = desiredReplicas(d);
    const counts = new Map<string, number>();
    if (replicas === 0) return counts;
    const share = w.previous === undefined ? 1 : updatedShare(d);
    const current = Math.round(share * replicas);
    if (current > 0) counts.set(w.current, current);
    if (replicas - current > 0 && w.previous !== undefined) {
      counts.set(w.previous, replicas - current);
    }
    return counts;
  }

  #serve(
    w: Workload,
    d: KubeObject,
    record: TickRecord,
    canary: number,
    verdictOf: (version: string) => FaultVerdict | undefined,
  ) {
    const expected = this.rps * record.seconds * canary + w.carry;
    const n = Math.floor(expected);
    w.carry = canary > 0 ? expected - n : 0;
    const share = w.previous === undefined ? 1 : updatedShare(d);
    const endpoints = endpointsOf(w.name);
    const totalWeight = endpoints.reduce((sum, e) => sum + e.weight, 0);
    for (let i = 0; i < n; i++) {
      const version =
        w.previous !== undefined && this.#random() >= share
          ? w.previous
          : w.current;
      const verdict = verdictOf(version);
      // A verdict without `hits` draws nothing from the PRNG.
      const hit =
        verdict !== undefined && (!verdict.hits || verdict.hits(this.#random));
      const fault = hit ? verdict!.fault : undefined;
      let pick = this.#random() * totalWeight;
      let endpoint = endpoints[endpoints.length - 1].endpoint;
      for (const e of endpoints) {
        pick -= e.weight;
        if (pick < 0) {
          endpoint = e.endpoint;
          break;
        }
      }
      const failed = this.#random() < errorRateOf(fault, endpoint);
      let code = '200';
      if (failed) code = fault?.kind === 'down' ? '503' : '500';
      else if (this.#random() < NOT_FOUND_RATE) code = '404';
      const latency = this.#latency(p95Of(fault));
      let tally = record.byVersion.get(version);
      if (!tally) {
        tally = emptyTally();
        record.byVersion.set(version, tally);
      }
      tally.requests++;
      if (failed) tally.errors++;
      const bin = Math.floor(Math.log(latency) / LOG_BIN);
      tally.latencies.set(bin, (tally.latencies.get(bin) ?? 0) + 1);
      const e = tally.endpoints.get(endpoint) ?? { requests: 0, errors: 0 };
      e.requests++;
      if (failed) e.errors++;
      tally.endpoints.set(endpoint, e);
      if (this.#random() < ORDER_SHARE) {
        const drop =
          fault?.kind === 'business-drop'
            ? fault.drop ?? FAULT_DEFAULTS.drop
            : 0;
        // A failed request abandons its order.
        const completed =
          !failed && this.#random() < HEALTHY_COMPLETION_RATE * (1 - drop);
        if (completed) {
          tally.completed++;
          w.completed++;
        } else {
          tally.abandoned++;
          w.abandoned++;
        }
      }
      this.#count(w, version, endpoint, code, latency);
    }
  }

  /** Runs the pods of each version for one tick: CPU, memory, restarts, readiness. */
  #runPods(
    w: Workload,
    record: TickRecord,
    counts: Map<string, number>,
    verdictOf: (version: string) => FaultVerdict | undefined,
    serving: boolean,
  ) {
    for (const version of [...w.pods.keys()]) {
      if (!counts.has(version)) {
        w.pods.delete(version);
        w.startedAt.delete(version);
      }
    }
    let available = 0;
    for (const [version, count] of counts) {
      if (!w.startedAt.has(version)) w.startedAt.set(version, record.at);
      const pods = w.pods.get(version) ?? [];
      while (pods.length < count) {
        pods.push({
          name: podName(w.name, version, pods.length),
          cpuSeconds: 0,
          restarts: 0,
          memoryBytes: 0,
        });
      }
      pods.length = count;
      w.pods.set(version, pods);
      // Pod-level faults hit every pod of the version, flags or not.
      const fault = verdictOf(version)?.fault;
      let tally = record.byVersion.get(version);
      if (!tally) {
        tally = emptyTally();
        record.byVersion.set(version, tally);
      }
      let busiest = 0;
      let fullest = 0;
      for (const pod of pods) {
        const cpu =
          (fault?.kind === 'cpu-hot'
            ? fault.cpu ?? FAULT_DEFAULTS.cpu
            : HEALTHY_CPU) *
          (0.95 + 0.1 * this.#random());
        const memory = Math.min(
          1,
          this.#memoryShare(fault, record.at - w.startedAt.get(version)!) +
            0.01 * this.#random(),
        );
        pod.cpuSeconds += cpu * w.limits.cpu * record.seconds;
        pod.memoryBytes = Math.round(memory * w.limits.memoryBytes);
        if (fault?.kind === 'crash-loop') {
          const restarts =
            ((fault.restartsPerMinute ?? FAULT_DEFAULTS.restartsPerMinute) /
              60) *
            record.seconds;
          pod.restarts += restarts;
          tally.restarts += restarts;
        }
        busiest = Math.max(busiest, cpu);
        fullest = Math.max(fullest, memory);
      }
      tally.cpuTime += busiest * record.seconds;
      tally.podSeconds += record.seconds;
      tally.memory = fullest;
      if (fault?.kind !== 'down') available += count;
    }
    // Pods the Deployment does not count available yet (starting up) are not ready either.
    if (!serving) available = 0;
    w.available = available;
    record.up = available > 0;
  }

  #memoryShare(fault: VersionFault | undefined, runningMs: number): number {
    if (fault?.kind !== 'memory-leak') return HEALTHY_MEMORY;
    const cross = fault.crossAfterSeconds ?? FAULT_DEFAULTS.crossAfterSeconds;
    const grown =
      HEALTHY_MEMORY +
      ((FAULT_DEFAULTS.leakThreshold - HEALTHY_MEMORY) * runningMs) /
        (cross * 1000);
    return Math.min(FAULT_DEFAULTS.leakCeiling, grown);
  }

  /** Merges per-tick records older than 15 minutes per minute; drops what is past retention. */
  #compact(w: Workload, at: number) {
    while (w.ticks.length > 0 && w.ticks[0].at <= at - FINE_RETENTION_MS) {
      const t = w.ticks.shift()!;
      const last = w.coarse[w.coarse.length - 1];
      if (
        last &&
        Math.floor(last.at / COARSE_MS) === Math.floor(t.at / COARSE_MS)
      ) {
        last.at = t.at;
        last.seconds += t.seconds;
        last.up = t.up;
        for (const [version, tally] of t.byVersion) {
          const into = last.byVersion.get(version) ?? emptyTally();
          mergeTally(into, tally);
          last.byVersion.set(version, into);
        }
      } else {
        w.coarse.push(t);
      }
    }
    const horizon = at - this.#retentionMs;
    while (w.coarse.length > 0 && w.coarse[0].at <= horizon) w.coarse.shift();
    while (w.ticks.length > 0 && w.ticks[0].at <= horizon) w.ticks.shift();
  }

  /** A log-normal latency whose 95th percentile is `p95Seconds`. */
  #latency(p95Seconds: number): number {
    const u1 = 1 - this.#random();
    const u2 = this.#random();
    const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    const median = p95Seconds / Math.exp(Z95 * LATENCY_SIGMA);
    return median * Math.exp(LATENCY_SIGMA * z);
  }

  #count(
    w: Workload,
    version: string,
    handler: string,
    code: string,
    latency: number,
  ) {
    let byHandler = w.series.get(version);
    if (!byHandler) {
      byHandler = new Map();
      w.series.set(version, byHandler);
    }
    let s = byHandler.get(handler);
    if (!s) {
      const key = `${w.cluster}/${w.namespace}/${w.name}/${version}/${handler}`;
      s = this.#series.get(key);
    }
    if (!s) {
      s = {
        labels: {
          cluster: w.cluster,
          namespace: w.namespace,
          deployment: w.name,
          version,
          handler,
        },
        codes: new Map(CODES.map(c => [c, 0])),
        buckets: new Array(LATENCY_BUCKETS.length + 1).fill(0),
        sum: 0,
        count: 0,
      };
      this.#series.set(
        `${w.cluster}/${w.namespace}/${w.name}/${version}/${handler}`,
        s,
      );
    }
    byHandler.set(handler, s);
    s.codes.set(code, (s.codes.get(code) ?? 0) + 1);
    let bucket = LATENCY_BUCKETS.findIndex(le => latency <= le);
    if (bucket < 0) bucket = LATENCY_BUCKETS.length;
    s.buckets[bucket]++;
    s.sum += latency;
    s.count++;
  }

  /** Every metric in the Prometheus text exposition format (version 0.0.4). */
  exposition(): string {
    const series = [...this.#series.values()].sort((a, b) =>
      formatLabels(a.labels).localeCompare(formatLabels(b.labels)),
    );
    const lines: string[] = [
      '# HELP http_requests_total Requests answered, by workload, version, handler and status code (simulated).',
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
      '# HELP http_request_duration_seconds Request latency, by workload, version and handler (simulated).',
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
    const workloads = [...this.#workloads.values()].sort((a, b) =>
      `${a.cluster}/${a.namespace}/${a.name}`.localeCompare(
        `${b.cluster}/${b.namespace}/${b.name}`,
      ),
    );
    const pods = workloads.flatMap(w =>
      [...w.pods.values()].flat().map(pod => ({
        w,
        pod,
        labels: {
          cluster: w.cluster,
          namespace: w.namespace,
          pod: pod.name,
          container: w.container,
        },
      })),
    );
    const family = (
      name: string,
      type: string,
      help: string,
      samples: Array<[Record<string, string>, number]>,
    ) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) {
        lines.push(`${name}${formatLabels(labels)} ${formatNumber(value)}`);
      }
    };
    family(
      'container_cpu_usage_seconds_total',
      'counter',
      'Cumulative cpu time consumed in seconds (simulated cAdvisor).',
      pods.map(p => [p.labels, Number(p.pod.cpuSeconds.toFixed(6))]),
    );
    family(
      'container_memory_working_set_bytes',
      'gauge',
      'Current working set in bytes (simulated cAdvisor).',
      pods.map(p => [p.labels, p.pod.memoryBytes]),
    );
    family(
      'kube_pod_container_resource_limits',
      'gauge',
      'The number of requested limit resource by a container (simulated kube-state-metrics).',
      pods.flatMap(p => [
        [{ ...p.labels, resource: 'cpu', unit: 'core' }, p.w.limits.cpu],
        [
          { ...p.labels, resource: 'memory', unit: 'byte' },
          p.w.limits.memoryBytes,
        ],
      ]),
    );
    family(
      'kube_pod_container_status_restarts_total',
      'counter',
      'The number of container restarts per container (simulated kube-state-metrics).',
      pods.map(p => [p.labels, Math.floor(p.pod.restarts + 1e-9)]),
    );
    family(
      'kube_deployment_status_replicas_available',
      'gauge',
      'The number of available replicas per deployment (simulated kube-state-metrics).',
      workloads.map(w => [
        { cluster: w.cluster, namespace: w.namespace, deployment: w.name },
        w.available,
      ]),
    );
    family(
      'orders_total',
      'counter',
      'Orders started, by outcome (simulated business metric).',
      workloads.flatMap(w => {
        if (w.completed + w.abandoned === 0) return [];
        const labels = {
          cluster: w.cluster,
          namespace: w.namespace,
          deployment: w.name,
        };
        return [
          [{ ...labels, outcome: 'abandoned' }, w.abandoned],
          [{ ...labels, outcome: 'completed' }, w.completed],
        ] as Array<[Record<string, string>, number]>;
      }),
    );
    return `${lines.join('\n')}\n`;
  }

  #find(query: WorkloadQuery) {
    const deployment = this.#clusters[query.cluster]?.get(
      'deployments',
      query.namespace,
      query.workload,
    );
    if (!deployment) return undefined;
    const w = this.#workloads.get(
      `${query.cluster}/${query.namespace}/${query.workload}`,
    );
    return { deployment, records: w ? [...w.coarse, ...w.ticks] : [] };
  }

  /** Sums the records ending in (from, to] of the version asked for (every one without). */
  static #sum(
    records: TickRecord[],
    from: number,
    to: number,
    version?: string,
  ) {
    const total = emptyTally();
    let covered = 0;
    let last: TickRecord | undefined;
    for (const r of records) {
      if (r.at <= from || r.at > to) continue;
      covered += r.seconds;
      last = r;
      for (const [v, tally] of r.byVersion) {
        if (version && !sameVersion(v, version)) continue;
        mergeTally(total, tally);
      }
    }
    return { total, covered, last };
  }

  /**
   * Health of a Deployment over the last `windowSeconds`, optionally only of the requests one
   * version answered. Undefined when the cluster has no such Deployment.
   */
  health(
    query: WorkloadQuery & { windowSeconds: number },
  ): WorkloadHealth | undefined {
    const found = this.#find(query);
    if (!found) return undefined;
    const at = this.#now();
    const { total, covered } = TrafficSimulator.#sum(
      found.records,
      at - query.windowSeconds * 1000,
      at,
      query.version,
    );
    return {
      cluster: query.cluster,
      namespace: query.namespace,
      workload: query.workload,
      version: versionOf(found.deployment),
      windowSeconds: query.windowSeconds,
      requests: total.requests,
      errorRate: total.requests > 0 ? total.errors / total.requests : null,
      p95Seconds: percentile95(total.latencies),
      requestsPerSecond:
        covered > 0
          ? total.requests / Math.min(covered, query.windowSeconds)
          : 0,
      sampledAt: new Date(at).toISOString(),
    };
  }

  /**
   * Every figure of a rollback decision over the last `windowSeconds` (the business metric
   * also over the `baselineSeconds` before). Undefined when the cluster has no such Deployment.
   */
  analysis(
    query: WorkloadQuery & { windowSeconds: number; baselineSeconds: number },
  ): WorkloadAnalysis | undefined {
    const health = this.health(query);
    const found = this.#find(query);
    if (!health || !found) return undefined;
    const at = this.#now();
    const since = at - query.windowSeconds * 1000;
    const { total, last, covered } = TrafficSimulator.#sum(
      found.records,
      since,
      at,
      query.version,
    );
    const before = TrafficSimulator.#sum(
      found.records,
      since - query.baselineSeconds * 1000,
      since,
    ).total;
    const rate = (t: VersionTally) =>
      t.completed + t.abandoned > 0
        ? t.completed / (t.completed + t.abandoned)
        : undefined;
    const value = rate(total);
    const baseline = rate(before);
    const endpoints = endpointsOf(query.workload).map(({ endpoint }) => ({
      endpoint,
      requests: total.endpoints.get(endpoint)?.requests ?? 0,
      errors: total.endpoints.get(endpoint)?.errors ?? 0,
    }));
    let memory: number | null = null;
    for (const [v, tally] of last?.byVersion ?? []) {
      if (query.version && !sameVersion(v, query.version)) continue;
      if (tally.memory >= 0) memory = Math.max(memory ?? 0, tally.memory);
    }
    return {
      ...health,
      baselineSeconds: query.baselineSeconds,
      up: last?.up ?? false,
      endpoints,
      business:
        value !== undefined && baseline !== undefined
          ? { value, baseline }
          : null,
      cpu: total.podSeconds > 0 ? total.cpuTime / total.podSeconds : null,
      memory,
      restartsPerMinute:
        total.podSeconds > 0
          ? total.restarts / (Math.min(query.windowSeconds, covered) / 60)
          : null,
    };
  }

  /**
   * Error rate, p95 latency and request rate of a Deployment over the last `rangeSeconds`,
   * one point per `stepSeconds` (the last one ends now). Undefined for an unknown Deployment.
   */
  series(
    query: WorkloadQuery & { rangeSeconds: number; stepSeconds: number },
  ): WorkloadSeriesPoint[] | undefined {
    const found = this.#find(query);
    if (!found) return undefined;
    const at = this.#now();
    const stepMs = query.stepSeconds * 1000;
    const count = Math.max(
      1,
      Math.ceil(query.rangeSeconds / query.stepSeconds),
    );
    const points: WorkloadSeriesPoint[] = [];
    for (let i = count - 1; i >= 0; i--) {
      const end = at - i * stepMs;
      const { total, covered } = TrafficSimulator.#sum(
        found.records,
        end - stepMs,
        end,
        query.version,
      );
      points.push({
        at: new Date(end).toISOString(),
        errorRate: total.requests > 0 ? total.errors / total.requests : null,
        p95Seconds: percentile95(total.latencies),
        requestsPerSecond:
          covered > 0
            ? total.requests / Math.min(covered, query.stepSeconds)
            : null,
      });
    }
    return points;
  }

  /**
   * Injects a fault into the version a workload runs now (or the one given); `none` makes it
   * healthy whatever the seed says. Undefined when the cluster has no such Deployment.
   */
  setFault(
    query: WorkloadQuery & { fault: VersionFault },
  ): InjectedFault | undefined {
    const found = this.#find(query);
    if (!found) return undefined;
    const version = query.version ?? versionOf(found.deployment);
    const key = `${query.cluster}/${query.namespace}/${query.workload}`;
    const byVersion = this.#injected.get(key) ?? new Map();
    for (const v of [...byVersion.keys()]) {
      if (sameVersion(v, version)) byVersion.delete(v);
    }
    byVersion.set(version, query.fault);
    this.#injected.set(key, byVersion);
    return {
      cluster: query.cluster,
      namespace: query.namespace,
      workload: query.workload,
      version,
      fault: query.fault,
    };
  }

  /**
   * Removes the injected fault of a workload's current version (or the one given); the seed's
   * fault, if any, applies again. Undefined when the cluster has no such Deployment.
   */
  clearFault(query: WorkloadQuery): { version: string } | undefined {
    const found = this.#find(query);
    if (!found) return undefined;
    const version = query.version ?? versionOf(found.deployment);
    const key = `${query.cluster}/${query.namespace}/${query.workload}`;
    const byVersion = this.#injected.get(key);
    for (const v of [...(byVersion?.keys() ?? [])]) {
      if (sameVersion(v, version)) byVersion!.delete(v);
    }
    if (byVersion?.size === 0) this.#injected.delete(key);
    return { version };
  }

  /** The faults injected at run time. */
  injectedFaults(): InjectedFault[] {
    return [...this.#injected].flatMap(([key, byVersion]) => {
      const [cluster, namespace, workload] = key.split('/');
      return [...byVersion].map(([version, fault]) => ({
        cluster,
        namespace,
        workload,
        version,
        fault,
      }));
    });
  }
}
