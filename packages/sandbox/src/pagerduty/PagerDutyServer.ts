/*
 * PagerDuty's Events API v2 over node:http: `POST /v2/enqueue` (trigger, acknowledge, resolve
 * alerts, de-duplicated by dedup key) and `POST /v2/change/enqueue` (change events), with
 * PagerDuty's answers: 202 `{status: "success", message: "Event processed", dedup_key}`, 400
 * `{status: "invalid event", message: "Event object is invalid", errors: [...]}` naming every
 * problem (an unknown routing key is `Invalid routing key`), 400 `Unrecognized object` for a
 * body that is not a JSON object. The routing key in the body is the only credential.
 *
 * Sandbox extension, not part of PagerDuty's API: `GET /_sandbox/incidents` and
 * `GET /_sandbox/events` show the state as JSON, for people and for debugging.
 */
import http from 'node:http';
import {
  HeldResponse,
  RequestMatcher,
  ResponseHolds,
  listen,
  readBody,
} from '../http';
import {
  PagerDutyReceipt,
  PagerDutyState,
  SANDBOX_PAGERDUTY_ROUTING_KEY,
} from './PagerDutyState';

export interface PagerDutyServerOptions {
  /** Port to listen on; 0 or undefined picks a free one. */
  port?: number;
  /** Interface to listen on; defaults to 127.0.0.1. */
  host?: string;
  /**
   * Routing keys (integration keys) events are accepted for; others are refused with
   * `Invalid routing key`. Defaults to {@link SANDBOX_PAGERDUTY_ROUTING_KEY}.
   */
  routingKeys?: string[];
  /** Clock in milliseconds since the epoch; defaults to `Date.now`. */
  now?: () => number;
}

/** A request whose response is held back (see {@link PagerDutyServer.holdResponses}). */
export type HeldPagerDutyResponse = HeldResponse;

export interface PagerDutyServer {
  /** Base URL, e.g. `http://127.0.0.1:7016` (no trailing slash); events go to `${url}/v2/enqueue`. */
  url: string;
  state: PagerDutyState;
  /**
   * For tests of clients that die or stall mid-call: the next request matching `match` is
   * carried out at once (the event is applied), but its response is sent only on `release()`.
   * Never released, the client sees a PagerDuty that does not answer.
   */
  holdResponses(match: RequestMatcher): HeldPagerDutyResponse;
  /**
   * For tests of clients that meet a failing PagerDuty: requests matching `match` are answered
   * with `status` (default 500; 429 for a throttled one) and change nothing, until `stop()`.
   */
  failRequests(
    match: RequestMatcher,
    options?: { status?: number },
  ): { stop(): void; count(): number };
  close(): Promise<void>;
}

/** PagerDuty limits an event to 512 KB. */
const MAX_EVENT_BYTES = 512 * 1024;

const ENQUEUE_PATHS: Record<string, 'alert' | 'change'> = {
  '/v2/enqueue': 'alert',
  '/v2/change/enqueue': 'change',
};

const SANDBOX_NOTE =
  'Sandbox only: PagerDuty has no such endpoint. The incidents and events the sandbox PagerDuty received.';

interface Reply {
  status: number;
  json: unknown;
  headers?: Record<string, string>;
}

function invalidEvent(errors: string[]): Reply {
  return {
    status: 400,
    json: {
      status: 'invalid event',
      message: 'Event object is invalid',
      errors,
    },
  };
}

function unrecognized(error: string): Reply {
  return {
    status: 400,
    json: {
      status: 'Unrecognized object',
      message: 'Event object format is unrecognized',
      errors: [error],
    },
  };
}

function accepted(receipt: PagerDutyReceipt & { status: 202 }): Reply {
  if (receipt.outcome === 'change') {
    return {
      status: 202,
      json: { status: 'success', message: 'Change event processed' },
    };
  }
  return {
    status: 202,
    json: {
      status: 'success',
      message: 'Event processed',
      dedup_key: receipt.dedupKey,
    },
  };
}

async function enqueue(
  state: PagerDutyState,
  kind: 'alert' | 'change',
  req: http.IncomingMessage,
): Promise<Reply> {
  // Bodies up to a few times the limit are read and refused with PagerDuty's 400; beyond
  // that the connection is dropped rather than read.
  const bytes = await readBody(
    req,
    4 * MAX_EVENT_BYTES,
    () => new Error('Request body too large'),
  );
  if (bytes.length > MAX_EVENT_BYTES) {
    return invalidEvent([
      `Event is larger than the limit of ${MAX_EVENT_BYTES / 1024} KB`,
    ]);
  }
  const raw = bytes.toString('utf8');
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return unrecognized('JSON parse error');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return unrecognized('The event is not a JSON object');
  }
  const receipt = state.receive(kind, body as Record<string, unknown>);
  return receipt.status === 202
    ? accepted(receipt)
    : invalidEvent(receipt.errors);
}

function route(
  state: PagerDutyState,
  method: string,
  path: string,
  req: http.IncomingMessage,
): Promise<Reply> | Reply {
  const kind = ENQUEUE_PATHS[path];
  if (kind) {
    if (method !== 'POST') {
      return {
        status: 405,
        json: { status: 'error', message: `${method} is not allowed here` },
        headers: { allow: 'POST' },
      };
    }
    return enqueue(state, kind, req);
  }
  if (method === 'GET' && path === '/_sandbox/incidents') {
    return {
      status: 200,
      json: { sandbox: SANDBOX_NOTE, incidents: state.incidents() },
    };
  }
  if (method === 'GET' && path === '/_sandbox/events') {
    return {
      status: 200,
      json: { sandbox: SANDBOX_NOTE, events: state.events() },
    };
  }
  return { status: 404, json: { status: 'error', message: 'Not Found' } };
}

/** Starts the Events API v2; resolves once it listens. */
export async function startPagerDutyServer(
  options: PagerDutyServerOptions = {},
): Promise<PagerDutyServer> {
  const state = new PagerDutyState({
    routingKeys: options.routingKeys ?? [SANDBOX_PAGERDUTY_ROUTING_KEY],
    now: options.now ?? Date.now,
  });
  const holds = new ResponseHolds();
  const failures: Array<{
    match: RequestMatcher;
    status: number;
    count: number;
  }> = [];

  const server = http.createServer((req, res) => {
    const method = (req.method ?? 'GET').toUpperCase();
    const path = new URL(req.url ?? '/', 'http://sandbox.invalid').pathname;
    const write = (reply: Reply) => {
      const text = JSON.stringify(reply.json);
      res.writeHead(reply.status, {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(text)),
        ...reply.headers,
      });
      res.end(text);
    };
    const failure = failures.find(f => f.match({ method, path }));
    if (failure) {
      failure.count++;
      req.resume();
      write({
        status: failure.status,
        json: {
          status: 'error',
          message: 'The sandbox was told to fail this request',
        },
      });
      return;
    }
    // A held response is sent only when the test releases it (see holdResponses).
    holds.apply(req, res);
    Promise.resolve()
      .then(() => route(state, method, path, req))
      .then(write, (error: unknown) =>
        write({
          status: 500,
          json: {
            status: 'error',
            message: error instanceof Error ? error.message : String(error),
          },
        }),
      );
  });

  const { url, close } = await listen(
    server,
    options.port,
    options.host ?? '127.0.0.1',
  );
  return {
    url,
    state,
    holdResponses: match => holds.add(match),
    failRequests(match, failOptions) {
      const failure = { match, status: failOptions?.status ?? 500, count: 0 };
      failures.push(failure);
      return {
        stop: () => {
          const index = failures.indexOf(failure);
          if (index >= 0) failures.splice(index, 1);
        },
        count: () => failure.count,
      };
    },
    close,
  };
}
