import { InputError } from '@backstage/errors';
import {
  UpstreamError,
  describeNetworkError,
  isUnreachable,
} from '../UpstreamError';
import {
  HealthSample,
  HealthTarget,
  MetricsProvider,
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
}

const SELECTOR =
  'cluster="{{cluster}}",namespace="{{namespace}}",deployment="{{workload}}"';

/**
 * Queries for the metric names the sandbox's simulated traffic exposes (and many HTTP
 * instrumentation libraries use): `http_requests_total{code}` and
 * `http_request_duration_seconds_bucket{le}`, labelled with cluster, namespace and deployment.
 * `or vector(0)` keeps the error rate at 0 (not empty) when no 5xx series exists yet.
 */
export const DEFAULT_PROMETHEUS_QUERIES: PrometheusQueries = {
  errorRate: `(sum(rate(http_requests_total{${SELECTOR},code=~"5.."}[{{window}}])) or vector(0)) / sum(rate(http_requests_total{${SELECTOR}}[{{window}}]))`,
  p95: `histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{${SELECTOR}}[{{window}}])))`,
  requestRate: `sum(rate(http_requests_total{${SELECTOR}}[{{window}}]))`,
};

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
  /** Window of the rate() ranges, unless a target asks for its own (default 60). */
  windowSeconds?: number;
  /** How long one query may take before it fails with 503. */
  timeoutMs: number;
}

type QueryName = keyof PrometheusQueries;

const QUERY_LABELS: Record<QueryName, string> = {
  errorRate: 'error-rate',
  p95: 'p95 latency',
  requestRate: 'request-rate',
};

/** Health from Prometheus through its HTTP API (`GET /api/v1/query`). */
export class PrometheusMetricsProvider implements MetricsProvider {
  readonly #baseUrl: string;
  readonly #queries: PrometheusQueries;
  readonly #windowSeconds: number;
  readonly #timeoutMs: number;

  constructor(options: PrometheusMetricsProviderOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#queries = { ...DEFAULT_PROMETHEUS_QUERIES };
    for (const [name, template] of Object.entries(options.queries ?? {})) {
      if (template === undefined) continue;
      for (const [, placeholder] of template.matchAll(PLACEHOLDER)) {
        if (!PLACEHOLDERS.has(placeholder)) {
          throw new InputError(
            `The Prometheus ${
              QUERY_LABELS[name as QueryName]
            } query uses the unknown placeholder {{${placeholder}}}; known: ${[
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
    this.#timeoutMs = options.timeoutMs;
  }

  async health(target: HealthTarget): Promise<HealthSample> {
    const windowSeconds = target.windowSeconds ?? this.#windowSeconds;
    const [errorRate, p95Seconds, requestsPerSecond] = await Promise.all(
      (['errorRate', 'p95', 'requestRate'] as const).map(name =>
        this.#query(name, target, windowSeconds),
      ),
    );
    return {
      errorRate,
      p95Seconds,
      requestsPerSecond: requestsPerSecond ?? 0,
      sampledAt: new Date().toISOString(),
    };
  }

  /**
   * Runs one instant query. An empty result (or NaN, e.g. 0/0 without traffic) is undefined;
   * several series (a template that does not aggregate) give the largest value, the cautious
   * reading for health.
   */
  async #query(
    name: QueryName,
    target: HealthTarget,
    windowSeconds: number,
  ): Promise<number | undefined> {
    const query = renderQuery(this.#queries[name], target, windowSeconds);
    const url = `${this.#baseUrl}/api/v1/query?${new URLSearchParams({
      query,
    })}`;
    const where = `Prometheus (${this.#baseUrl})`;
    const what = `the ${QUERY_LABELS[name]} query for ${target.cluster}/${target.namespace}/${target.workload}`;
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
    return readValue(body.data);
  }
}

function parseSampleValue(value: unknown): number | undefined {
  if (!Array.isArray(value) || value.length < 2) return undefined;
  const n = Number(value[1]);
  return Number.isNaN(n) ? undefined : n;
}

/** The value of an instant query's result: vector or scalar. */
function readValue(data: any): number | undefined {
  if (data?.resultType === 'scalar') return parseSampleValue(data.result);
  if (data?.resultType !== 'vector' || !Array.isArray(data.result)) {
    return undefined;
  }
  const values = data.result
    .map((series: any) => parseSampleValue(series?.value))
    .filter((v: number | undefined): v is number => v !== undefined);
  return values.length > 0 ? Math.max(...values) : undefined;
}
