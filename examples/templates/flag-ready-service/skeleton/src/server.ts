import http from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import type { EvaluationContext } from '@openfeature/server-sdk';
import { FIRST_FLAG, SERVICE_NAME } from './config';
import { Metrics } from './metrics';

/** What the server needs of OpenFeature: a client's boolean evaluation (never throws). */
export interface FlagClient {
  getBooleanValue(
    flagKey: string,
    defaultValue: boolean,
    context?: EvaluationContext,
  ): Promise<boolean>;
}

/** An answer: status, JSON or text body. */
interface Reply {
  status: number;
  body: string;
  contentType: string;
  headers?: Record<string, string>;
}

/** Answers a request to one route. */
type Route = (req: http.IncomingMessage) => Promise<Reply>;

function json(status: number, value: unknown): Reply {
  return {
    status,
    body: `${JSON.stringify(value)}\n`,
    contentType: 'application/json; charset=utf-8',
  };
}

/** Routes that are not traffic: probes and scrapes do not count in the HTTP metrics. */
const UNCOUNTED = new Set(['/healthz', '/metrics']);

/**
 * The service's HTTP server (node:http, no framework):
 *
 * - `GET /hello`: greets, differently when the first feature flag is on for the caller (the
 *   `x-user-id` header is the targeting key, so a percentage rollout keeps each user on one
 *   side);
 * - `GET /healthz`: `{"status":"ok"}`, or 503 once shutting down (readiness and liveness);
 * - `GET /metrics`: Prometheus metrics.
 */
export class HelloServer {
  readonly server: http.Server;
  readonly #flags: FlagClient;
  readonly #metrics: Metrics;
  readonly #routes: Map<string, Route>;
  #shuttingDown = false;

  constructor(options: { flags: FlagClient; metrics: Metrics }) {
    this.#flags = options.flags;
    this.#metrics = options.metrics;
    this.#routes = new Map<string, Route>([
      ['/hello', req => this.#hello(req)],
      [
        '/healthz',
        async () =>
          this.#shuttingDown
            ? json(503, { status: 'shutting down' })
            : json(200, { status: 'ok' }),
      ],
      [
        '/metrics',
        async () => {
          const { contentType, body } = await this.#metrics.scrape();
          return { status: 200, body, contentType };
        },
      ],
    ]);
    this.server = http.createServer((req, res) => {
      void this.#handle(req, res);
    });
  }

  /** Listens on `port` (0: any free one) and resolves with the port. */
  listen(port: number, host?: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const address = this.server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  /**
   * Stops gracefully: `/healthz` answers 503 at once (Kubernetes takes the pod out of the
   * Service), new connections are still served for `drainDelayMs` (until every node has heard),
   * then the server stops accepting and waits for open requests, at most `timeoutMs`.
   */
  async shutdown(
    options: { drainDelayMs?: number; timeoutMs?: number } = {},
  ): Promise<void> {
    this.#shuttingDown = true;
    if (options.drainDelayMs) await delay(options.drainDelayMs);
    if (!this.server.listening) return;
    const closed = new Promise<void>(resolve =>
      this.server.close(() => resolve()),
    );
    this.server.closeIdleConnections();
    const timer = setTimeout(
      () => this.server.closeAllConnections(),
      options.timeoutMs ?? 10_000,
    );
    await closed;
    clearTimeout(timer);
  }

  async #hello(req: http.IncomingMessage): Promise<Reply> {
    const user = req.headers['x-user-id'];
    const targetingKey = Array.isArray(user) ? user[0] : user;
    const context: EvaluationContext = targetingKey ? { targetingKey } : {};
    // Evaluated in-process: no network call per request. Off (false) until the flag is known.
    const on = await this.#flags.getBooleanValue(FIRST_FLAG, false, context);
    return json(200, {
      service: SERVICE_NAME,
      message: on
        ? `Hello from ${SERVICE_NAME}, with ${FIRST_FLAG} on`
        : `Hello from ${SERVICE_NAME}`,
      flags: { [FIRST_FLAG]: on },
    });
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const started = process.hrtime.bigint();
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = this.#routes.get(path);
    let reply: Reply;
    try {
      if (!route) {
        reply = json(404, { error: `No route ${path}` });
      } else if (req.method !== 'GET' && req.method !== 'HEAD') {
        reply = json(405, { error: `${req.method} is not allowed here` });
        reply.headers = { allow: 'GET, HEAD' };
      } else {
        reply = await route(req);
      }
    } catch (error) {
      console.error(
        JSON.stringify({
          level: 'error',
          message: `${req.method} ${path} failed`,
          error: String(error),
        }),
      );
      reply = json(500, { error: 'Internal error' });
    }
    if (this.#shuttingDown) res.setHeader('connection', 'close');
    res.writeHead(reply.status, {
      'content-type': reply.contentType,
      ...reply.headers,
    });
    res.end(req.method === 'HEAD' ? undefined : reply.body);
    if (!UNCOUNTED.has(path)) {
      this.#metrics.observe({
        method: req.method,
        handler: route ? path : 'unmatched',
        code: reply.status,
        seconds: Number(process.hrtime.bigint() - started) / 1e9,
      });
    }
  }
}
