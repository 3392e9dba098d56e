/*
 * GitHub webhooks turned into DORA events, Four Keys style: `push` to the default branch gives
 * commit times, `deployment_status` in a production environment gives deployments made outside
 * the portal, and `issues` labelled `incident` give incidents (the body names the sha that caused
 * them). The conversion is pure; the subscriber reads deliveries from the events backend's topic
 * `github` (signature-checked by ./module.ts) and hands each event to the DORA ingestion.
 */
import type { LoggerService } from '@backstage/backend-plugin-api';
import type { EventParams, EventsService } from '@backstage/plugin-events-node';
import { DoraEvent, shasNamedIn } from '@internal/plugin-delivery-common';

/** The events backend topic GitHub deliveries are published on (`/api/events/http/github`). */
export const GITHUB_EVENTS_TOPIC = 'github';

/** The label that makes an issue an incident. */
export const INCIDENT_LABEL = 'incident';

/** The subscriber's id on the events service (the service prefixes the plugin id). */
export const GITHUB_DORA_SUBSCRIBER_ID = 'delivery-dora-github';

/** The GitHub events this module reads. */
export type GitHubDoraEventName = 'push' | 'deployment_status' | 'issues';

/** One webhook delivery, as the events backend hands it over. */
export interface GitHubDelivery {
  /** `X-GitHub-Event`; inferred from the payload when absent. */
  name?: string;
  /** `X-GitHub-Delivery`, for logs only: a replay must give the same events. */
  deliveryId?: string;
  payload: unknown;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/**
 * A GitHub time in milliseconds: ISO 8601 with any offset (`2024-03-04T10:15:00+01:00`), or
 * seconds since the epoch as push payloads give `repository.pushed_at`.
 */
export function gitHubTime(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) {
    // Seconds; a value already in milliseconds (13 digits) is kept.
    return value < 1e11 ? Math.round(value * 1000) : Math.round(value);
  }
  if (typeof value === 'string' && value.length > 0) {
    if (/^\d+$/.test(value)) return gitHubTime(Number(value));
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

/** The header's value (the events backend passes request headers as metadata, lower-cased). */
function header(
  metadata: Record<string, unknown> | undefined,
  name: string,
): string | undefined {
  const value = metadata?.[name] ?? metadata?.[name.toLowerCase()];
  if (Array.isArray(value)) return str(value[0]);
  return str(value);
}

/**
 * The event name of a payload without its `X-GitHub-Event` header (an event that went through
 * the events backend's bus loses its metadata): from the members only that event has.
 */
export function inferGitHubEventName(payload: unknown): string | undefined {
  if (!isObject(payload)) return undefined;
  if (isObject(payload.deployment_status) && isObject(payload.deployment)) {
    return 'deployment_status';
  }
  if (isObject(payload.issue) && str(payload.action) && !payload.comment) {
    return 'issues';
  }
  if (isObject(payload.pull_request) && str(payload.action)) {
    return 'pull_request';
  }
  if (str(payload.ref) && str(payload.ref_type) && str(payload.pusher_type)) {
    // `create` names the repository's default branch; `delete` does not.
    return 'master_branch' in payload ? 'create' : 'delete';
  }
  if (
    str(payload.ref) &&
    str(payload.after) &&
    Array.isArray(payload.commits) &&
    isObject(payload.pusher)
  ) {
    return 'push';
  }
  return undefined;
}

/** A delivery as the subscriber gets it from the events service. */
export function gitHubDeliveryOf(event: EventParams): GitHubDelivery {
  const metadata = event.metadata as Record<string, unknown> | undefined;
  return {
    name:
      header(metadata, 'x-github-event') ??
      inferGitHubEventName(event.eventPayload),
    deliveryId: header(metadata, 'x-github-delivery'),
    payload: event.eventPayload,
  };
}

/** `owner/repo` of the repository a delivery is about. */
export function repositoryOf(payload: unknown): string | undefined {
  if (!isObject(payload) || !isObject(payload.repository)) return undefined;
  const repository = payload.repository;
  const fullName = str(repository.full_name);
  if (fullName) return fullName;
  const owner = isObject(repository.owner)
    ? str(repository.owner.login) ?? str(repository.owner.name)
    : undefined;
  const name = str(repository.name);
  return owner && name ? `${owner}/${name}` : undefined;
}

export interface GitHubDoraOptions {
  /** The catalog entities whose `github.com/project-slug` is the delivery's repository. */
  entityRefs: string[];
  /** Deployment environments that count as production (case-insensitive). Default `production`. */
  productionEnvironments?: string[];
}

function pushEvents(payload: Json, repo: string, entityRefs: string[]) {
  const repository = payload.repository as Json;
  const defaultBranch =
    str(repository.default_branch) ?? str(repository.master_branch);
  if (!defaultBranch || payload.ref !== `refs/heads/${defaultBranch}`) {
    return [];
  }
  const after = str(payload.after);
  if (payload.deleted === true || !after || /^0+$/.test(after)) return [];
  const head = isObject(payload.head_commit) ? payload.head_commit : undefined;
  // A branch moved to commits already known lists none: its head is what it brought.
  const listed = Array.isArray(payload.commits) ? payload.commits : [];
  let raw: unknown[] = listed;
  if (raw.length === 0) raw = head ? [head] : [];
  const commits: Array<{ sha: string; committedAt: number }> = [];
  const seen = new Set<string>();
  for (const commit of raw) {
    if (!isObject(commit)) continue;
    const sha = str(commit.id)?.toLowerCase();
    const committedAt = gitHubTime(commit.timestamp);
    if (!sha || committedAt === undefined || seen.has(sha)) continue;
    seen.add(sha);
    commits.push({ sha, committedAt });
  }
  if (commits.length === 0) return [];
  // When it was pushed: the repository's pushed_at (seconds in push payloads); else the newest
  // commit time, which a push cannot precede.
  const newest = Math.max(...commits.map(c => c.committedAt));
  const pushedAt = gitHubTime(repository.pushed_at);
  const at =
    pushedAt !== undefined && pushedAt >= newest
      ? pushedAt
      : gitHubTime(head?.timestamp) ?? newest;
  return entityRefs.map(
    (entityRef): DoraEvent => ({
      type: 'push',
      sourceId: `github:push:${repo}:${after.toLowerCase()}:${entityRef}`,
      source: 'github',
      entityRef,
      at,
      commits,
    }),
  );
}

/** Whether the portal made this GitHub deployment (its payload carries the portal's token). */
function madeByPortal(deployment: Json): boolean {
  let payload: unknown = deployment.payload;
  if (typeof payload === 'string') {
    try {
      payload = JSON.parse(payload);
    } catch {
      return false;
    }
  }
  return isObject(payload) && typeof payload.token === 'string';
}

function deploymentStatusEvents(
  payload: Json,
  entityRefs: string[],
  productionEnvironments: string[],
) {
  const status = payload.deployment_status;
  const deployment = payload.deployment;
  if (!isObject(status) || !isObject(deployment)) return [];
  const state = str(status.state);
  let outcome: 'success' | 'failure';
  if (state === 'success') outcome = 'success';
  else if (state === 'failure' || state === 'error') outcome = 'failure';
  else return [];
  // The status may name the environment it moved the deployment to.
  const production = productionEnvironments.map(e => e.toLowerCase());
  const inProduction = [deployment.environment, status.environment].some(
    e => typeof e === 'string' && production.includes(e.toLowerCase()),
  );
  if (!inProduction) return [];
  // The portal's own deployments reach DORA from the portal, with the commits they carried.
  if (madeByPortal(deployment)) return [];
  const sha = str(deployment.sha)?.toLowerCase();
  const at = gitHubTime(status.created_at) ?? gitHubTime(status.updated_at);
  const id = status.id;
  if (!sha || at === undefined || (typeof id !== 'number' && !str(id))) {
    return [];
  }
  const url =
    str(status.target_url) ??
    str(status.log_url) ??
    str(status.environment_url);
  return entityRefs.map(
    (entityRef): DoraEvent => ({
      type: 'deployment',
      sourceId: `github:deployment_status:${id}:${entityRef}`,
      source: 'github',
      entityRef,
      sha,
      at,
      status: outcome,
      production: true,
      ...(url ? { url } : {}),
    }),
  );
}

const INCIDENT_ACTIONS = ['opened', 'labeled', 'edited', 'closed', 'reopened'];

function issueEvents(payload: Json, repo: string, entityRefs: string[]) {
  const action = str(payload.action);
  const issue = payload.issue;
  if (!action || !INCIDENT_ACTIONS.includes(action) || !isObject(issue)) {
    return [];
  }
  if (issue.pull_request) return [];
  const labels = Array.isArray(issue.labels) ? issue.labels : [];
  const isIncident = labels.some(label => {
    const name = isObject(label) ? label.name : label;
    return typeof name === 'string' && name.toLowerCase() === INCIDENT_LABEL;
  });
  if (!isIncident) return [];
  const number = issue.number;
  const startedAt = gitHubTime(issue.created_at);
  if (typeof number !== 'number' || startedAt === undefined) return [];
  const resolvedAt =
    issue.state === 'closed' ? gitHubTime(issue.closed_at) : undefined;
  const updated = str(issue.updated_at) ?? String(startedAt);
  const updatedAt = gitHubTime(issue.updated_at);
  const title = str(issue.title) ?? `#${number}`;
  const [sha] = [...shasNamedIn(str(issue.body) ?? ''), ...shasNamedIn(title)];
  const url = str(issue.html_url);
  return entityRefs.map(
    (entityRef): DoraEvent => ({
      type: 'incident',
      sourceId: `github:issues:${repo}#${number}:${action}:${updated}:${entityRef}`,
      source: 'github',
      entityRef,
      incidentId: `github:${repo}#${number}`,
      title,
      startedAt,
      ...(resolvedAt === undefined ? {} : { resolvedAt }),
      ...(updatedAt === undefined ? {} : { updatedAt }),
      ...(sha ? { sha } : {}),
      ...(url ? { url } : {}),
    }),
  );
}

/**
 * The DORA events of one GitHub delivery, one per entity of its repository; none for events,
 * branches, environments and issues DORA does not count. Source ids depend on the content only
 * (never on the delivery id), so a replayed delivery gives the same ids and is stored once,
 * while a later real change (a new status, a new push, an issue updated) gives new ones:
 *
 * - `github:push:<owner/repo>:<after>:<entityRef>`
 * - `github:deployment_status:<status id>:<entityRef>`
 * - `github:issues:<owner/repo>#<number>:<action>:<updated_at>:<entityRef>`
 */
export function gitHubDoraEvents(
  delivery: GitHubDelivery,
  options: GitHubDoraOptions,
): DoraEvent[] {
  const { payload } = delivery;
  if (!isObject(payload) || options.entityRefs.length === 0) return [];
  const repo = repositoryOf(payload);
  if (!repo) return [];
  const name = delivery.name ?? inferGitHubEventName(payload);
  switch (name) {
    case 'push':
      return pushEvents(payload, repo, options.entityRefs);
    case 'deployment_status':
      return deploymentStatusEvents(
        payload,
        options.entityRefs,
        options.productionEnvironments ?? ['production'],
      );
    case 'issues':
      return issueEvents(payload, repo, options.entityRefs);
    default:
      return [];
  }
}

/** Where deliveries wait until they become DORA events (the plugin's database). */
export interface GitHubDoraInbox {
  addToInbox(item: {
    name: string;
    deliveryId?: string;
    repository: string;
    payload: unknown;
    receivedAt: number;
  }): Promise<number>;
  inbox(options: { limit: number }): Promise<
    Array<{
      id: number;
      name: string;
      deliveryId?: string;
      repository: string;
      payload: unknown;
      attempts: number;
    }>
  >;
  removeFromInbox(id: number): Promise<void>;
  retryLater(id: number, error?: string): Promise<void>;
}

export interface GitHubDoraSubscriberOptions {
  events: EventsService;
  /** Stores an event once per source id: true when stored, false when it was already. */
  ingest(event: DoraEvent): Promise<boolean>;
  /** Entity refs of the catalog entities whose `github.com/project-slug` is `slug`. */
  entitiesOfRepository(slug: string): Promise<string[]>;
  /** Deployment environments that count as production. Default `production`. */
  productionEnvironments?: string[];
  /**
   * Where each delivery is written before it is processed, so one whose repository the catalog
   * does not know yet, or whose processing fails, is retried by {@link processGitHubDoraInbox}.
   * Without it a delivery is processed at once, and one that cannot be is only logged.
   */
  inbox?: GitHubDoraInbox;
  logger: LoggerService;
}

const DORA_EVENT_NAMES = ['push', 'deployment_status', 'issues'];

/**
 * Turns one delivery into DORA events and ingests them: 'done' when its events are stored (or
 * it has none), 'unknown' when no catalog entity has its repository yet.
 */
async function processDelivery(
  options: Pick<
    GitHubDoraSubscriberOptions,
    'ingest' | 'entitiesOfRepository' | 'productionEnvironments'
  >,
  delivery: GitHubDelivery,
  repo: string,
): Promise<'done' | 'unknown'> {
  const entityRefs = await options.entitiesOfRepository(repo);
  if (entityRefs.length === 0) return 'unknown';
  for (const doraEvent of gitHubDoraEvents(delivery, {
    entityRefs,
    productionEnvironments: options.productionEnvironments,
  })) {
    await options.ingest(doraEvent);
  }
  return 'done';
}

/**
 * Subscribes to the `github` topic: writes each delivery DORA reads to the inbox, then turns it
 * into DORA events and ingests them; what cannot be done now stays in the inbox.
 */
export async function createGitHubDoraSubscriber(
  options: GitHubDoraSubscriberOptions,
): Promise<void> {
  const { logger } = options;
  await options.events.subscribe({
    id: GITHUB_DORA_SUBSCRIBER_ID,
    topics: [GITHUB_EVENTS_TOPIC],
    onEvent: async event => {
      const delivery = gitHubDeliveryOf(event);
      const describe = `GitHub ${delivery.name ?? 'event'} delivery ${
        delivery.deliveryId ?? '(no id)'
      }`;
      if (!delivery.name || !DORA_EVENT_NAMES.includes(delivery.name)) return;
      const repo = repositoryOf(delivery.payload);
      if (!repo) return;
      let id: number | undefined;
      try {
        id = await options.inbox?.addToInbox({
          name: delivery.name,
          ...(delivery.deliveryId ? { deliveryId: delivery.deliveryId } : {}),
          repository: repo,
          payload: delivery.payload,
          receivedAt: Date.now(),
        });
        const outcome = await processDelivery(options, delivery, repo);
        if (outcome === 'unknown') {
          logger.debug(
            `${describe}: no catalog entity has repository ${repo} yet${
              id === undefined ? '' : '; kept in the inbox'
            }`,
          );
          if (id !== undefined) await options.inbox?.retryLater(id);
          return;
        }
        if (id !== undefined) await options.inbox?.removeFromInbox(id);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        logger.warn(
          `${describe} could not be ingested for DORA${
            id === undefined ? '' : ' (kept in the inbox, retried)'
          }: ${message}`,
        );
        if (id !== undefined) {
          await options.inbox?.retryLater(id, message).catch(() => {});
        }
      }
    },
  });
}

/**
 * Retries the deliveries waiting in the inbox, oldest first: those whose repository the catalog
 * now knows become DORA events. Returns how many were done.
 */
export async function processGitHubDoraInbox(
  options: Omit<GitHubDoraSubscriberOptions, 'events'> & {
    inbox: GitHubDoraInbox;
    limit?: number;
  },
): Promise<number> {
  let done = 0;
  for (const item of await options.inbox.inbox({
    limit: options.limit ?? 500,
  })) {
    const delivery: GitHubDelivery = {
      name: item.name,
      ...(item.deliveryId ? { deliveryId: item.deliveryId } : {}),
      payload: item.payload,
    };
    try {
      if (
        (await processDelivery(options, delivery, item.repository)) === 'done'
      ) {
        await options.inbox.removeFromInbox(item.id);
        done += 1;
      } else {
        await options.inbox.retryLater(item.id);
      }
    } catch (error) {
      await options.inbox.retryLater(
        item.id,
        error instanceof Error ? error.message : String(error),
      );
    }
  }
  return done;
}
