/*
 * GitHub webhooks that create, update and delete ephemeral environments: a `push` (or `create`)
 * of a `deploy/*` branch creates or updates its environment; a `delete` of the branch, a push
 * deleting it, or the merge of its pull request removes it. Deliveries come from the events
 * backend's `github` topic (signature-checked by the delivery events module), are written to an
 * inbox first, and stay there until processed, so a delivery whose repository the catalog does
 * not know yet, or whose processing failed, is retried instead of lost.
 */
import type {
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import type { EventsService } from '@backstage/plugin-events-node';
import {
  ANNOTATION_KUBERNETES_ID,
  isEphemeralBranch,
} from '@internal/plugin-delivery-common';
import {
  GITHUB_EVENTS_TOPIC,
  GitHubDelivery,
  gitHubDeliveryOf,
  repositoryOf,
} from '../dora/github';
import { EntityResolver } from '../services/EntityResolver';
import { DatabaseEphemeralStore } from './DatabaseEphemeralStore';
import { EphemeralEnvironmentService } from './EphemeralEnvironmentService';

/** The subscriber's id on the events service. */
export const GITHUB_EPHEMERAL_SUBSCRIBER_ID = 'delivery-ephemeral-github';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** What a delivery asks of ephemeral environments. */
export type BranchChange =
  | { type: 'pushed'; branch: string; sha?: string; login?: string }
  | { type: 'gone'; branch: string; reason: string };

/** The change a GitHub delivery makes to a `deploy/*` branch, if it makes one. */
export function branchChangeOf(
  delivery: GitHubDelivery,
): BranchChange | undefined {
  const { payload, name } = delivery;
  if (!isObject(payload)) return undefined;
  const sender = isObject(payload.sender)
    ? str(payload.sender.login)
    : undefined;
  switch (name) {
    case 'push': {
      const ref = str(payload.ref);
      if (!ref?.startsWith('refs/heads/')) return undefined;
      const branch = ref.slice('refs/heads/'.length);
      if (!isEphemeralBranch(branch)) return undefined;
      const after = str(payload.after);
      if (payload.deleted === true || !after || /^0+$/.test(after)) {
        return {
          type: 'gone',
          branch,
          reason: `the branch ${branch} was deleted`,
        };
      }
      const pusher = isObject(payload.pusher)
        ? str(payload.pusher.name)
        : undefined;
      const login = sender ?? pusher;
      return {
        type: 'pushed',
        branch,
        sha: after.toLowerCase(),
        ...(login ? { login } : {}),
      };
    }
    case 'create':
    case 'delete': {
      const branch = str(payload.ref);
      if (
        payload.ref_type !== 'branch' ||
        !branch ||
        !isEphemeralBranch(branch)
      ) {
        return undefined;
      }
      if (name === 'delete') {
        return {
          type: 'gone',
          branch,
          reason: `the branch ${branch} was deleted`,
        };
      }
      return { type: 'pushed', branch, ...(sender ? { login: sender } : {}) };
    }
    case 'pull_request': {
      const pr = payload.pull_request;
      if (payload.action !== 'closed' || !isObject(pr) || pr.merged !== true) {
        return undefined;
      }
      const head = isObject(pr.head) ? pr.head : undefined;
      const branch = str(head?.ref);
      if (!branch || !isEphemeralBranch(branch)) return undefined;
      // A fork's branch of the same name is not ours.
      const headRepo = isObject(head?.repo)
        ? str(head!.repo.full_name)
        : undefined;
      if (
        headRepo &&
        headRepo.toLowerCase() !== repositoryOf(payload)?.toLowerCase()
      ) {
        return undefined;
      }
      return {
        type: 'gone',
        branch,
        reason: `its pull request #${String(
          payload.number ?? pr.number,
        )} was merged`,
      };
    }
    default:
      return undefined;
  }
}

export interface GitHubEphemeralOptions {
  store: DatabaseEphemeralStore;
  service: EphemeralEnvironmentService;
  entities: EntityResolver;
  /** The catalog entities whose `github.com/project-slug` is the repository. */
  entitiesOfRepository(slug: string): Promise<string[]>;
  catalog: CatalogService;
  credentials: () => Promise<BackstageCredentials>;
  logger: LoggerService;
  now?: () => number;
}

/** The user a GitHub login is: the catalog User annotated with it, else `user:default/<login>`. */
async function userOf(
  login: string | undefined,
  options: GitHubEphemeralOptions,
): Promise<string> {
  if (!login) return 'user:default/guest';
  try {
    const { items } = await options.catalog.getEntities(
      {
        filter: {
          kind: 'User',
          'metadata.annotations.github.com/user-login': login,
        },
        fields: ['kind', 'metadata.namespace', 'metadata.name'],
      },
      { credentials: await options.credentials() },
    );
    const user = items[0];
    if (user) {
      return `user:${user.metadata.namespace ?? 'default'}/${
        user.metadata.name
      }`;
    }
  } catch (error) {
    options.logger.debug(`Could not look GitHub user ${login} up: ${error}`);
  }
  return `user:default/${login.toLowerCase()}`;
}

/**
 * Processes one delivery: returns false when it must be tried again later (its repository has
 * no catalog entity yet).
 */
export async function processEphemeralDelivery(
  delivery: GitHubDelivery & { repository: string },
  options: GitHubEphemeralOptions,
): Promise<boolean> {
  const change = branchChangeOf(delivery);
  if (!change) return true;
  const entityRefs = await options.entitiesOfRepository(
    delivery.repository.toLowerCase(),
  );
  if (entityRefs.length === 0) return false;
  for (const entityRef of entityRefs) {
    if (change.type === 'gone') {
      const gone = await options.service.branchGone({
        entityRef,
        branch: change.branch,
        reason: change.reason,
      });
      if (gone) {
        options.logger.info(
          `Ephemeral environment ${gone.id} (${gone.namespace}) deleted: ${change.reason}`,
        );
      }
      continue;
    }
    let service;
    try {
      service = await options.entities.resolve(
        parseEntityRef(entityRef),
        await options.credentials(),
        [ANNOTATION_KUBERNETES_ID],
      );
    } catch {
      // Not a deployable service (no kubernetes-id): the branch is not for it.
      continue;
    }
    const env = await options.service.pushed({
      service,
      branch: change.branch,
      commitSha: change.sha,
      pusher: await userOf(change.login, options),
    });
    if (env) {
      options.logger.info(
        `Ephemeral environment ${env.id} (${env.namespace}) ${
          env.status === 'creating' ? 'being created' : 'being updated'
        } for ${change.branch} at ${env.commitSha.slice(0, 7)}`,
      );
    }
  }
  return true;
}

/** Subscribes to the `github` topic: inbox first, then processed at once when it can be. */
export async function createGitHubEphemeralSubscriber(
  events: EventsService,
  options: GitHubEphemeralOptions,
): Promise<void> {
  await events.subscribe({
    id: GITHUB_EPHEMERAL_SUBSCRIBER_ID,
    topics: [GITHUB_EVENTS_TOPIC],
    async onEvent(params) {
      const delivery = gitHubDeliveryOf(params);
      if (!branchChangeOf(delivery)) return;
      const repository = repositoryOf(delivery.payload);
      if (!repository) return;
      const now = options.now?.() ?? Date.now();
      const id = await options.store.addToInbox({
        name: delivery.name!,
        ...(delivery.deliveryId ? { deliveryId: delivery.deliveryId } : {}),
        repository,
        payload: delivery.payload,
        receivedAt: now,
      });
      await processInboxItem(
        { id, ...delivery, repository, attempts: 0 },
        options,
      );
    },
  });
}

async function processInboxItem(
  item: GitHubDelivery & { id: number; repository: string; attempts: number },
  options: GitHubEphemeralOptions,
): Promise<boolean> {
  const now = options.now?.() ?? Date.now();
  try {
    if (await processEphemeralDelivery(item, options)) {
      await options.store.removeFromInbox(item.id);
      return true;
    }
    await options.store.retryInboxLater(item.id, {
      error: `no catalog entity has github.com/project-slug ${item.repository} yet`,
      now,
      retryInMs: Math.min(10_000 * 2 ** item.attempts, 600_000),
    });
  } catch (error) {
    options.logger.warn(
      `Ephemeral environments: GitHub ${item.name} delivery ${
        item.deliveryId ?? item.id
      } failed, to be retried: ${error}`,
    );
    await options.store.retryInboxLater(item.id, {
      error: String(error),
      now,
      retryInMs: Math.min(10_000 * 2 ** item.attempts, 600_000),
    });
  }
  return false;
}

/** Retries the deliveries waiting in the inbox; returns how many were processed. */
export async function processEphemeralInbox(
  options: GitHubEphemeralOptions,
): Promise<number> {
  const now = options.now?.() ?? Date.now();
  let done = 0;
  for (const item of await options.store.dueInbox({ now, limit: 100 })) {
    if (
      await processInboxItem(
        {
          id: item.id,
          name: item.name,
          ...(item.deliveryId ? { deliveryId: item.deliveryId } : {}),
          payload: item.payload,
          repository: item.repository,
          attempts: item.attempts,
        },
        options,
      )
    ) {
      done++;
    }
  }
  return done;
}
