import { CacheService, LoggerService } from '@backstage/backend-plugin-api';
import { JsonValue } from '@backstage/types';
import type { Octokit } from '@octokit/rest';
import { createHash } from 'node:crypto';

/**
 * Keeps the part of a GET answer the provider reads, in GitHub's shape (so applying it twice
 * changes nothing). Only requests that carry one (`request: { slim }`) are cached.
 */
export type Slim = (data: any) => JsonValue;

/** What is kept per request URL: the entity tag, the slimmed body and the `Link` header. */
type Entry = {
  etag: string;
  data: JsonValue;
  link?: string;
};

/** Counts of what the cache did, for logs and tests. */
export interface GitHubCacheStats {
  /** Requests sent with `If-None-Match` that GitHub answered 304 (free under its rate limit). */
  notModified: number;
  /** Requests answered with a body (they count against the rate limit). */
  fetched: number;
  /** Facts of a full sha reused without asking GitHub (see {@link GitHubResponseCache.fact}). */
  factHits: number;
}

/**
 * GitHub's conditional requests over Backstage's CacheService (shared by the replicas when
 * `backend.cache` is Redis, Valkey or Memcache; per process with the memory store):
 *
 * - every GET that carries a `slim` function is sent with the `If-None-Match` of the answer
 *   kept for its URL; GitHub's `304 Not Modified` (which does not count against the rate limit)
 *   is answered from the cache, so mutable things (branch heads, checks in progress, open
 *   issues) are always current;
 * - facts about a full commit sha that cannot change once reached (all of its CI finished, on
 *   the default branch) are kept as computed results and reused for `factTtlMs` without asking.
 */
export class GitHubResponseCache {
  readonly #cache: CacheService;
  readonly #ttlMs: number;
  readonly #factTtlMs: number;
  readonly #logger?: LoggerService;
  readonly stats: GitHubCacheStats = {
    notModified: 0,
    fetched: 0,
    factHits: 0,
  };

  constructor(options: {
    cache: CacheService;
    /** How long an answer and its entity tag are kept for conditional requests. */
    ttlMs: number;
    /** How long a settled fact of a full sha is reused without asking GitHub; 0: never. */
    factTtlMs: number;
    /** Told when the cache cannot be read or written. */
    logger?: LoggerService;
  }) {
    this.#logger = options.logger;
    this.#cache = options.cache;
    this.#ttlMs = options.ttlMs;
    this.#factTtlMs = options.factTtlMs;
  }

  /** Installs the conditional requests on an Octokit instance. */
  install(octokit: Octokit) {
    octokit.hook.wrap('request', async (request, options) => {
      const slim: Slim | undefined = (options.request as any)?.slim;
      if (!slim || options.method !== 'GET') return request(options);
      const { url } = octokit.request.endpoint.parse(options);
      const key = cacheKey('etag', url);
      const entry = await this.#get<Entry>(key);
      if (entry) {
        options.headers = { ...options.headers, 'if-none-match': entry.etag };
      }
      try {
        const response = await request(options);
        this.stats.fetched += 1;
        const data = slim(response.data);
        const etag = response.headers.etag;
        if (etag) {
          const link = response.headers.link;
          await this.#set(key, { etag, data, ...(link ? { link } : {}) });
        }
        return { ...response, data };
      } catch (error: any) {
        if (error?.status !== 304 || !entry) throw error;
        this.stats.notModified += 1;
        return {
          status: 200,
          url,
          headers: {
            ...error.response?.headers,
            ...(entry.link ? { link: entry.link } : {}),
          },
          data: entry.data,
        };
      }
    });
  }

  /**
   * A fact about a full commit sha, computed by `compute` unless one settled earlier is kept;
   * kept for the fact TTL when `settled(value)` says it cannot change any more.
   */
  async fact<T>(
    parts: string[],
    compute: () => Promise<T>,
    settled: (value: T) => boolean,
  ): Promise<T> {
    if (this.#factTtlMs <= 0) return compute();
    const key = cacheKey('fact', parts.join('\n'));
    const kept = await this.#get<JsonValue>(key);
    if (kept !== undefined) {
      this.stats.factHits += 1;
      return kept as T;
    }
    const value = await compute();
    if (settled(value)) {
      await this.#set(key, value as unknown as JsonValue, this.#factTtlMs);
    }
    return value;
  }

  /** Records a fact learnt another way (e.g. a branch's history lists the commit). */
  async settle(parts: string[], value: unknown): Promise<void> {
    if (this.#factTtlMs <= 0) return;
    await this.#set(
      cacheKey('fact', parts.join('\n')),
      value as JsonValue,
      this.#factTtlMs,
    );
  }

  // A cache that cannot be reached must not stop deployments: its reads miss and its writes are
  // skipped, and GitHub is asked as without a cache.
  async #get<T extends JsonValue>(key: string): Promise<T | undefined> {
    try {
      return (await this.#cache.get<T>(key)) ?? undefined;
    } catch (error) {
      this.#logger?.warn(`GitHub response cache cannot be read: ${error}`);
      return undefined;
    }
  }

  async #set(key: string, value: JsonValue, ttl = this.#ttlMs) {
    try {
      await this.#cache.set(key, value, { ttl });
    } catch (error) {
      this.#logger?.warn(`GitHub response cache cannot be written: ${error}`);
    }
  }
}

/**
 * Short keys whatever the URL (Memcache allows 250 bytes). The version changes whenever what is
 * kept changes shape, so replicas of a new release never read an older release's entries.
 */
function cacheKey(kind: string, text: string): string {
  return `github:v1:${kind}:${createHash('sha256').update(text).digest('hex')}`;
}
