/*
 * HTTP face of the simulated traffic: `GET /metrics` for Prometheus to scrape and
 * `GET /health` for a quick windowed summary of one workload.
 */
import http from 'node:http';
import { listen } from '../http';
import {
  TrafficSimulator,
  TrafficSimulatorOptions,
  WorkloadHealth,
} from './TrafficSimulator';

export interface TrafficServerOptions extends TrafficSimulatorOptions {
  /** Port to listen on; 0 or undefined picks a free one. */
  port?: number;
  /** Interface to listen on; defaults to 127.0.0.1. */
  host?: string;
  /** When true, no timer ticks: call `tick()` yourself (deterministic tests). */
  paused?: boolean;
}

export interface TrafficServer {
  /** Base URL, e.g. `http://127.0.0.1:7014` (no trailing slash). */
  url: string;
  simulator: TrafficSimulator;
  /** Simulates one tick now. */
  tick(): void;
  /** Same as `GET /health`; undefined for an unknown workload. */
  health(query: {
    cluster: string;
    namespace: string;
    workload: string;
    windowSeconds?: number;
    version?: string;
  }): WorkloadHealth | undefined;
  close(): Promise<void>;
}

const DEFAULT_WINDOW_SECONDS = 60;

function sendJson(res: http.ServerResponse, status: number, body: unknown) {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

/** Starts the simulated traffic and its HTTP server; resolves once it listens. */
export async function startTrafficServer(
  options: TrafficServerOptions,
): Promise<TrafficServer> {
  const simulator = new TrafficSimulator(options);
  const health: TrafficServer['health'] = query =>
    simulator.health({
      ...query,
      windowSeconds: query.windowSeconds ?? DEFAULT_WINDOW_SECONDS,
    });

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      sendJson(res, 405, { message: `${req.method} is not allowed` });
      return;
    }
    if (url.pathname === '/metrics') {
      const text = simulator.exposition();
      res.writeHead(200, {
        'content-type': 'text/plain; version=0.0.4; charset=utf-8',
        'content-length': Buffer.byteLength(text),
      });
      res.end(req.method === 'HEAD' ? undefined : text);
      return;
    }
    if (url.pathname === '/health') {
      const q = url.searchParams;
      const missing = ['cluster', 'namespace', 'workload'].filter(
        k => !q.get(k),
      );
      if (missing.length > 0) {
        sendJson(res, 400, {
          message: `Missing query parameter(s): ${missing.join(', ')}`,
        });
        return;
      }
      const rawWindow = q.get('windowSeconds');
      const windowSeconds =
        rawWindow === null || rawWindow === ''
          ? DEFAULT_WINDOW_SECONDS
          : Number(rawWindow);
      if (!Number.isFinite(windowSeconds) || windowSeconds <= 0) {
        sendJson(res, 400, {
          message: `windowSeconds must be a positive number, got '${rawWindow}'`,
        });
        return;
      }
      const result = health({
        cluster: q.get('cluster')!,
        namespace: q.get('namespace')!,
        workload: q.get('workload')!,
        windowSeconds,
        version: q.get('version') || undefined,
      });
      if (!result) {
        sendJson(res, 404, {
          message: `No deployment ${q.get('namespace')}/${q.get(
            'workload',
          )} in cluster '${q.get('cluster')}'`,
        });
        return;
      }
      sendJson(res, 200, result);
      return;
    }
    if (url.pathname === '/') {
      sendJson(res, 200, {
        message: 'Sandbox simulated traffic',
        endpoints: [
          'GET /metrics',
          'GET /health?cluster=&namespace=&workload=&windowSeconds=&version=',
        ],
      });
      return;
    }
    sendJson(res, 404, { message: `Not found: ${url.pathname}` });
  });

  const host = options.host ?? '127.0.0.1';
  const listening = await listen(server, options.port, host);

  let timer: NodeJS.Timeout | undefined;
  if (!options.paused) {
    simulator.tick();
    timer = setInterval(() => simulator.tick(), simulator.tickMs);
    timer.unref();
  }

  return {
    url: listening.url,
    simulator,
    tick: () => simulator.tick(),
    health,
    close: () => {
      if (timer) clearInterval(timer);
      return listening.close();
    },
  };
}
