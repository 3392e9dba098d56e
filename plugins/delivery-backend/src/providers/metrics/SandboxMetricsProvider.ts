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

export interface SandboxMetricsProviderOptions {
  /** Base URL of the sandbox's simulated traffic, e.g. `http://127.0.0.1:7014`. */
  baseUrl: string;
  /** Window, unless a target asks for its own (default 60). */
  windowSeconds?: number;
  /** Baseline of the business metric, unless a target asks for its own (default 3600). */
  baselineSeconds?: number;
  /** How long one call may take before it fails with 503. */
  timeoutMs: number;
}

const number = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined;

/**
 * Health, analysis figures and charts from the sandbox's simulated traffic (`GET /health`,
 * `/analysis`, `/series`). A workload the sandbox does not know has no data (like an empty
 * Prometheus result), not an error.
 */
export class SandboxMetricsProvider implements MetricsProvider {
  readonly #baseUrl: string;
  readonly #windowSeconds: number;
  readonly #baselineSeconds: number;
  readonly #timeoutMs: number;

  constructor(options: SandboxMetricsProviderOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#windowSeconds = options.windowSeconds ?? 60;
    this.#baselineSeconds = options.baselineSeconds ?? 3600;
    this.#timeoutMs = options.timeoutMs;
  }

  /**
   * GETs `path` with `query`: the JSON object answered, or undefined for a 404 (an unknown
   * workload); an UpstreamError when the sandbox is unreachable (503) or fails (502).
   */
  async #get(
    path: string,
    query: Record<string, string>,
    what: string,
    target: HealthTarget,
  ): Promise<any | undefined> {
    const where = `Sandbox traffic (${this.#baseUrl})`;
    let status: number;
    let text: string;
    try {
      const res = await fetch(
        `${this.#baseUrl}${path}?${new URLSearchParams(query)}`,
        { signal: AbortSignal.timeout(this.#timeoutMs) },
      );
      status = res.status;
      text = await res.text();
    } catch (error) {
      throw new UpstreamError({
        system: 'sandbox-traffic',
        statusCode: isUnreachable(error) ? 503 : 502,
        message: `${where} is unreachable: ${describeNetworkError(error)}`,
        cause: error,
      });
    }
    if (status === 404) return undefined;
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (status !== 200 || !body || typeof body !== 'object') {
      throw new UpstreamError({
        system: 'sandbox-traffic',
        statusCode: 502,
        message: `${where} failed to report ${what} of ${target.cluster}/${
          target.namespace
        }/${target.workload}: HTTP ${status} ${
          body?.message ?? text.slice(0, 200)
        }`,
      });
    }
    return body;
  }

  #query(target: HealthTarget): Record<string, string> {
    return {
      cluster: target.cluster,
      namespace: target.namespace,
      workload: target.workload,
      ...(target.version ? { version: target.version } : {}),
    };
  }

  #health(body: any): HealthSample {
    return {
      errorRate: number(body.errorRate),
      p95Seconds: number(body.p95Seconds),
      requestsPerSecond: Number(body.requestsPerSecond) || 0,
      sampledAt:
        typeof body.sampledAt === 'string'
          ? body.sampledAt
          : new Date().toISOString(),
    };
  }

  async health(target: HealthTarget): Promise<HealthSample> {
    const body = await this.#get(
      '/health',
      {
        ...this.#query(target),
        windowSeconds: String(target.windowSeconds ?? this.#windowSeconds),
      },
      'the health',
      target,
    );
    if (!body) {
      return { requestsPerSecond: 0, sampledAt: new Date().toISOString() };
    }
    return this.#health(body);
  }

  async analyze(target: AnalysisTarget): Promise<AnalysisSample> {
    const body = await this.#get(
      '/analysis',
      {
        ...this.#query(target),
        windowSeconds: String(target.windowSeconds ?? this.#windowSeconds),
        baselineSeconds: String(
          target.baselineSeconds ?? this.#baselineSeconds,
        ),
      },
      'the analysis',
      target,
    );
    if (!body) {
      return {
        requestsPerSecond: 0,
        sampledAt: new Date().toISOString(),
        endpoints: [],
      };
    }
    const endpoints: EndpointSample[] = Array.isArray(body.endpoints)
      ? body.endpoints
          .filter((e: any) => typeof e?.endpoint === 'string')
          .map((e: any) => ({
            endpoint: e.endpoint,
            requests: Number(e.requests) || 0,
            errors: Number(e.errors) || 0,
          }))
      : [];
    const business =
      number(body.business?.value) !== undefined &&
      number(body.business?.baseline) !== undefined
        ? { value: body.business.value, baseline: body.business.baseline }
        : undefined;
    return {
      ...this.#health(body),
      requests: number(body.requests),
      up: typeof body.up === 'boolean' ? body.up : undefined,
      endpoints,
      business,
      cpu: number(body.cpu),
      memory: number(body.memory),
      restartsPerMinute: number(body.restartsPerMinute),
    };
  }

  async series(
    target: HealthTarget,
    options: { rangeSeconds: number; stepSeconds: number },
  ): Promise<SeriesPoint[]> {
    const body = await this.#get(
      '/series',
      {
        ...this.#query(target),
        rangeSeconds: String(options.rangeSeconds),
        stepSeconds: String(options.stepSeconds),
      },
      'the series',
      target,
    );
    if (!body || !Array.isArray(body.points)) return [];
    return body.points
      .filter((p: any) => typeof p?.at === 'string')
      .map((p: any) => ({
        at: p.at,
        errorRate: number(p.errorRate),
        p95Seconds: number(p.p95Seconds),
        requestsPerSecond: number(p.requestsPerSecond),
      }));
  }
}
