/*
 * The demo's delivery history, for DORA: about 16 weeks of pushes to main, production
 * deployments (GitHub `deployment_status`) and incidents (issues labelled `incident`) of the three
 * demo services, ending an hour before `now`. It only ever goes out as signed webhooks, through the
 * same ingestion path as real GitHub deliveries; none of it enters the sandbox's repositories
 * (the Deployments tab keeps listing the seeded commits).
 *
 * Deterministic: seeded PRNGs per service, calendar day (UTC) and slot of the day, never
 * Math.random, and ids (commit shas, deployment and status ids, issue numbers) derived from the
 * service, the day and the slot. A restart on the same day replays exactly the same deliveries,
 * which the portal stores once. A restart on a later day adds the days since; the days both
 * windows hold keep their ids (the trend is measured from the window's start, so a slot's
 * details may shift a little, but the portal keeps what it stored first under each id).
 *
 * Profiles: payments-api is elite-ish and improving (2 → 6 deployments a weekday, lead time
 * ~2.5 h → ~1 h, fewer failures, rare incidents recovered in minutes); checkout-web deploys about
 * daily in the morning what was pushed since (lead time about a day, some failed deployments,
 * incidents fixed forward within hours); inventory-service ships weekly on Thursdays (lead time
 * days) and has an incident that took about a day to resolve.
 */
import { createHash } from 'node:crypto';
import {
  deploymentStatusPayload,
  deterministicDeliveryId,
  issuesPayload,
  pushPayload,
} from './webhooks.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The label that makes an issue an incident. */
export const INCIDENT_LABEL = 'incident';

export interface DoraHistoryAuthor {
  name: string;
  email: string;
  login: string;
  /** Minutes east of UTC, for the commit timestamps' offsets. */
  offsetMinutes: number;
}

export interface DoraHistoryCommit {
  sha: string;
  message: string;
  /** Milliseconds since the epoch. */
  at: number;
  author: DoraHistoryAuthor;
}

export type DoraHistoryEvent =
  | {
      kind: 'push';
      /** `owner/name`. */
      repository: string;
      at: number;
      before: string;
      after: string;
      commits: DoraHistoryCommit[];
    }
  | {
      kind: 'deployment_status';
      repository: string;
      at: number;
      deploymentId: number;
      statusId: number;
      /** When the deployment was created (its status comes when it finished). */
      createdAt: number;
      sha: string;
      state: 'success' | 'failure';
      environment: string;
      /** A fix deployed while an incident was open. */
      fix?: boolean;
    }
  | {
      kind: 'issue';
      repository: string;
      at: number;
      action: 'opened' | 'closed';
      id: number;
      number: number;
      title: string;
      body: string;
      author: DoraHistoryAuthor;
      createdAt: number;
      closedAt?: number;
    };

const AUTHORS: DoraHistoryAuthor[] = [
  {
    name: 'Ada Lovelace',
    email: 'ada@acme.example',
    login: 'ada',
    offsetMinutes: 60,
  },
  {
    name: 'Grace Hopper',
    email: 'grace@acme.example',
    login: 'grace',
    offsetMinutes: -300,
  },
  {
    name: 'Linus Chen',
    email: 'linus@acme.example',
    login: 'linus',
    offsetMinutes: 480,
  },
  {
    name: 'Margaret Hamilton',
    email: 'margaret@acme.example',
    login: 'margaret',
    offsetMinutes: 0,
  },
];

const MESSAGES = [
  'Add request tracing',
  'Fix rounding of currency amounts',
  'Bump dependencies',
  'Refactor validation',
  'Add retry with backoff to upstream calls',
  'Improve error messages for bad input',
  'Cache lookups',
  'Remove dead feature toggle',
  'Handle empty input gracefully',
  'Tighten input validation',
  'Log correlation ids',
  'Speed up startup',
  'Fix flaky integration test',
  'Add health endpoint details',
  'Add pagination to listing endpoint',
  'Document the public API',
  'Reduce memory use of the report job',
  'Guard against duplicate submissions',
  'Add metrics for queue depth',
  'Fix timezone handling in reports',
];

/** mulberry32: small, fast, good enough for demo data, and the same everywhere. */
function prng(seed: string): () => number {
  let a = parseInt(
    createHash('sha1').update(seed).digest('hex').slice(0, 8),
    16,
  );
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

/** A planned deployment of a day; its sha is known only when the history is walked in order. */
interface PlannedDeploy {
  /** Its number in the day: part of its ids. */
  n: number;
  at: number;
  failed: boolean;
  /** Redeploys the sha of the deployment before it (a retry after a failure). */
  retry?: boolean;
  fix?: boolean;
  /** An incident this deployment causes: opened and resolved so long after it. */
  incident?: { openAfter: number; recoveryMs: number; title: string };
}

interface PlannedPush {
  /** Its number in the day: part of its commits' shas. */
  n: number;
  at: number;
  /** Ages of its commits before the push, oldest first. */
  commitAges: number[];
  fix?: boolean;
}

interface DayPlan {
  pushes: PlannedPush[];
  deploys: PlannedDeploy[];
}

interface Day {
  start: number;
  /** 0 at the window's first day, 1 at its last. */
  progress: number;
  /** The day's own draws (how many of each). */
  rng: () => number;
  /**
   * The draws of one slot of the day (a push or a deployment): a slot's details do not depend
   * on how many others the day has, so a small change in the day's counts keeps the rest.
   */
  slot(n: number): () => number;
}

interface Profile {
  name: string;
  plan(day: Day): DayPlan;
}

const between = (rng: () => number, min: number, max: number) =>
  min + rng() * (max - min);

/** Commit ages before their push: 1–4 commits, each some minutes before the next. */
function commitAges(rng: () => number, min: number, max: number): number[] {
  const count = 1 + Math.floor(rng() * 4);
  const gaps = Array.from({ length: 4 }, () => between(rng, min, max));
  const ages: number[] = [];
  let age = between(rng, 2 * MINUTE, 10 * MINUTE);
  for (let i = 0; i < count; i++) {
    ages.unshift(Math.round(age));
    age += gaps[i];
  }
  return ages;
}

const isWeekday = (dayStart: number) => {
  const d = new Date(dayStart).getUTCDay();
  return d >= 1 && d <= 5;
};

const INCIDENT_TITLES = {
  'payments-api': [
    'Card payments time out for some issuers',
    'Refunds answer 500',
    'Payment confirmation emails delayed',
  ],
  'checkout-web': [
    'Checkout button unresponsive on Safari',
    'Cart total wrong with discount codes',
    'Address form rejects valid postcodes',
  ],
  'inventory-service': [
    'Stock levels not updated after returns',
    'Reservation job stuck, items oversold',
  ],
};

function pick<T>(rng: () => number, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)];
}

/** A deployment slot's draws, all taken whatever they decide, so the stream stays aligned. */
function deployDraws(r: () => number) {
  return {
    failure: r(),
    incident: r(),
    openAfter: r(),
    recovery: r(),
    title: r(),
    retryAfter: r(),
  };
}

/** payments-api: several deployments a weekday, each shipping what was pushed an hour or two before. */
const payments: Profile = {
  name: 'payments-api',
  plan({ start, progress: p, rng, slot }) {
    const plan: DayPlan = { pushes: [], deploys: [] };
    let count = 0;
    if (isWeekday(start)) {
      count = Math.max(1, Math.round(2 + 4 * p + between(rng, -1, 1)));
    } else if (rng() < 0.25) {
      count = 1;
    }
    const slots = Array.from({ length: count }, (_, k) => {
      const r = slot(k);
      return { k, r, offset: between(r, 9 * HOUR, 17.5 * HOUR) };
    }).sort((a, b) => a.offset - b.offset);
    let previous = start;
    for (const { k, r, offset } of slots) {
      const at = start + Math.round(offset);
      // Pushed 20–60 min before it, plus up to 90 min more at the start of the window.
      let pushAt =
        at -
        Math.round(
          between(r, 20 * MINUTE, 60 * MINUTE) +
            (1 - p) * between(r, 30 * MINUTE, 90 * MINUTE),
        );
      const ages = commitAges(
        r,
        10 * MINUTE,
        30 * MINUTE + (1 - p) * 30 * MINUTE,
      );
      const d = deployDraws(r);
      if (pushAt <= previous) pushAt = previous + 5 * MINUTE;
      if (pushAt >= at) continue;
      plan.pushes.push({ n: k, at: pushAt, commitAges: ages });
      const failed = d.failure < 0.01 + 0.06 * (1 - p);
      const incident =
        !failed && d.incident < 0.008 + 0.03 * (1 - p)
          ? {
              openAfter: Math.round(5 * MINUTE + d.openAfter * 25 * MINUTE),
              recoveryMs: Math.round(
                (4 * MINUTE + d.recovery * 21 * MINUTE) * (1 - 0.6 * p),
              ),
              title: pick(() => d.title, INCIDENT_TITLES['payments-api']),
            }
          : undefined;
      plan.deploys.push({
        n: k,
        at,
        failed,
        ...(incident ? { incident } : {}),
      });
      previous = at;
      if (failed) {
        const retryAt =
          at + Math.round(15 * MINUTE + d.retryAfter * 30 * MINUTE);
        plan.deploys.push({
          n: 20 + k,
          at: retryAt,
          failed: false,
          retry: true,
        });
        previous = retryAt;
      }
    }
    return plan;
  },
};

/** checkout-web: pushes through the day; a morning release ships them the next day. */
const checkout: Profile = {
  name: 'checkout-web',
  plan({ start, progress: p, rng, slot }) {
    const plan: DayPlan = { pushes: [], deploys: [] };
    if (!isWeekday(start)) return plan;
    const pushes = 2 + Math.floor(rng() * 4);
    const deploys = rng() < 0.85;
    for (let k = 0; k < pushes; k++) {
      const r = slot(k);
      plan.pushes.push({
        n: k,
        at: start + Math.round(between(r, 9 * HOUR, 18 * HOUR)),
        commitAges: commitAges(r, 20 * MINUTE, 3 * HOUR),
      });
    }
    if (!deploys) return plan;
    const r = slot(10);
    const at = start + Math.round(between(r, 10 * HOUR, 12 * HOUR));
    const d = deployDraws(r);
    const failed = d.failure < 0.15 - 0.06 * p;
    const incident =
      !failed && d.incident < 0.08
        ? {
            openAfter: Math.round(20 * MINUTE + d.openAfter * 100 * MINUTE),
            recoveryMs: Math.round(40 * MINUTE + d.recovery * 200 * MINUTE),
            title: pick(() => d.title, INCIDENT_TITLES['checkout-web']),
          }
        : undefined;
    plan.deploys.push({ n: 10, at, failed, ...(incident ? { incident } : {}) });
    if (failed) {
      plan.deploys.push({
        n: 20,
        at: at + Math.round(30 * MINUTE + d.retryAfter * 60 * MINUTE),
        failed: false,
        retry: true,
      });
    }
    if (incident) {
      // Fixed forward: a one-commit fix pushed and deployed before the incident is closed.
      const open = at + incident.openAfter;
      plan.pushes.push({
        n: 30,
        at: open + Math.round(incident.recoveryMs * 0.55),
        commitAges: [Math.round(5 * MINUTE + d.retryAfter * 10 * MINUTE)],
        fix: true,
      });
      plan.deploys.push({
        n: 40,
        at: open + Math.round(incident.recoveryMs * 0.85),
        failed: false,
        fix: true,
      });
    }
    return plan;
  },
};

/** inventory-service: work pushed most weekdays, released once a week on Thursday afternoon. */
const inventory: Profile = {
  name: 'inventory-service',
  plan({ start, rng, slot }) {
    const plan: DayPlan = { pushes: [], deploys: [] };
    if (!isWeekday(start)) return plan;
    const pushes = rng() < 0.6;
    const deploys = rng() < 0.9 && new Date(start).getUTCDay() === 4;
    if (pushes) {
      const r = slot(0);
      plan.pushes.push({
        n: 0,
        at: start + Math.round(between(r, 9 * HOUR, 18 * HOUR)),
        commitAges: commitAges(r, 30 * MINUTE, 5 * HOUR),
      });
    }
    if (deploys) {
      const r = slot(10);
      const at = start + Math.round(between(r, 13 * HOUR, 15 * HOUR));
      const d = deployDraws(r);
      const failed = d.failure < 0.15;
      const incident =
        !failed && d.incident < 0.07 ? inventoryIncident(slot(11)) : undefined;
      plan.deploys.push({
        n: 10,
        at,
        failed,
        ...(incident ? { incident } : {}),
      });
      if (failed) {
        // Retried the next morning, after a look at the logs.
        plan.deploys.push({
          n: 20,
          at: at + Math.round(19 * HOUR + d.retryAfter * 2 * HOUR),
          failed: false,
          retry: true,
        });
      }
    }
    return plan;
  },
};

function inventoryIncident(rng: () => number) {
  return {
    openAfter: Math.round(between(rng, 1 * HOUR, 3 * HOUR)),
    recoveryMs: Math.round(between(rng, 22 * HOUR, 28 * HOUR)),
    title: pick(rng, INCIDENT_TITLES['inventory-service']),
  };
}

const PROFILES: Profile[] = [payments, checkout, inventory];

/** The demo services' repositories (`owner/name`) the history is about. */
export const DORA_HISTORY_REPOSITORIES = PROFILES.map(p => `acme/${p.name}`);

/** A day's position within a month of days, for ids: the same day, the same ids. */
const dayKey = (dayStart: number) => Math.floor(dayStart / DAY) % 10_000;

export interface DoraHistoryOptions {
  /** Milliseconds since the epoch; the history ends an hour before. */
  now: number;
  /** How far back it goes. Default 16. */
  weeks?: number;
  /** The organisation of the repositories. Default `acme`. */
  owner?: string;
}

/**
 * The history's events in the order they happened (per repository: a push before the
 * deployment that ships it, an incident's opening before its closing).
 */
export function buildDoraHistory(
  options: DoraHistoryOptions,
): DoraHistoryEvent[] {
  const end = options.now - HOUR;
  const start = end - (options.weeks ?? 16) * 7 * DAY;
  const owner = options.owner ?? 'acme';
  const out: Array<DoraHistoryEvent & { seq: number }> = [];
  let seq = 0;
  PROFILES.forEach((profile, index) => {
    const repository = `${owner}/${profile.name}`;
    // A week before the window, so the first deployments in it ship what was pushed before.
    const firstDay = Math.floor((start - 7 * DAY) / DAY) * DAY;
    const startDay = Math.floor(start / DAY) * DAY;
    const endDay = Math.floor(end / DAY) * DAY;
    type Item =
      | { type: 'push'; at: number; push: PlannedPush; day: number; n: number }
      | {
          type: 'deploy';
          at: number;
          deploy: PlannedDeploy;
          day: number;
          n: number;
        };
    const seedOf = (day: number) =>
      `dora-history:${profile.name}:${dayKey(day)}`;
    const items: Item[] = [];
    for (let day = firstDay; day <= end; day += DAY) {
      // Whole days, so that a restart on the same day draws the same history.
      const progress = Math.min(
        1,
        Math.max(0, (day - startDay) / Math.max(DAY, endDay - startDay)),
      );
      const plan = profile.plan({
        start: day,
        progress,
        rng: prng(seedOf(day)),
        slot: n => prng(`${seedOf(day)}:slot:${n}`),
      });
      for (const push of plan.pushes) {
        items.push({ type: 'push', at: push.at, push, day, n: push.n });
      }
      for (const deploy of plan.deploys) {
        items.push({ type: 'deploy', at: deploy.at, deploy, day, n: deploy.n });
      }
    }
    // Pushes before deployments at the same instant.
    items.sort((a, b) => a.at - b.at || (a.type === 'push' ? -1 : 1));

    let head = sha1(`dora-history:${profile.name}:root`);
    let pending: Array<DoraHistoryEvent & { seq: number }> = [];
    let lastSha: string | undefined;
    const events: Array<DoraHistoryEvent & { seq: number }> = [];
    const deployments: Array<{ at: number; sha: string; day: number }> = [];
    const incidentsInWindow = () =>
      events.some(e => e.kind === 'issue' && e.at >= start);
    const addIncident = (
      cause: { at: number; sha: string; day: number },
      incident: NonNullable<PlannedDeploy['incident']>,
      n: number,
    ) => {
      const number = 100 + dayKey(cause.day) * 64 + n;
      const createdAt = cause.at + incident.openAfter;
      const closedAt = createdAt + incident.recoveryMs;
      const rng = prng(
        `dora-history:${profile.name}:${dayKey(cause.day)}:incident:${n}`,
      );
      const author = pick(rng, AUTHORS);
      const issue = {
        repository,
        id: 900_000_000 + index * 10_000_000 + number,
        number,
        title: incident.title,
        body: `Started after the deployment of ${cause.sha} to production.\n\nCustomers are affected; see the dashboards.`,
        author,
        createdAt,
      };
      events.push({
        kind: 'issue',
        action: 'opened',
        at: createdAt,
        ...issue,
        seq: seq++,
      });
      events.push({
        kind: 'issue',
        action: 'closed',
        at: closedAt,
        ...issue,
        closedAt,
        seq: seq++,
      });
    };
    for (const item of items) {
      if (item.type === 'push') {
        const rng = prng(
          `dora-history:${profile.name}:${dayKey(item.day)}:push:${item.n}`,
        );
        const commits = item.push.commitAges.map((age, j) => ({
          sha: sha1(
            `dora-history:${profile.name}:${dayKey(item.day)}:${item.n}:${j}`,
          ),
          message: item.push.fix ? 'Fix the incident' : pick(rng, MESSAGES),
          at: item.at - age,
          author: pick(rng, AUTHORS),
        }));
        const after = commits[commits.length - 1].sha;
        const push = {
          kind: 'push' as const,
          repository,
          at: item.at,
          before: head,
          after,
          commits,
          seq: seq++,
        };
        head = after;
        events.push(push);
        pending.push(push);
        continue;
      }
      const { deploy } = item;
      let sha: string;
      if (deploy.retry && lastSha) sha = lastSha;
      else if (pending.length > 0) sha = head;
      else continue; // nothing new to ship
      pending = [];
      lastSha = sha;
      const deploymentId =
        800_000_000 + index * 10_000_000 + dayKey(item.day) * 100 + item.n;
      const rng = prng(
        `dora-history:${profile.name}:${dayKey(item.day)}:deploy:${item.n}`,
      );
      events.push({
        kind: 'deployment_status',
        repository,
        at: item.at,
        deploymentId,
        statusId: deploymentId + 1_000_000_000,
        createdAt: item.at - Math.round(between(rng, 4 * MINUTE, 12 * MINUTE)),
        sha,
        state: deploy.failed ? 'failure' : 'success',
        environment: 'production',
        ...(deploy.fix ? { fix: true } : {}),
        seq: seq++,
      });
      if (!deploy.failed) {
        deployments.push({ at: item.at, sha, day: item.day });
        if (deploy.incident)
          addIncident(
            deployments[deployments.length - 1],
            deploy.incident,
            item.n,
          );
      }
    }
    // Inventory's profile has an incident that took about a day: one in every window.
    if (profile === inventory && !incidentsInWindow()) {
      const cause = [...deployments]
        .reverse()
        .find(d => d.at >= start && d.at <= end - 3 * DAY);
      if (cause) {
        addIncident(
          cause,
          inventoryIncident(
            prng(`dora-history:${profile.name}:${dayKey(cause.day)}:forced`),
          ),
          63,
        );
      }
    }
    // In the window; pushes before it only when a deployment in it shipped them (pushes and
    // deployments are in time order here).
    const shippedLater = new Set<string>();
    for (const e of events) {
      if (e.kind === 'issue') continue;
      if (e.at >= start) break;
      if (e.kind === 'deployment_status') shippedLater.clear();
      else if (e.kind === 'push') shippedLater.add(e.after);
    }
    out.push(
      ...events.filter(
        e =>
          e.at <= end &&
          (e.at >= start || (e.kind === 'push' && shippedLater.has(e.after))),
      ),
    );
  });
  return out
    .sort((a, b) => a.at - b.at || a.seq - b.seq)
    .map(({ seq: _seq, ...event }) => event as DoraHistoryEvent);
}

/** An ISO time with the author's offset, as Git records it: `2026-11-20T10:15:00+01:00`. */
export function isoWithOffset(ms: number, offsetMinutes: number): string {
  const local = new Date(ms + offsetMinutes * MINUTE)
    .toISOString()
    .replace(/\.\d{3}Z$/, '');
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${local}${sign}${hh}:${mm}`;
}

const iso = (ms: number) =>
  new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** One webhook delivery of the history. */
export interface DoraHistoryDelivery {
  event: 'push' | 'deployment_status' | 'issues';
  /** The repository (`owner/name`): deliveries of one repository go out in order. */
  key: string;
  /** Derived from the content: a replay has the same id. */
  deliveryId: string;
  payload: Record<string, unknown>;
}

/** How the sandbox GitHub renders repositories and users (see `GitHubServer`). */
export interface DoraHistoryRenderer {
  renderRepository(
    owner: string,
    repo: string,
  ): Record<string, any> | undefined;
  renderUser(login: string): Record<string, unknown>;
}

/**
 * The history as GitHub webhook deliveries, with the sandbox GitHub's repositories and users
 * (events of repositories it does not have are left out).
 */
export function doraHistoryDeliveries(
  history: DoraHistoryEvent[],
  github: DoraHistoryRenderer,
): DoraHistoryDelivery[] {
  const deliveries: DoraHistoryDelivery[] = [];
  for (const event of history) {
    const [owner, name] = event.repository.split('/');
    const repository = github.renderRepository(owner, name);
    if (!repository) continue;
    const html = String(repository.html_url);
    const api = String(repository.url);
    if (event.kind === 'push') {
      const last = event.commits[event.commits.length - 1];
      deliveries.push({
        event: 'push',
        key: event.repository,
        deliveryId: deterministicDeliveryId(
          `push:${event.repository}:${event.after}`,
        ),
        payload: pushPayload({
          repository,
          ref: `refs/heads/${repository.default_branch}`,
          before: event.before,
          after: event.after,
          commits: event.commits.map(c => ({
            sha: c.sha,
            message: c.message,
            timestamp: isoWithOffset(c.at, c.author.offsetMinutes),
            author: {
              name: c.author.name,
              email: c.author.email,
              username: c.author.login,
            },
          })),
          pushedAt: event.at,
          pusher: { name: last.author.login, email: last.author.email },
          sender: github.renderUser(last.author.login),
        }),
      });
    } else if (event.kind === 'deployment_status') {
      const deploymentUrl = `${api}/deployments/${event.deploymentId}`;
      const bot = github.renderUser('deploy-bot');
      const runUrl = `${html}/actions/runs/${event.deploymentId}`;
      deliveries.push({
        event: 'deployment_status',
        key: event.repository,
        deliveryId: deterministicDeliveryId(
          `deployment_status:${event.repository}:${event.statusId}`,
        ),
        payload: deploymentStatusPayload({
          deploymentStatus: {
            url: `${deploymentUrl}/statuses/${event.statusId}`,
            id: event.statusId,
            node_id: Buffer.from(`016:DeploymentStatus${event.statusId}`)
              .toString('base64')
              .replace(/=+$/, ''),
            state: event.state,
            creator: bot,
            description:
              event.state === 'success'
                ? `Deployed ${event.sha.slice(0, 7)} to ${event.environment}`
                : `Deployment of ${event.sha.slice(
                    0,
                    7,
                  )} failed its health checks`,
            environment: event.environment,
            target_url: runUrl,
            log_url: runUrl,
            environment_url: `https://${name}.acme.example`,
            created_at: iso(event.at),
            updated_at: iso(event.at),
            deployment_url: deploymentUrl,
            repository_url: api,
            performed_via_github_app: null,
          },
          deployment: {
            url: deploymentUrl,
            id: event.deploymentId,
            node_id: Buffer.from(`010:Deployment${event.deploymentId}`)
              .toString('base64')
              .replace(/=+$/, ''),
            sha: event.sha,
            ref: repository.default_branch,
            task: 'deploy',
            payload: {},
            original_environment: event.environment,
            environment: event.environment,
            description: event.fix ? 'Hotfix' : null,
            creator: bot,
            created_at: iso(event.createdAt),
            updated_at: iso(event.at),
            statuses_url: `${deploymentUrl}/statuses`,
            repository_url: api,
            transient_environment: false,
            production_environment: true,
            performed_via_github_app: null,
          },
          repository,
          sender: bot,
        }),
      });
    } else {
      const issueUrl = `${api}/issues/${event.number}`;
      const closed = event.action === 'closed';
      const updatedAt = closed ? event.closedAt! : event.createdAt;
      deliveries.push({
        event: 'issues',
        key: event.repository,
        deliveryId: deterministicDeliveryId(
          `issues:${event.repository}#${event.number}:${event.action}`,
        ),
        payload: issuesPayload({
          action: event.action,
          issue: {
            url: issueUrl,
            repository_url: api,
            labels_url: `${issueUrl}/labels{/name}`,
            comments_url: `${issueUrl}/comments`,
            events_url: `${issueUrl}/events`,
            html_url: `${html}/issues/${event.number}`,
            id: event.id,
            node_id: Buffer.from(`05:Issue${event.id}`)
              .toString('base64')
              .replace(/=+$/, ''),
            number: event.number,
            title: event.title,
            user: github.renderUser(event.author.login),
            labels: [
              {
                id: 8_900_001,
                node_id: 'LA_incident',
                url: `${api}/labels/${INCIDENT_LABEL}`,
                name: INCIDENT_LABEL,
                color: 'b60205',
                default: false,
                description: 'Something is broken in production',
              },
            ],
            state: closed ? 'closed' : 'open',
            locked: false,
            assignee: null,
            assignees: [],
            milestone: null,
            comments: 0,
            created_at: iso(event.createdAt),
            updated_at: iso(updatedAt),
            closed_at: closed ? iso(event.closedAt!) : null,
            author_association: 'MEMBER',
            active_lock_reason: null,
            body: event.body,
            state_reason: closed ? 'completed' : null,
          },
          repository,
          sender: github.renderUser(event.author.login),
        }),
      });
    }
  }
  return deliveries;
}
