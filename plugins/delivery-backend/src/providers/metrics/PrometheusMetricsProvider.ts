import { InputError } from '@backstage/errors';
import {
  UpstreamError,
  describeNetworkError,
  isUnreachable,
} from '../UpstreamError';
import {
  AnalysisSample,
  AnalysisTarget,
  EndpointSample,
  HealthSample,
  HealthTarget,
  MetricsProvider,
  SeriesPoint,
} from '@internal/plugin-delivery-node';

/**
 * PromQL templates. Placeholders: `{{cluster}}`, `{{namespace}}`, `{{workload}}`,
 * `{{environment}}`, `{{entityRef}}`, `{{version}}` (empty unless asked for) and `{{window}}`
 * (e.g. `60s`). Values are escaped for use inside double-quoted PromQL strings.
 */
export interface PrometheusQueries {
  /** Share of 5xx answers (0..1) over the window. */
  errorRate: string;
  /** 95th percentile latency in seconds over the window. */
  p95: string;
  /** Requests per second over the window. */
  requestRate: string;
  /**
   * Requests counted over the window, one series per endpoint (labelled with the provider's
   * `endpointLabel`).
   */
  endpointRequests: string;
  /** Failed (5xx) requests counted over the window, one series per endpoint, like `endpointRequests`. */
  endpointErrors: string;
  /** Ready pods of the workload: the health endpoint answers when it is above 0. */
  up: string;
  /** CPU use as a share of the CPU limit (0..1), of the busiest pod. */
  cpu: string;
  /** Memory working set as a share of the memory limit (0..1), of the fullest pod. */
  memory: string;
  /** Container restarts per minute across the workload's pods. */
  restarts: string;
  /**
   * The business metric (e.g. order completion rate); no default. Evaluated twice: over the
   * analysis window at its end, and with `{{window}}` = the baseline window at the start of the
   * analysis window.
   */
  business?: string;
}

const SELECTOR =
  'cluster="{{cluster}}",namespace="{{namespace}}",deployment="{{workload}}"';

/** The workload's pods, named `<deployment>-<replicaset hash>-<suffix>`. */
const POD_SELECTOR =
  'cluster="{{cluster}}",namespace="{{namespace}}",pod=~"{{workload}}-[a-z0-9]+-[a-z0-9]+"';

/** A PromQL label name. */
const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Queries for the metric names the sandbox's simulated traffic exposes (and many HTTP
 * instrumentation libraries use): `http_requests_total{code}` and
 * `http_request_duration_seconds_bucket{le}`, labelled with cluster, namespace and deployment.
 * `or vector(0)` keeps the error rate at 0 (not empty) when no 5xx series exists yet.
 */
export const DEFAULT_PROMETHEUS_QUERIES: PrometheusQueries =
  defaultPrometheusQueries();

/**
 * The default queries, grouping endpoints by `endpointLabel` (default `handler`):
 *
 * - the HTTP figures read `http_requests_total{code,<endpointLabel>}` and
 *   `http_request_duration_seconds_bucket{le}` (the application's instrumentation), labelled
 *   with cluster, namespace and deployment;
 * - `up` reads kube-state-metrics' `kube_deployment_status_replicas_available{deployment}`;
 * - CPU and memory read cAdvisor's `container_cpu_usage_seconds_total` and
 *   `container_memory_working_set_bytes` over kube-state-metrics'
 *   `kube_pod_container_resource_limits{resource}`, per pod, for the pods named after the
 *   workload; restarts read kube-state-metrics' `kube_pod_container_status_restarts_total`;
 * - the business metric has no default.
 */
export function defaultPrometheusQueries(
  endpointLabel: string = 'handler',
): PrometheusQueries {
  return {
    errorRate: `(sum(rate(http_requests_total{${SELECTOR},code=~"5.."}[{{window}}])) or vector(0)) / sum(rate(http_requests_total{${SELECTOR}}[{{window}}]))`,
    p95: `histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{${SELECTOR}}[{{window}}])))`,
    requestRate: `sum(rate(http_requests_total{${SELECTOR}}[{{window}}]))`,
    endpointRequests: `sum by (${endpointLabel}) (increase(http_requests_total{${SELECTOR}}[{{window}}]))`,
    endpointErrors: `sum by (${endpointLabel}) (increase(http_requests_total{${SELECTOR},code=~"5.."}[{{window}}]))`,
    up: `sum(kube_deployment_status_replicas_available{${SELECTOR}})`,
    cpu: `max(sum by (pod) (rate(container_cpu_usage_seconds_total{${POD_SELECTOR},container!=""}[{{window}}])) / sum by (pod) (kube_pod_container_resource_limits{${POD_SELECTOR},container!="",resource="cpu"}))`,
    memory: `max(sum by (pod) (container_memory_working_set_bytes{${POD_SELECTOR},container!=""}) / sum by (pod) (kube_pod_container_resource_limits{${POD_SELECTOR},container!="",resource="memory"}))`,
    restarts: `sum(rate(kube_pod_container_status_restarts_total{${POD_SELECTOR}}[{{window}}])) * 60`,
  };
}

const PLACEHOLDERS = new Set([
  'cluster',
  'namespace',
  'workload',
  'environment',
  'entityRef',
  'version',
  'window',
]);

const PLACEHOLDER = /\{\{\s*([A-Za-z]+)\s*\}\}/g;

/** Escapes a value for a double-quoted PromQL string. */
function escapePromQL(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n');
}

/** Fills the placeholders of a PromQL template. */
export function renderQuery(
  template: string,
  target: HealthTarget,
  windowSeconds: number,
): string {
  const values: Record<string, string> = {
    cluster: target.cluster,
    namespace: target.namespace,
    workload: target.workload,
    environment: target.environment,
    entityRef: target.entityRef,
    version: target.version ?? '',
    window: `${Math.max(1, Math.ceil(windowSeconds))}s`,
  };
  return template.replace(PLACEHOLDER, (_, name: string) =>
    name === 'window' ? values.window : escapePromQL(values[name] ?? ''),
  );
}

export interface PrometheusMetricsProviderOptions {
  /** Base URL of Prometheus (or anything serving its HTTP API), e.g. `http://prometheus:9090`. */
  baseUrl: string;
  /** Templates replacing the defaults, per query. */
  queries?: Partial<PrometheusQueries>;
  /**
   * The label naming the endpoint (route template) in the default per-endpoint queries and in
   * their results (default `handler`).
   */
  endpointLabel?: string;
  /** Window of the rate() ranges, unless a target asks for its own (default 60). */
  windowSeconds?: number;
  /**
   * Window of the business metric's baseline, ending where the analysis window starts, unless
   * a target asks for its own (default 3600).
   */
  baselineSeconds?: number;
  /** How long one query may take before it fails with 503. */
  timeoutMs: number;
  /**
   * The time queries are evaluated at (the `time` of instant queries, the end of ranges);
   * default the clock. When given, health() passes it too; otherwise health() leaves the time
   * to Prometheus.
   */
  now?: () => Date;
}

type QueryName = keyof PrometheusQueries;

const QUERY_LABELS: Record<QueryName, string> = {
  errorRate: 'error-rate',
  p95: 'p95 latency',
  requestRate: 'request-rate',
  endpointRequests: 'endpoint-requests',
  endpointErrors: 'endpoint-errors',
  up: 'up',
  cpu: 'CPU',
  memory: 'memory',
  restarts: 'restarts',
  business: 'business-metric',
};

/** Prometheus refuses range queries of more points than this per series. */
const MAX_POINTS = 11_000;

/** One series of an instant vector: its labels and value. */
interface VectorSample {
  labels: Record<string, string>;
  value: number;
}

/**
 * Health from Prometheus through its HTTP API: `GET /api/v1/query` for health and analysis,
 * `GET /api/v1/query_range` for charts.
 */
export class PrometheusMetricsProvider implements MetricsProvider {
  readonly #baseUrl: string;
  readonly #queries: PrometheusQueries;
  readonly #endpointLabel: string;
  readonly #windowSeconds: number;
  readonly #baselineSeconds: number;
  readonly #timeoutMs: number;
  readonly #now?: () => Date;

  constructor(options: PrometheusMetricsProviderOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#endpointLabel = options.endpointLabel ?? 'handler';
    if (!LABEL_NAME.test(this.#endpointLabel)) {
      throw new InputError(
        `The Prometheus endpoint label '${
          this.#endpointLabel
        }' is not a label name (letters, digits and _, not starting with a digit)`,
      );
    }
    this.#queries = defaultPrometheusQueries(this.#endpointLabel);
    for (const [name, template] of Object.entries(options.queries ?? {})) {
      if (template === undefined) continue;
      const label = QUERY_LABELS[name as QueryName];
      if (!label) {
        throw new InputError(
          `There is no Prometheus query named '${name}'; known: ${Object.keys(
            QUERY_LABELS,
          ).join(', ')}`,
        );
      }
      for (const [, placeholder] of template.matchAll(PLACEHOLDER)) {
        if (!PLACEHOLDERS.has(placeholder)) {
          throw new InputError(
            `The Prometheus ${label} query uses the unknown placeholder {{${placeholder}}}; known: ${[
              ...PLACEHOLDERS,
            ]
              .map(p => `{{${p}}}`)
              .join(', ')}`,
          );
        }
      }
      this.#queries[name as QueryName] = template;
    }
    this.#windowSeconds = options.windowSeconds ?? 60;
    this.#baselineSeconds = options.baselineSeconds ?? 3600;
    this.#timeoutMs = options.timeoutMs;
    this.#now = options.now;
  }

  async health(target: HealthTarget): Promise<HealthSample> {
    const windowSeconds = target.windowSeconds ?? this.#windowSeconds;
    const at = this.#now?.();
    const time = at ? at.getTime() / 1000 : undefined;
    const [errorRate, p95Seconds, requestsPerSecond] = await Promise.all(
      (['errorRate', 'p95', 'requestRate'] as const).map(name =>
        this.#value(name, target, windowSeconds, time),
      ),
    );
    return {
      errorRate,
      p95Seconds,
      requestsPerSecond: requestsPerSecond ?? 0,
      sampledAt: (at ?? new Date()).toISOString(),
    };
  }

  /**
   * Every figure of the window ending now, all queries at once. Endpoints are the union of
   * the per-endpoint request and error series, by the endpoint label (series without it are
   * left out), sorted by name. The business metric is read only when its query is configured,
   * and only reported when both its value and its baseline are known.
   */
  async analyze(target: AnalysisTarget): Promise<AnalysisSample> {
    const windowSeconds = target.windowSeconds ?? this.#windowSeconds;
    const baselineSeconds = target.baselineSeconds ?? this.#baselineSeconds;
    const at = this.#now?.() ?? new Date();
    const time = at.getTime() / 1000;
    const value = (name: QueryName, window = windowSeconds, t = time) =>
      this.#value(name, target, window, t);
    const hasBusiness = this.#queries.business !== undefined;
    const [
      errorRate,
      p95Seconds,
      requestsPerSecond,
      endpointRequests,
      endpointErrors,
      available,
      cpu,
      memory,
      restartsPerMinute,
      businessValue,
      businessBaseline,
    ] = await Promise.all([
      value('errorRate'),
      value('p95'),
      value('requestRate'),
      this.#vector('endpointRequests', target, windowSeconds, time),
      this.#vector('endpointErrors', target, windowSeconds, time),
      value('up'),
      value('cpu'),
      value('memory'),
      value('restarts'),
      hasBusiness ? value('business') : undefined,
      hasBusiness
        ? value('business', baselineSeconds, time - windowSeconds)
        : undefined,
    ]);
    const endpoints = new Map<string, EndpointSample>();
    const add = (samples: VectorSample[], field: 'requests' | 'errors') => {
      for (const { labels, value: n } of samples) {
        const endpoint = labels[this.#endpointLabel];
        if (!endpoint) continue;
        let entry = endpoints.get(endpoint);
        if (!entry) {
          entry = { endpoint, requests: 0, errors: 0 };
          endpoints.set(endpoint, entry);
        }
        entry[field] += n;
      }
    };
    add(endpointRequests, 'requests');
    add(endpointErrors, 'errors');
    return {
      errorRate,
      p95Seconds,
      requestsPerSecond: requestsPerSecond ?? 0,
      requests:
        requestsPerSecond === undefined
          ? undefined
          : requestsPerSecond * windowSeconds,
      sampledAt: at.toISOString(),
      up: available === undefined ? undefined : available > 0,
      endpoints: [...endpoints.values()].sort(byEndpoint),
      business:
        businessValue === undefined || businessBaseline === undefined
          ? undefined
          : { value: businessValue, baseline: businessBaseline },
      cpu,
      memory,
      restartsPerMinute,
    };
  }

  /**
   * Error rate, p95 latency and request rate at every step of the range ending now (range
   * queries). Each point's rate() window is the configured window (or the target's), at least
   * one step, so no request falls between points. A step where a query has nothing leaves that
   * figure undefined.
   */
  async series(
    target: HealthTarget,
    options: { rangeSeconds: number; stepSeconds: number },
  ): Promise<SeriesPoint[]> {
    const { rangeSeconds, stepSeconds } = options;
    if (!(rangeSeconds > 0) || !(stepSeconds > 0)) {
      throw new InputError(
        'A health series needs a range and a step longer than 0',
      );
    }
    if (rangeSeconds / stepSeconds >= MAX_POINTS) {
      throw new InputError(
        `A health series of ${rangeSeconds} s in steps of ${stepSeconds} s has too many points (at most ${
          MAX_POINTS - 1
        })`,
      );
    }
    const windowSeconds = Math.max(
      target.windowSeconds ?? this.#windowSeconds,
      stepSeconds,
    );
    const endMs = (this.#now?.() ?? new Date()).getTime();
    const stepMs = Math.max(1, Math.round(stepSeconds * 1000));
    const startMs = endMs - Math.round(rangeSeconds * 1000);
    const [errorRate, p95Seconds, requestsPerSecond] = await Promise.all(
      (['errorRate', 'p95', 'requestRate'] as const).map(async name =>
        readMatrix(
          await this.#request(
            'query_range',
            {
              query: renderQuery(this.#queries[name]!, target, windowSeconds),
              start: String(startMs / 1000),
              end: String(endMs / 1000),
              step: String(stepMs / 1000),
            },
            name,
            target,
          ),
        ),
      ),
    );
    const points: SeriesPoint[] = [];
    for (let t = startMs; t <= endMs; t += stepMs) {
      points.push({
        at: new Date(t).toISOString(),
        errorRate: errorRate.get(t),
        p95Seconds: p95Seconds.get(t),
        requestsPerSecond: requestsPerSecond.get(t),
      });
    }
    return points;
  }

  /**
   * Runs one instant query. An empty result (or NaN, e.g. 0/0 without traffic) is undefined;
   * several series (a template that does not aggregate) give the largest value, the cautious
   * reading for health.
   */
  async #value(
    name: QueryName,
    target: HealthTarget,
    windowSeconds: number,
    time?: number,
  ): Promise<number | undefined> {
    return readValue(await this.#instant(name, target, windowSeconds, time));
  }

  /** Runs one instant query and answers each series with its labels (NaN left out). */
  async #vector(
    name: QueryName,
    target: HealthTarget,
    windowSeconds: number,
    time?: number,
  ): Promise<VectorSample[]> {
    return readVector(await this.#instant(name, target, windowSeconds, time));
  }

  #instant(
    name: QueryName,
    target: HealthTarget,
    windowSeconds: number,
    time?: number,
  ): Promise<any> {
    const params: Record<string, string> = {
      query: renderQuery(this.#queries[name]!, target, windowSeconds),
    };
    if (time !== undefined) params.time = String(time);
    return this.#request('query', params, name, target);
  }

  /** Calls the HTTP API and answers its `data`; every failure is an UpstreamError. */
  async #request(
    endpoint: 'query' | 'query_range',
    params: Record<string, string>,
    name: QueryName,
    target: HealthTarget,
  ): Promise<any> {
    const url = `${this.#baseUrl}/api/v1/${endpoint}?${new URLSearchParams(
      params,
    )}`;
    const where = `Prometheus (${this.#baseUrl})`;
    const what = `the ${QUERY_LABELS[name]} ${
      endpoint === 'query_range' ? 'range ' : ''
    }query for ${target.cluster}/${target.namespace}/${target.workload}`;
    let status: number;
    let text: string;
    try {
      const res = await fetch(url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      status = res.status;
      text = await res.text();
    } catch (error) {
      throw new UpstreamError({
        system: 'prometheus',
        statusCode: isUnreachable(error) ? 503 : 502,
        message: `${where} is unreachable: ${describeNetworkError(error)}`,
        cause: error,
      });
    }
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      throw new UpstreamError({
        system: 'prometheus',
        statusCode: 502,
        message: `${where} answered ${what} with HTTP ${status} and a body that is not the Prometheus API's JSON: ${text.slice(
          0,
          200,
        )}`,
      });
    }
    if (status !== 200 || body?.status !== 'success') {
      const timedOut =
        body?.errorType === 'timeout' || body?.errorType === 'canceled';
      throw new UpstreamError({
        system: 'prometheus',
        statusCode: timedOut ? 503 : 502,
        message: `${where} failed ${what}: HTTP ${status} ${
          body?.errorType ?? ''
        }: ${body?.error ?? text.slice(0, 200)}`,
      });
    }
    return body.data;
  }
}

/** Endpoints in code point order (the same in every locale). */
function byEndpoint(a: EndpointSample, b: EndpointSample): number {
  if (a.endpoint === b.endpoint) return 0;
  return a.endpoint < b.endpoint ? -1 : 1;
}

function parseSampleValue(value: unknown): number | undefined {
  if (!Array.isArray(value) || value.length < 2) return undefined;
  const n = Number(value[1]);
  return Number.isNaN(n) ? undefined : n;
}

/** The series of an instant query's vector result (a scalar is one series without labels). */
function readVector(data: any): VectorSample[] {
  if (data?.resultType === 'scalar') {
    const value = parseSampleValue(data.result);
    return value === undefined ? [] : [{ labels: {}, value }];
  }
  if (data?.resultType !== 'vector' || !Array.isArray(data.result)) return [];
  const samples: VectorSample[] = [];
  for (const series of data.result) {
    const value = parseSampleValue(series?.value);
    if (value !== undefined) {
      samples.push({ labels: series?.metric ?? {}, value });
    }
  }
  return samples;
}

/** The value of an instant query's result: vector (the largest) or scalar. */
function readValue(data: any): number | undefined {
  const values = readVector(data).map(s => s.value);
  return values.length > 0 ? Math.max(...values) : undefined;
}

/**
 * A range query's matrix as value by time (ms); several series give the largest value at each
 * time, as {@link readValue} does.
 */
function readMatrix(data: any): Map<number, number> {
  const byTime = new Map<number, number>();
  if (data?.resultType !== 'matrix' || !Array.isArray(data.result)) {
    return byTime;
  }
  for (const series of data.result) {
    for (const point of Array.isArray(series?.values) ? series.values : []) {
      const value = parseSampleValue(point);
      if (value === undefined) continue;
      const t = Math.round(Number(point[0]) * 1000);
      byTime.set(t, Math.max(value, byTime.get(t) ?? -Infinity));
    }
  }
  return byTime;
}
