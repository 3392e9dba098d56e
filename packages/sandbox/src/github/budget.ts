/*
 * What GitHub charges for API calls, as the emulator models it: a primary rate limit of `limit`
 * requests per hour (the `x-ratelimit-*` headers and `/rate_limit`), entity tags on GET answers
 * with `304 Not Modified` to a matching `If-None-Match`, which GitHub does not count against
 * the limit, and counters of the calls served, so tests and the benchmark can read what a
 * client cost.
 */
import { createHash } from 'node:crypto';

/** Counts of the API calls one route (or all routes) served. */
export interface GitHubRouteCalls {
  /** API requests answered, 304s and errors included. */
  total: number;
  /** Answered `304 Not Modified` to a conditional request: free under the rate limit. */
  notModified: number;
}

/** Counts of the API calls the emulator served since it started or since `resetCalls()`. */
export interface GitHubCallCounts extends GitHubRouteCalls {
  /** Requests counted against the rate limit: every API request but 304s and `/rate_limit`. */
  rateLimited: number;
  /** Requests refused with 403 because the rate limit was used up. */
  refused: number;
  /** Per route: method and path with owner, repository, shas and numbers replaced. */
  byRoute: Record<string, GitHubRouteCalls>;
}

/** The rate-limit window as the `x-ratelimit-*` headers and `/rate_limit` show it. */
export interface RateLimitWindow {
  limit: number;
  used: number;
  remaining: number;
  /** Epoch seconds the window resets at. */
  reset: number;
}

const WINDOW_MS = 60 * 60_000;

/** The route a request counts under: `GET /repos/:owner/:repo/commits/:sha/check-runs`. */
export function routeKey(method: string, segments: string[]): string {
  const parts = segments.map((s, i) => {
    if (segments[0] === 'repos' && i === 1) return ':owner';
    if (segments[0] === 'repos' && i === 2) return ':repo';
    if (s.includes('...')) return ':basehead';
    if (/^[0-9a-f]{40}$/i.test(s)) return ':sha';
    if (/^\d+$/.test(s)) return ':number';
    return s;
  });
  return `${method} /${parts.join('/')}`;
}

/** A weak entity tag over a response body, in GitHub's `W/"<hex>"` form. */
export function entityTag(body: string): string {
  return `W/"${createHash('sha256').update(body).digest('hex').slice(0, 40)}"`;
}

/** Whether an `If-None-Match` header names `etag` (weak comparison, `*` matches all). */
export function matchesEntityTag(
  header: string | string[] | undefined,
  etag: string,
): boolean {
  if (!header) return false;
  const wanted = (Array.isArray(header) ? header.join(',') : header)
    .split(',')
    .map(t => t.trim())
    .filter(Boolean);
  const opaque = (t: string) => t.replace(/^W\//, '');
  return wanted.some(t => t === '*' || opaque(t) === opaque(etag));
}

/** The primary rate limit and the call counters of one emulator. */
export class GitHubBudget {
  readonly #limit: number;
  readonly #now: () => number;
  #windowStart = 0;
  #used = 0;
  #calls: GitHubCallCounts = emptyCounts();

  constructor(options: { limit: number; now?: () => number }) {
    this.#limit = options.limit;
    this.#now = options.now ?? Date.now;
  }

  /** The current window, started afresh once an hour has passed since it began. */
  window(): RateLimitWindow {
    const now = this.#now();
    if (now - this.#windowStart >= WINDOW_MS) {
      this.#windowStart = now;
      this.#used = 0;
    }
    return {
      limit: this.#limit,
      used: this.#used,
      remaining: Math.max(0, this.#limit - this.#used),
      reset: Math.ceil((this.#windowStart + WINDOW_MS) / 1000),
    };
  }

  exhausted(): boolean {
    return this.window().remaining === 0;
  }

  /** The `x-ratelimit-*` headers of the current window. */
  headers(): Record<string, string> {
    const w = this.window();
    return {
      'x-ratelimit-limit': String(w.limit),
      'x-ratelimit-remaining': String(w.remaining),
      'x-ratelimit-used': String(w.used),
      'x-ratelimit-resource': 'core',
      'x-ratelimit-reset': String(w.reset),
    };
  }

  /** Records one API call served on `route`; `free` calls (304s, `/rate_limit`) do not count. */
  record(
    route: string,
    outcome: { notModified?: boolean; free?: boolean; refused?: boolean },
  ) {
    const calls = this.#calls;
    const perRoute = (calls.byRoute[route] ??= { total: 0, notModified: 0 });
    calls.total += 1;
    perRoute.total += 1;
    if (outcome.notModified) {
      calls.notModified += 1;
      perRoute.notModified += 1;
    }
    if (outcome.refused) calls.refused += 1;
    if (!outcome.notModified && !outcome.free && !outcome.refused) {
      this.window();
      this.#used += 1;
      calls.rateLimited += 1;
    }
  }

  /** A copy of the counters. */
  calls(): GitHubCallCounts {
    return structuredClone(this.#calls);
  }

  /** Sets the counters to zero (the rate-limit window is left as it is). */
  resetCalls() {
    this.#calls = emptyCounts();
  }
}

function emptyCounts(): GitHubCallCounts {
  return {
    total: 0,
    notModified: 0,
    rateLimited: 0,
    refused: 0,
    byRoute: {},
  };
}
