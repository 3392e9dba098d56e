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

export interface SandboxMetricsProviderOptions {
  /** Base URL of the sandbox's simulated traffic, e.g. `http://127.0.0.1:7014`. */
  baseUrl: string;
  /** Window, unless a target asks for its own (default 60). */
  windowSeconds?: number;
  /** How long one call may take before it fails with 503. */
  timeoutMs: number;
}

/**
 * Health from the sandbox's simulated traffic (`GET /health`). A workload the sandbox does not
 * know has no data (like an empty Prometheus result), not an error.
 */
export class SandboxMetricsProvider implements MetricsProvider {
  readonly #baseUrl: string;
  readonly #windowSeconds: number;
  readonly #timeoutMs: number;

  constructor(options: SandboxMetricsProviderOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#windowSeconds = options.windowSeconds ?? 60;
    this.#timeoutMs = options.timeoutMs;
  }

  async health(target: HealthTarget): Promise<HealthSample> {
    const query = new URLSearchParams({
      cluster: target.cluster,
      namespace: target.namespace,
      workload: target.workload,
      windowSeconds: String(target.windowSeconds ?? this.#windowSeconds),
      ...(target.version ? { version: target.version } : {}),
    });
    const where = `Sandbox traffic (${this.#baseUrl})`;
    let status: number;
    let text: string;
    try {
      const res = await fetch(`${this.#baseUrl}/health?${query}`, {
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
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
    if (status === 404) {
      return { requestsPerSecond: 0, sampledAt: new Date().toISOString() };
    }
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
        message: `${where} failed to report the health of ${target.cluster}/${
          target.namespace
        }/${target.workload}: HTTP ${status} ${
          body?.message ?? text.slice(0, 200)
        }`,
      });
    }
    return {
      errorRate:
        typeof body.errorRate === 'number' ? body.errorRate : undefined,
      p95Seconds:
        typeof body.p95Seconds === 'number' ? body.p95Seconds : undefined,
      requestsPerSecond: Number(body.requestsPerSecond) || 0,
      sampledAt:
        typeof body.sampledAt === 'string'
          ? body.sampledAt
          : new Date().toISOString(),
    };
  }
}
