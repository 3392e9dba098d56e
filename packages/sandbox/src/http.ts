/*
 * HTTP plumbing shared by the sandbox servers: listening on a port and reading request bodies.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The host to put in URLs for a listen address (wildcards become loopback). */
export function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Starts `server` on `port` (0 picks a free one) and `host`; resolves with its base URL (no
 * trailing slash) and a `close` that also ends open connections (watches, keep-alive).
 */
export async function listen(
  server: Server,
  port: number | undefined,
  host: string,
): Promise<{ url: string; close(): Promise<void> }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${urlHost(host)}:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close(err => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** Reads a request body; past `maxBytes` it rejects with `tooLarge()` and drops the request. */
export function readBody(
  req: IncomingMessage,
  maxBytes: number,
  tooLarge: () => Error,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        reject(tooLarge());
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** A request as response holds and injected failures match it. */
export type RequestMatcher = (request: {
  method: string;
  path: string;
}) => boolean;

/** A request whose response is held back (see {@link ResponseHolds}). */
export interface HeldResponse {
  /** Resolves when the first matching request has been carried out and its response is held. */
  arrived: Promise<void>;
  /** Sends the held response (to a client that may be gone by then). */
  release(): void;
}

/**
 * For tests of clients that die or stall mid-call: the next request matching a hold is carried
 * out at once, but its response is sent only when the test releases it.
 */
export class ResponseHolds {
  readonly #holds: Array<{
    match: RequestMatcher;
    arrived: () => void;
    gate: Promise<void>;
  }> = [];

  add(match: RequestMatcher): HeldResponse {
    let arrived!: () => void;
    let release!: () => void;
    const arrival = new Promise<void>(resolve => {
      arrived = resolve;
    });
    const gate = new Promise<void>(resolve => {
      release = resolve;
    });
    this.#holds.push({ match, arrived, gate });
    return { arrived: arrival, release };
  }

  /** Holds this request's response when a hold matches it (the first one only). */
  apply(req: IncomingMessage, res: ServerResponse): void {
    const request = {
      method: (req.method ?? 'GET').toUpperCase(),
      path: new URL(req.url ?? '/', 'http://sandbox.invalid').pathname,
    };
    const index = this.#holds.findIndex(h => h.match(request));
    if (index < 0) return;
    const [hold] = this.#holds.splice(index, 1);
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    res.end = ((...args: unknown[]) => {
      hold.arrived();
      hold.gate.then(() => end(...args));
      return res;
    }) as typeof res.end;
  }
}
