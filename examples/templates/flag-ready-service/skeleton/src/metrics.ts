import {
  Counter,
  Histogram,
  Registry,
  collectDefaultMetrics,
} from 'prom-client';

/**
 * The labels of the HTTP metrics. They are the ones the delivery portal's Prometheus queries
 * read by default: `code` for the error rate (`code=~"5.."`) and `handler` (the route, never
 * the raw path) for the errors per endpoint that decide whether a flag is turned off.
 */
type HttpLabels = 'method' | 'handler' | 'code';

const METHODS = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
]);

/** The service's Prometheus metrics: HTTP traffic and Node's process metrics. */
export class Metrics {
  readonly registry = new Registry();
  readonly #requests: Counter<HttpLabels>;
  readonly #duration: Histogram<HttpLabels>;

  constructor(options: { processMetrics?: boolean } = {}) {
    this.#requests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by method, route and status code',
      labelNames: ['method', 'handler', 'code'],
      registers: [this.registry],
    });
    this.#duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by method, route and status code',
      labelNames: ['method', 'handler', 'code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    if (options.processMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry });
    }
  }

  /** Records one answered request; `handler` is the route (e.g. `/hello`), not the URL. */
  observe(request: {
    method: string | undefined;
    handler: string;
    code: number;
    seconds: number;
  }): void {
    const method =
      request.method && METHODS.has(request.method) ? request.method : 'other';
    const labels = { method, handler: request.handler, code: request.code };
    this.#requests.inc(labels);
    this.#duration.observe(labels, request.seconds);
  }

  /** The text exposition format and its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return {
      contentType: this.registry.contentType,
      body: await this.registry.metrics(),
    };
  }
}
