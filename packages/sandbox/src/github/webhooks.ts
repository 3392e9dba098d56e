/*
 * GitHub webhooks from the sandbox: deliveries signed the way GitHub signs them
 * (`X-Hub-Signature-256`, HMAC-SHA256 of the body with the hook's secret), sent in order per
 * repository and retried with backoff until the receiver takes them, so the portal may start
 * after the sandbox. Also the payload shapes of the events the sandbox sends (`push`, `create`,
 * `delete`, `issues`, `pull_request`, `deployment_status`), as GitHub documents them.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';

/** `sha256=<hex>`: GitHub's `X-Hub-Signature-256` of `body` with `secret`. */
export function signWebhookBody(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** A UUID-shaped delivery id derived from `text`: the same text, the same id. */
export function deterministicDeliveryId(text: string): string {
  const h = createHash('sha1').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${(
    (parseInt(h.slice(16, 18), 16) & 0x3f) |
    0x80
  ).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}

export interface WebhookSenderOptions {
  /** Where deliveries are POSTed, e.g. `http://localhost:7007/api/events/http/github`. */
  url: string;
  /** The hook's secret. */
  secret: string;
  /** First retry delay in ms, doubled per attempt up to `maxDelayMs`. Default 500. */
  initialDelayMs?: number;
  /** Longest wait between attempts in ms. Default 15 000. */
  maxDelayMs?: number;
  /**
   * Attempts of a delivery the receiver refuses for good (a 4xx other than 404, 408 and 429:
   * 401 for a wrong secret, 400, 415, ...) before it is dropped. Default 3. Unreachable
   * receivers, 5xx, 404 (the route is not up yet), 408 and 429 are retried until `close()`.
   */
  maxRefusedAttempts?: number;
  /** Time limit of one attempt in ms. Default 10 000. */
  timeoutMs?: number;
  /** Where progress and problems are written; default nowhere. */
  log?: (line: string) => void;
  /** For tests. */
  fetch?: typeof fetch;
}

export interface WebhookDelivery {
  event: string;
  deliveryId: string;
  body: string;
}

export interface WebhookSenderStats {
  /** Accepted with a 2xx. */
  delivered: number;
  /** Given up (refused for good, or pending at `close()`). */
  dropped: number;
  /** Queued or being sent. */
  pending: number;
}

interface Queued extends WebhookDelivery {
  done: (delivered: boolean) => void;
}

/**
 * Sends webhook deliveries: one queue per key (the repository), in order within a queue, queues
 * in parallel. Each delivery is tried until it is accepted, refused for good or the sender closes.
 */
export class WebhookSender {
  readonly url: string;
  readonly #secret: string;
  readonly #initialDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #maxRefusedAttempts: number;
  readonly #timeoutMs: number;
  readonly #log: (line: string) => void;
  readonly #fetch: typeof fetch;
  readonly #queues = new Map<string, Queued[]>();
  readonly #running = new Set<Promise<void>>();
  readonly #idleWaiters: Array<() => void> = [];
  #closed = false;
  #wake: Array<() => void> = [];
  #unreachable = false;
  readonly #stats = { delivered: 0, dropped: 0 };

  constructor(options: WebhookSenderOptions) {
    this.url = options.url;
    this.#secret = options.secret;
    this.#initialDelayMs = options.initialDelayMs ?? 500;
    this.#maxDelayMs = options.maxDelayMs ?? 15_000;
    this.#maxRefusedAttempts = options.maxRefusedAttempts ?? 3;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#log = options.log ?? (() => {});
    this.#fetch = options.fetch ?? fetch;
  }

  /**
   * Queues a delivery of `event` with `payload` (serialised now, so later changes to the objects
   * it was rendered from do not show). Resolves true once accepted, false when dropped.
   */
  send(
    event: string,
    payload: unknown,
    options: { key?: string; deliveryId?: string } = {},
  ): { deliveryId: string; done: Promise<boolean> } {
    const deliveryId = options.deliveryId ?? randomUUID();
    const body = JSON.stringify(payload);
    let done!: (delivered: boolean) => void;
    const promise = new Promise<boolean>(resolve => {
      done = resolve;
    });
    if (this.#closed) {
      this.#stats.dropped += 1;
      done(false);
      return { deliveryId, done: promise };
    }
    const key = options.key ?? '';
    const queue = this.#queues.get(key);
    const item = { event, deliveryId, body, done };
    if (queue) {
      queue.push(item);
    } else {
      this.#queues.set(key, [item]);
      const run = this.#drain(key).finally(() => {
        this.#running.delete(run);
        this.#notifyIdle();
      });
      this.#running.add(run);
    }
    return { deliveryId, done: promise };
  }

  stats(): WebhookSenderStats {
    let pending = 0;
    for (const queue of this.#queues.values()) pending += queue.length;
    return { ...this.#stats, pending };
  }

  /** Resolves when nothing is queued or being sent. */
  idle(): Promise<void> {
    if (this.#running.size === 0) return Promise.resolve();
    return new Promise(resolve => this.#idleWaiters.push(resolve));
  }

  /** Stops sending: what is pending is dropped, waits are cut short. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const wake of this.#wake.splice(0)) wake();
    await Promise.all([...this.#running]);
  }

  #notifyIdle() {
    if (this.#running.size > 0) return;
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  async #drain(key: string): Promise<void> {
    const queue = this.#queues.get(key)!;
    while (queue.length > 0) {
      const item = queue[0];
      const delivered = this.#closed ? false : await this.#deliver(item);
      queue.shift();
      if (delivered) this.#stats.delivered += 1;
      else this.#stats.dropped += 1;
      item.done(delivered);
    }
    this.#queues.delete(key);
  }

  /** The headers GitHub sends, in its order. */
  #headers(item: WebhookDelivery): Record<string, string> {
    return {
      'X-GitHub-Event': item.event,
      'X-GitHub-Delivery': item.deliveryId,
      'X-Hub-Signature-256': signWebhookBody(this.#secret, item.body),
      'Content-Type': 'application/json',
      'User-Agent': 'GitHub-Hookshot/sandbox',
    };
  }

  async #deliver(item: WebhookDelivery): Promise<boolean> {
    let delay = this.#initialDelayMs;
    let refused = 0;
    const what = `${item.event} delivery ${item.deliveryId}`;
    for (;;) {
      let problem: string;
      let retryForever = true;
      try {
        const res = await this.#fetch(this.url, {
          method: 'POST',
          headers: this.#headers(item),
          body: item.body,
          signal: AbortSignal.timeout(this.#timeoutMs),
        });
        const text = await res.text().catch(() => '');
        if (res.ok) {
          if (this.#unreachable) {
            this.#unreachable = false;
            this.#log(`GitHub webhooks reach ${this.url} now`);
          }
          return true;
        }
        problem = `${res.status}${text ? ` ${text.slice(0, 300)}` : ''}`;
        retryForever =
          [404, 408, 429].includes(res.status) || res.status >= 500;
      } catch (error) {
        const cause = (error as { cause?: { code?: string } })?.cause?.code;
        problem =
          cause ?? (error instanceof Error ? error.message : String(error));
      }
      if (!retryForever) {
        refused += 1;
        if (refused >= this.#maxRefusedAttempts) {
          this.#log(
            `GitHub webhook ${what} to ${this.url} refused ${refused} times (${problem}); dropped`,
          );
          return false;
        }
      } else if (!this.#unreachable) {
        // Said once until a delivery goes through again, not once per attempt.
        this.#unreachable = true;
        this.#log(
          `GitHub webhook ${what} to ${this.url} failed (${problem}); retrying with backoff until it is taken`,
        );
      }
      if (this.#closed) return false;
      await this.#sleep(delay);
      if (this.#closed) return false;
      delay = Math.min(delay * 2, this.#maxDelayMs);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise(resolve => {
      const pending: { timer?: ReturnType<typeof setTimeout> } = {};
      const wake = () => {
        clearTimeout(pending.timer);
        this.#wake = this.#wake.filter(w => w !== wake);
        resolve();
      };
      pending.timer = setTimeout(wake, ms);
      this.#wake.push(wake);
    });
  }
}

// ---- payloads -------------------------------------------------------------------------------

/** A commit as push payloads list it. */
export interface PushCommit {
  sha: string;
  message: string;
  /** ISO 8601 with the committer's offset, e.g. `2026-11-20T10:15:00+01:00`. */
  timestamp: string;
  /** `username`: the account the email belongs to, absent when GitHub knows none. */
  author: { name: string; email: string; username?: string };
}

/** Seconds since the epoch, as push payloads give the repository's times. */
function seconds(iso: string | number): number {
  const ms = typeof iso === 'number' ? iso : Date.parse(iso);
  return Math.floor(ms / 1000);
}

/**
 * A `push` payload. `repository` is the REST representation (times ISO); push payloads give its
 * `created_at` and `pushed_at` in seconds, and `pushed_at` is when this push happened. A push
 * that creates a branch has `created` (before: 40 zeros; `base_ref` when it starts at another
 * branch's head; `commits` only those new to the repository, `head_commit` the branch head
 * either way); one that deletes it has `deleted` (after: 40 zeros, no commits, no head commit);
 * one that moves it to a commit not descending from where it was has `forced`.
 */
export function pushPayload(options: {
  repository: Record<string, any>;
  ref: string;
  before: string;
  after: string;
  commits: PushCommit[];
  /** The branch head after the push, when it is not the last of `commits`. */
  headCommit?: PushCommit;
  pushedAt: number;
  pusher: { name: string; email: string };
  sender: Record<string, unknown>;
  created?: boolean;
  deleted?: boolean;
  forced?: boolean;
  baseRef?: string | null;
}): Record<string, unknown> {
  const { repository } = options;
  const html = String(repository.html_url);
  const render = (c: PushCommit) => ({
    id: c.sha,
    tree_id: createHash('sha1').update(`tree:${c.sha}`).digest('hex'),
    distinct: true,
    message: c.message,
    timestamp: c.timestamp,
    url: `${html}/commit/${c.sha}`,
    author: c.author,
    committer: {
      name: 'GitHub',
      email: 'noreply@github.com',
      username: 'web-flow',
    },
    added: [],
    removed: [],
    modified: [],
  });
  const commits = options.commits.map(render);
  let headCommit: Record<string, unknown> | null = null;
  if (!options.deleted) {
    if (options.headCommit) headCommit = render(options.headCommit);
    else if (commits.length > 0) headCommit = commits[commits.length - 1];
  }
  const short = (sha: string) => sha.slice(0, 12);
  let compare = `${html}/compare/${short(options.before)}...${short(
    options.after,
  )}`;
  if (options.created) {
    compare =
      commits.length > 0
        ? `${html}/commit/${short(options.after)}`
        : `${html}/compare/${options.ref.replace(/^refs\/(heads|tags)\//, '')}`;
  }
  return {
    ref: options.ref,
    before: options.before,
    after: options.after,
    repository: {
      ...repository,
      owner: {
        ...(repository.owner ?? {}),
        name: repository.owner?.login,
        email: null,
      },
      created_at: seconds(repository.created_at),
      pushed_at: seconds(options.pushedAt),
      stargazers: repository.stargazers_count ?? 0,
      master_branch: repository.default_branch,
    },
    pusher: options.pusher,
    sender: options.sender,
    created: options.created ?? false,
    deleted: options.deleted ?? false,
    forced: options.forced ?? false,
    base_ref: options.baseRef ?? null,
    compare,
    commits,
    head_commit: headCommit,
  };
}

/** A `create` payload for a branch (`ref` without `refs/heads/`). */
export function createPayload(options: {
  ref: string;
  repository: Record<string, any>;
  sender: Record<string, unknown>;
}): Record<string, unknown> {
  return {
    ref: options.ref,
    ref_type: 'branch',
    master_branch: options.repository.default_branch,
    description: options.repository.description ?? null,
    pusher_type: 'user',
    repository: options.repository,
    sender: options.sender,
  };
}

/** A `delete` payload for a branch (`ref` without `refs/heads/`). */
export function deletePayload(options: {
  ref: string;
  repository: Record<string, any>;
  sender: Record<string, unknown>;
}): Record<string, unknown> {
  return {
    ref: options.ref,
    ref_type: 'branch',
    pusher_type: 'user',
    repository: options.repository,
    sender: options.sender,
  };
}

/** A `pull_request` payload (`closed`: merged or not, as `pull_request.merged` says). */
export function pullRequestPayload(options: {
  action: string;
  pullRequest: Record<string, any>;
  repository: Record<string, unknown>;
  sender: Record<string, unknown>;
}): Record<string, unknown> {
  return {
    action: options.action,
    number: options.pullRequest.number,
    pull_request: options.pullRequest,
    repository: options.repository,
    sender: options.sender,
  };
}

/** An `issues` payload (`opened`, `closed`, `reopened`, `edited`, `labeled`, `unlabeled`). */
export function issuesPayload(options: {
  action: string;
  issue: Record<string, unknown>;
  repository: Record<string, unknown>;
  sender: Record<string, unknown>;
  /** The label added or removed (`labeled`, `unlabeled`). */
  label?: Record<string, unknown>;
  /** What an `edited` changed: the previous values. */
  changes?: Record<string, { from: unknown }>;
}): Record<string, unknown> {
  return {
    action: options.action,
    issue: options.issue,
    ...(options.changes ? { changes: options.changes } : {}),
    ...(options.label ? { label: options.label } : {}),
    repository: options.repository,
    sender: options.sender,
  };
}

/** A `deployment_status` payload (action `created`). */
export function deploymentStatusPayload(options: {
  deploymentStatus: Record<string, unknown>;
  deployment: Record<string, unknown>;
  repository: Record<string, unknown>;
  sender: Record<string, unknown>;
}): Record<string, unknown> {
  return {
    action: 'created',
    deployment_status: options.deploymentStatus,
    deployment: options.deployment,
    repository: options.repository,
    sender: options.sender,
  };
}
