/*
 * HTTP face of the simulated traffic: `GET /metrics` for Prometheus to scrape, `GET /health`
 * for a quick windowed summary of one workload, `GET /analysis` for every figure of a rollback
 * decision, `GET /series` for charts, and `/_sandbox/faults` to inject faults (tests, demo).
 */
import http from 'node:http';
import { listen } from '../http';
import { parseFault } from './faults';
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
const DEFAULT_BASELINE_SECONDS = 3600;
const DEFAULT_RANGE_SECONDS = 3600;
const DEFAULT_STEP_SECONDS = 60;
/** Most points a `/series` answers, as Prometheus' range queries. */
const MAX_POINTS = 11_000;
const MAX_BODY_BYTES = 64 * 1024;

class BadRequest extends Error {}

/** A positive number query parameter (its default when absent); throws a 400 naming it. */
function positive(q: URLSearchParams, name: string, fallback: number): number {
  const raw = q.get(name);
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) {
    throw new BadRequest(`${name} must be a positive number, got '${raw}'`);
  }
  return n;
}

/** The workload a query names; throws a 400 naming the missing parameters. */
function workloadOf(source: Record<string, unknown>) {
  const missing = ['cluster', 'namespace', 'workload'].filter(
    k => typeof source[k] !== 'string' || !source[k],
  );
  if (missing.length > 0) {
    throw new BadRequest(`Missing query parameter(s): ${missing.join(', ')}`);
  }
  if (
    source.version !== undefined &&
    source.version !== null &&
    source.version !== '' &&
    typeof source.version !== 'string'
  ) {
    throw new BadRequest('version must be a string');
  }
  return {
    cluster: source.cluster as string,
    namespace: source.namespace as string,
    workload: source.workload as string,
    version: (source.version as string | undefined) || undefined,
  };
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BadRequest('The body is too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const text = await readBody(req);
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequest('The body is not JSON');
  }
}

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

  const notFound = (q: {
    cluster: string;
    namespace: string;
    workload: string;
  }) => `No deployment ${q.namespace}/${q.workload} in cluster '${q.cluster}'`;

  const faults = async (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
  ) => {
    if (req.method === 'GET') {
      sendJson(res, 200, { faults: simulator.injectedFaults() });
      return;
    }
    if (req.method !== 'POST' && req.method !== 'DELETE') {
      res.setHeader('allow', 'GET, POST, DELETE');
      sendJson(res, 405, { message: `${req.method} is not allowed` });
      return;
    }
    const body = await readJson(req);
    if (
      body !== undefined &&
      (typeof body !== 'object' || body === null || Array.isArray(body))
    ) {
      throw new BadRequest('The body must be a JSON object');
    }
    const fields: Record<string, unknown> =
      (body as Record<string, unknown> | undefined) ??
      (req.method === 'DELETE' ? Object.fromEntries(url.searchParams) : {});
    const target = workloadOf(fields);
    if (req.method === 'POST' && !('fault' in fields)) {
      throw new BadRequest(
        'fault is missing: a fault such as {"kind":"slow"}, or null to clear',
      );
    }
    if (req.method === 'DELETE' || fields.fault === null) {
      const cleared = simulator.clearFault(target);
      if (!cleared) {
        sendJson(res, 404, { message: notFound(target) });
        return;
      }
      sendJson(res, 200, { ...target, version: cleared.version, fault: null });
      return;
    }
    const parsed = parseFault(fields.fault);
    if ('error' in parsed) throw new BadRequest(parsed.error);
    const set = simulator.setFault({ ...target, fault: parsed.fault });
    if (!set) {
      sendJson(res, 404, { message: notFound(target) });
      return;
    }
    sendJson(res, 200, set);
  };

  const handle = async (
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ) => {
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    if (url.pathname === '/_sandbox/faults') {
      await faults(req, res, url);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      sendJson(res, 405, { message: `${req.method} is not allowed` });
      return;
    }
    const q = url.searchParams;
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
      const target = workloadOf(Object.fromEntries(q));
      const windowSeconds = positive(
        q,
        'windowSeconds',
        DEFAULT_WINDOW_SECONDS,
      );
      const result = health({ ...target, windowSeconds });
      if (!result) {
        sendJson(res, 404, { message: notFound(target) });
        return;
      }
      sendJson(res, 200, result);
      return;
    }
    if (url.pathname === '/analysis') {
      const target = workloadOf(Object.fromEntries(q));
      const windowSeconds = positive(
        q,
        'windowSeconds',
        DEFAULT_WINDOW_SECONDS,
      );
      const baselineSeconds = positive(
        q,
        'baselineSeconds',
        DEFAULT_BASELINE_SECONDS,
      );
      const result = simulator.analysis({
        ...target,
        windowSeconds,
        baselineSeconds,
      });
      if (!result) {
        sendJson(res, 404, { message: notFound(target) });
        return;
      }
      sendJson(res, 200, result);
      return;
    }
    if (url.pathname === '/series') {
      const target = workloadOf(Object.fromEntries(q));
      const rangeSeconds = positive(q, 'rangeSeconds', DEFAULT_RANGE_SECONDS);
      const stepSeconds = positive(q, 'stepSeconds', DEFAULT_STEP_SECONDS);
      if (rangeSeconds / stepSeconds > MAX_POINTS) {
        throw new BadRequest(
          `stepSeconds is too small for rangeSeconds: at most ${MAX_POINTS} points`,
        );
      }
      const points = simulator.series({ ...target, rangeSeconds, stepSeconds });
      if (!points) {
        sendJson(res, 404, { message: notFound(target) });
        return;
      }
      sendJson(res, 200, {
        cluster: target.cluster,
        namespace: target.namespace,
        workload: target.workload,
        rangeSeconds,
        stepSeconds,
        retentionSeconds: simulator.retentionSeconds,
        points,
      });
      return;
    }
    if (url.pathname === '/') {
      sendJson(res, 200, {
        message: 'Sandbox simulated traffic',
        endpoints: [
          'GET /metrics',
          'GET /health?cluster=&namespace=&workload=&windowSeconds=&version=',
          'GET /analysis?cluster=&namespace=&workload=&windowSeconds=&baselineSeconds=&version=',
          'GET /series?cluster=&namespace=&workload=&rangeSeconds=&stepSeconds=&version=',
          'GET|POST|DELETE /_sandbox/faults',
        ],
      });
      return;
    }
    sendJson(res, 404, { message: `Not found: ${url.pathname}` });
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch(error => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof BadRequest) {
        sendJson(res, 400, { message: error.message });
        return;
      }
      sendJson(res, 500, { message: String(error?.message ?? error) });
    });
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
