import {
  AuditorService,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  ANNOTATION_IMAGE_TEMPLATE,
  EPHEMERAL_LABEL,
  EPHEMERAL_LABEL_EXPIRATION,
  EPHEMERAL_LABEL_MANAGED_BY,
  EPHEMERAL_LABEL_PERSISTENT,
  EPHEMERAL_MANAGED_BY,
  EphemeralEnvironment,
  EphemeralEnvironmentsResponse,
  EphemeralSettings,
  SweepResponse,
  branchNameProblem,
  deliveryEnvironmentAdminPermission,
  deliveryEnvironmentCreatePermission,
  deliveryEnvironmentDeletePermission,
  ephemeralNamespaceName,
  extendedExpiry,
  formatLifetime,
  initialExpiry,
  isEphemeralBranch,
  parseExpirationLabel,
} from '@internal/plugin-delivery-common';
import { randomInt } from 'node:crypto';
import { UnprocessableError } from '../deployments/DeploymentService';
import { OwnershipChecker } from '../deployments/ownership';
import { imageForCommit, imageTemplateProblem } from '../deployments/plan';
import { RunEngine, RunStore } from '../engine';
import { GitHubProvider } from '../providers/github';
import { KubernetesProvider } from '../providers/kubernetes';
import { NamespaceProvider } from '../providers/kubernetes/NamespaceProvider';
import { DeliveryEntity } from '../services/EntityResolver';
import { Actor, ServiceAuthorizer } from '../services/ServiceAuthorizer';
import { stagesToApi } from '../services/stagesToApi';
import { EphemeralConfig, environmentLinks } from './config';
import {
  DatabaseEphemeralStore,
  EphemeralRecord,
  LIVE_STATUSES,
} from './DatabaseEphemeralStore';
import { expiryMetadata } from './manifests';
import { ENVIRONMENT_RUN_KIND, EnvironmentRunInput } from './types';

/** Who acts: a user through a route, or the portal itself (a push, the sweep). */
export type EnvironmentActor =
  | ({ type: 'user' } & Actor)
  | { type: 'system'; ref: string };

/** How people hear of environments (notifications, chat, signals). */
export interface EnvironmentEvents {
  changed(env: EphemeralRecord): Promise<void>;
  told(
    type: 'ready' | 'updated' | 'expiring' | 'deleted' | 'failed',
    env: EphemeralRecord,
    detail: string,
  ): Promise<void>;
}

/** The stages of a new environment, and of an update by a push. */
export function environmentStages(update: boolean) {
  return [
    { name: 'build', kind: 'build' },
    { name: 'namespace', kind: 'namespace' },
    { name: 'workload', kind: 'workload' },
    { name: 'rollout', kind: 'rollout' },
    ...(update ? [] : [{ name: 'copy-flags', kind: 'copy-flags' }]),
    { name: 'announce', kind: 'announce' },
  ];
}

function newId(now: Date): string {
  return `ENV-${now.getTime()}-${String(randomInt(0, 1_000_000)).padStart(
    6,
    '0',
  )}`;
}

/** Runs `fn` over `items`, `concurrency` at a time; returns each outcome in order. */
async function pool<T, R>(
  items: T[],
  concurrency: number,
  fn: (item: T) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = { status: 'fulfilled', value: await fn(items[i]) };
      } catch (reason) {
        results[i] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, worker),
  );
  return results;
}

/**
 * Ephemeral environments: created by a `deploy/*` push or a person, each a durable run (build,
 * namespace, workload, rollout, flags, announce); extended, made persistent, deleted; swept
 * when they expire. Every change is checked against permissions and written to the database
 * before the cluster is touched, so a replica that dies leaves work the next one finishes.
 */
export class EphemeralEnvironmentService {
  readonly #authorizer: ServiceAuthorizer;

  constructor(
    private readonly deps: {
      store: DatabaseEphemeralStore;
      config: EphemeralConfig;
      engine: RunEngine;
      runs: RunStore;
      kubernetes: KubernetesProvider;
      namespaces: NamespaceProvider;
      github: GitHubProvider;
      permissions: PermissionsService;
      imageTemplate: string;
      /** What the service's annotations point at (workloads, Jenkins job) must be its own. */
      ownership?: Pick<OwnershipChecker, 'problems'>;
      events: EnvironmentEvents;
      auditor?: AuditorService;
      logger: LoggerService;
      /** Deletions the sweep runs at once. Default 16. */
      sweepConcurrency?: number;
      now?: () => Date;
    },
  ) {
    this.#authorizer = new ServiceAuthorizer({ permissions: deps.permissions });
  }

  #now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  settings(): EphemeralSettings {
    const { config } = this.deps;
    return {
      enabled: config.enabled,
      cluster: config.cluster,
      branchPrefix: config.branchPrefix,
      ttlMinutes: Math.round(config.ttlMs / 60_000),
      maxLifetimeMinutes: Math.round(config.maxLifetimeMs / 60_000),
      extensionMinutes: config.extensionMs.map(ms => Math.round(ms / 60_000)),
      sweepIntervalMinutes: Math.round(config.sweepIntervalMs / 60_000),
      copyFrom: config.copyFrom.name,
    };
  }

  #requireEnabled() {
    if (!this.deps.config.enabled) {
      throw new ServiceUnavailableError(
        'Ephemeral environments are turned off here (delivery.ephemeral.enabled)',
      );
    }
  }

  // ---- reading ------------------------------------------------------------------------------

  async list(service: DeliveryEntity): Promise<EphemeralEnvironmentsResponse> {
    const records = await this.deps.store.listForEntity(service.entityRef, {
      deleted: 10,
    });
    return {
      items: await this.#toApi(records, { quota: true }),
      settings: this.settings(),
    };
  }

  async get(id: string): Promise<EphemeralEnvironment> {
    const env = await this.#find(id);
    const [api] = await this.#toApi([env], { quota: true });
    return api;
  }

  async #find(id: string): Promise<EphemeralRecord> {
    const env = await this.deps.store.get(id);
    if (!env) throw new NotFoundError(`No ephemeral environment ${id}`);
    return env;
  }

  links(env: EphemeralRecord): { appUrl?: string; dashboardUrl?: string } {
    return environmentLinks(this.deps.config, env);
  }

  async #toApi(
    records: EphemeralRecord[],
    options: { quota: boolean },
  ): Promise<EphemeralEnvironment[]> {
    const runIds = records.flatMap(r => (r.runId ? [r.runId] : []));
    const [stages, logs] = runIds.length
      ? await Promise.all([
          this.deps.runs.listStages({ runIds }),
          this.deps.runs.listLogs({ runIds }),
        ])
      : [[], []];
    const quotas = await Promise.all(
      records.map(async r => {
        if (!options.quota || !LIVE_STATUSES.includes(r.status)) return [];
        try {
          return await this.deps.namespaces.readQuotaUse({
            cluster: r.cluster,
            namespace: r.namespace,
          });
        } catch (error) {
          this.deps.logger.debug(
            `Could not read the quota of ${r.namespace}: ${error}`,
          );
          return [];
        }
      }),
    );
    const iso = (d: Date | undefined) => (d ? d.toISOString() : undefined);
    return records.map((r, i) => {
      const optional = (key: string, value: unknown) =>
        value === undefined ? {} : { [key]: value };
      return {
        id: r.id,
        entityRef: r.entityRef,
        branch: r.branch,
        commitSha: r.commitSha,
        namespace: r.namespace,
        cluster: r.cluster,
        status: r.status,
        createdBy: r.createdBy,
        createdAt: r.createdAt.toISOString(),
        updatedAt: r.updatedAt.toISOString(),
        expiresAt: r.expiresAt.toISOString(),
        persistent: r.persistent,
        ...optional('image', r.image),
        ...optional('statusReason', r.statusReason),
        ...optional('readyAt', iso(r.readyAt)),
        ...optional('deletedAt', iso(r.deletedAt)),
        ...optional('deletedBy', r.deletedBy),
        ...optional('build', r.build),
        ...(r.status === 'deleted' ? {} : this.links(r)),
        quota: quotas[i].map(q => {
          const ratio = quantity(q.used) / quantity(q.hard);
          return {
            resource: q.resource,
            hard: q.hard,
            used: q.used,
            ...(Number.isFinite(ratio) ? { ratio } : {}),
          };
        }),
        flags: r.flags ?? [],
        stages: stagesToApi(
          stages.filter(s => s.runId === r.runId),
          logs.filter(l => l.runId === r.runId),
        ),
      };
    });
  }

  // ---- permissions --------------------------------------------------------------------------

  async #may(
    permission:
      | typeof deliveryEnvironmentCreatePermission
      | typeof deliveryEnvironmentDeletePermission,
    entityRef: string,
    actor: EnvironmentActor,
  ): Promise<boolean> {
    if (actor.type === 'system') return true;
    return this.#authorizer.allowed(permission, entityRef, actor);
  }

  async #isAdmin(actor: EnvironmentActor): Promise<boolean> {
    if (actor.type === 'system') return true;
    const [decision] = await this.deps.permissions.authorize(
      [{ permission: deliveryEnvironmentAdminPermission }],
      { credentials: actor.credentials },
    );
    return decision.result === AuthorizeResult.ALLOW;
  }

  #who(actor: EnvironmentActor): string {
    return actor.type === 'user' ? actor.userEntityRef : actor.ref;
  }

  /** The creator may extend and delete their own; others need the permission on the service. */
  async #authorizeOn(
    env: EphemeralRecord,
    actor: EnvironmentActor,
    permission:
      | typeof deliveryEnvironmentCreatePermission
      | typeof deliveryEnvironmentDeletePermission,
    what: string,
  ) {
    if (actor.type === 'user' && actor.userEntityRef === env.createdBy) return;
    if (await this.#may(permission, env.entityRef, actor)) return;
    throw new NotAllowedError(
      `${this.#who(actor)} may not ${what} ${env.id} (${
        env.namespace
      }): only its creator (${env.createdBy}) and those with ${
        permission.name
      } on ${env.entityRef} may`,
    );
  }

  // ---- creating and updating ---------------------------------------------------------------

  /**
   * Creates the environment of a branch: checks the branch, the permission, the commit and the
   * image, then stores the environment and its run in one transaction. 409 when the branch
   * already has a live one.
   */
  async create(options: {
    service: DeliveryEntity;
    branch: string;
    commitSha?: string;
    ttlMs?: number;
    actor: EnvironmentActor;
    /** Who it is created for (a push's author); the actor by default. */
    createdBy?: string;
  }): Promise<EphemeralRecord> {
    this.#requireEnabled();
    const { service, branch, actor } = options;
    if (!isEphemeralBranch(branch)) {
      throw new InputError(
        `Only branches starting with ${this.deps.config.branchPrefix} get an ephemeral environment, not ${branch}`,
      );
    }
    const problem = branchNameProblem(branch);
    if (problem) throw new InputError(`${branch}: ${problem}`);
    if (
      !(await this.#may(
        deliveryEnvironmentCreatePermission,
        service.entityRef,
        actor,
      ))
    ) {
      throw new NotAllowedError(
        `${this.#who(actor)} may not create environments of ${
          service.entityRef
        }: it needs ${deliveryEnvironmentCreatePermission.name} on it`,
      );
    }
    const existing = await this.deps.store.findLive(service.entityRef, branch);
    if (existing) {
      throw new ConflictError(
        `${branch} already has the environment ${existing.id} (${existing.namespace}, ${existing.status}); a push to the branch updates it`,
      );
    }
    const now = this.#now();
    const expiry = initialExpiry(
      now,
      this.deps.config,
      options.ttlMs ?? this.deps.config.ttlMs,
    );
    if ('problem' in expiry) {
      throw new UnprocessableError(`Cannot create it: ${expiry.problem}`, [
        { code: 'lifetime', message: expiry.problem },
      ]);
    }
    const problems = (await this.deps.ownership?.problems(service)) ?? [];
    if (problems.some(p => p.kind === 'forbidden')) {
      throw new NotAllowedError(problems.map(p => p.message).join('; '));
    }
    if (problems.length > 0) {
      throw new UnprocessableError(
        problems.map(p => p.message).join('; '),
        problems.map(p => ({ code: 'ownership', message: p.message })),
      );
    }
    const commitSha = options.commitSha ?? (await this.#head(service, branch));
    const image = await this.#image(service, commitSha);
    const env: EphemeralRecord = {
      id: newId(now),
      entityRef: service.entityRef,
      branch,
      cluster: this.deps.config.cluster,
      namespace: ephemeralNamespaceName(service.entityRef, branch),
      commitSha,
      image,
      status: 'creating',
      createdBy: options.createdBy ?? this.#who(actor),
      createdAt: now,
      updatedAt: now,
      expiresAt: expiry.expiresAt,
      persistent: false,
    };
    env.runId = env.id;
    await this.deps.store.transaction(async trx => {
      await this.deps.store.insert(env, trx);
      await this.deps.engine.createRun({
        kind: ENVIRONMENT_RUN_KIND,
        id: env.id,
        subject: env.entityRef,
        input: this.#input(env, false),
        stages: environmentStages(false),
        transaction: trx,
      });
    });
    this.#audit('ephemeral-environment-create', actor, env, {
      branch,
      commitSha,
      expiresAt: env.expiresAt.toISOString(),
    });
    await this.deps.events.changed(env);
    return env;
  }

  #input(env: EphemeralRecord, update: boolean): EnvironmentRunInput {
    return {
      environmentId: env.id,
      entityRef: env.entityRef,
      branch: env.branch,
      commitSha: env.commitSha,
      image: env.image ?? '',
      cluster: env.cluster,
      namespace: env.namespace,
      update,
    };
  }

  async #head(service: DeliveryEntity, branch: string): Promise<string> {
    let commits;
    try {
      commits = await this.deps.github.listCommits(
        service.projectSlug,
        branch,
        1,
      );
    } catch (error) {
      if (
        error instanceof NotFoundError ||
        (error as { statusCode?: number }).statusCode === 404
      ) {
        throw new UnprocessableError(
          `${service.projectSlug} has no branch ${branch}`,
          [{ code: 'branch', message: `no branch ${branch}` }],
        );
      }
      throw error;
    }
    if (commits.length === 0) {
      throw new UnprocessableError(
        `${service.projectSlug} has no branch ${branch}`,
        [{ code: 'branch', message: `no branch ${branch}` }],
      );
    }
    return commits[0].sha;
  }

  /** The image a commit is deployed as: the template over the image UAT runs. */
  async #image(service: DeliveryEntity, commitSha: string): Promise<string> {
    const from = this.deps.config.copyFrom;
    const running = await this.deps.kubernetes.findWorkload({
      cluster: from.cluster,
      namespace: service.kubernetesNamespace ?? from.namespace,
      kubernetesId: service.kubernetesId,
    });
    const runningImage = running?.version?.image;
    if (!runningImage) {
      throw new ConflictError(
        `No Deployment labelled backstage.io/kubernetes-id=${service.kubernetesId} runs in ${from.name} (${from.cluster}): there is no workload to copy into an environment`,
      );
    }
    const template =
      service.entity.metadata.annotations?.[ANNOTATION_IMAGE_TEMPLATE] ??
      this.deps.imageTemplate;
    const problem = imageTemplateProblem(template);
    if (problem) {
      throw new UnprocessableError(`${service.entityRef}: ${problem}`, [
        { code: 'image-template', message: problem },
      ]);
    }
    return imageForCommit(runningImage, commitSha, template);
  }

  /**
   * A push to a `deploy/*` branch: creates its environment, or updates the live one to the new
   * commit (its current run is stopped and a new one builds and deploys the commit). The same
   * commit again changes nothing. Returns the environment, or undefined when nothing was done.
   */
  async pushed(options: {
    service: DeliveryEntity;
    branch: string;
    /** The branch's new head; looked up when the delivery does not say (`create`). */
    commitSha?: string;
    pusher: string;
  }): Promise<EphemeralRecord | undefined> {
    if (!this.deps.config.enabled) return undefined;
    const commitSha =
      options.commitSha ?? (await this.#head(options.service, options.branch));
    const actor: EnvironmentActor = { type: 'system', ref: 'delivery' };
    const existing = await this.deps.store.findLive(
      options.service.entityRef,
      options.branch,
    );
    if (!existing) {
      try {
        return await this.create({
          service: options.service,
          branch: options.branch,
          commitSha,
          actor,
          createdBy: options.pusher,
        });
      } catch (error) {
        // Two deliveries of one push (a redelivery), or a push and a click, at once.
        if (error instanceof ConflictError) return undefined;
        // What retrying cannot change: say why, and drop the delivery.
        if (
          error instanceof NotAllowedError ||
          error instanceof UnprocessableError ||
          error instanceof InputError
        ) {
          this.deps.logger.warn(
            `No environment for ${options.branch} of ${options.service.entityRef}: ${error.message}`,
          );
          return undefined;
        }
        throw error;
      }
    }
    if (existing.status === 'deleting') return undefined;
    if (existing.commitSha === commitSha) {
      // The same commit again (a redelivery) changes nothing, unless the environment was made
      // and its namespace is gone (deleted by hand, a cluster rebuilt): then it is made again.
      const made = existing.status === 'ready' || existing.status === 'failed';
      if (
        !made ||
        (await this.deps.namespaces.namespaceExists({
          cluster: existing.cluster,
          name: existing.namespace,
        }))
      ) {
        return undefined;
      }
    }
    const now = this.#now();
    const image = await this.#image(options.service, commitSha);
    const runId = newId(now);
    const previousRun = existing.runId;
    const updated = await this.deps.store.transaction(async trx => {
      const changed = await this.deps.store.update(
        existing.id,
        {
          commitSha,
          image,
          runId,
          status: existing.readyAt ? 'updating' : 'creating',
          statusReason: null,
        },
        {
          statuses: LIVE_STATUSES,
          at: now,
          transaction: trx,
          ...(previousRun ? { runId: previousRun } : {}),
        },
      );
      if (!changed) return undefined;
      await this.deps.engine.createRun({
        kind: ENVIRONMENT_RUN_KIND,
        id: runId,
        subject: existing.entityRef,
        input: this.#input(changed, true),
        // Made again from nothing: its flags too.
        stages: environmentStages(existing.commitSha !== commitSha),
        transaction: trx,
      });
      return changed;
    });
    if (!updated) return undefined;
    if (previousRun) {
      await this.deps.engine.requestCancel({
        id: previousRun,
        by: 'delivery',
        reason: `Superseded by a push of ${commitSha.slice(0, 7)}`,
      });
    }
    this.#audit('ephemeral-environment-update', actor, updated, {
      commitSha,
      pusher: options.pusher,
    });
    await this.deps.events.changed(updated);
    return updated;
  }

  // ---- lifetime -----------------------------------------------------------------------------

  /** Moves the expiry by `byMs`: the record, then the namespace's label and annotation. */
  async extend(
    id: string,
    byMs: number,
    actor: EnvironmentActor,
  ): Promise<EphemeralRecord> {
    this.#requireEnabled();
    const env = await this.#find(id);
    await this.#authorizeOn(
      env,
      actor,
      deliveryEnvironmentCreatePermission,
      'extend',
    );
    if (!LIVE_STATUSES.includes(env.status)) {
      throw new ConflictError(`${id} is ${env.status}; it cannot be extended`);
    }
    if (env.persistent) {
      throw new ConflictError(`${id} is persistent; it does not expire`);
    }
    const now = this.#now();
    const next = extendedExpiry(env, byMs, now, this.deps.config);
    if ('problem' in next) {
      throw new UnprocessableError(`Cannot extend ${id}: ${next.problem}`, [
        { code: 'lifetime', message: next.problem },
      ]);
    }
    const updated = await this.deps.store.update(
      id,
      { expiresAt: next.expiresAt },
      { statuses: LIVE_STATUSES, at: now },
    );
    if (!updated) {
      throw new ConflictError(`${id} was deleted meanwhile`);
    }
    await this.#relabel(updated);
    this.#audit('ephemeral-environment-extend', actor, updated, {
      byMinutes: Math.round(byMs / 60_000),
      from: env.expiresAt.toISOString(),
      to: updated.expiresAt.toISOString(),
    });
    await this.deps.events.changed(updated);
    return updated;
  }

  /** Writes the expiry and persistence to the namespace (absent yet: its run will). */
  async #relabel(env: EphemeralRecord) {
    await this.deps.namespaces.patchNamespaceMetadata({
      cluster: env.cluster,
      name: env.namespace,
      ...expiryMetadata(env),
    });
  }

  /** Admins only: a persistent environment is left by the sweep. */
  async setPersistent(
    id: string,
    persistent: boolean,
    actor: EnvironmentActor,
  ): Promise<EphemeralRecord> {
    this.#requireEnabled();
    if (!(await this.#isAdmin(actor))) {
      throw new NotAllowedError(
        `${this.#who(actor)} may not make environments persistent: it needs ${
          deliveryEnvironmentAdminPermission.name
        }`,
      );
    }
    const env = await this.#find(id);
    if (!LIVE_STATUSES.includes(env.status)) {
      throw new ConflictError(`${id} is ${env.status}`);
    }
    const now = this.#now();
    const updated = await this.deps.store.update(
      id,
      {
        persistent,
        // Ephemeral again: it lives on for at least the default lifetime from now.
        ...(!persistent &&
        env.expiresAt.getTime() < now.getTime() + this.deps.config.ttlMs
          ? { expiresAt: new Date(now.getTime() + this.deps.config.ttlMs) }
          : {}),
      },
      { statuses: LIVE_STATUSES, at: now },
    );
    if (!updated) throw new ConflictError(`${id} was deleted meanwhile`);
    await this.#relabel(updated);
    this.#audit('ephemeral-environment-persistence', actor, updated, {
      persistent,
    });
    await this.deps.events.changed(updated);
    return updated;
  }

  /**
   * Deletes an environment now: marks it `deleting`, stops its run, deletes the namespace and
   * marks it deleted. A deletion that fails half-way stays `deleting`; the sweep finishes it.
   */
  async delete(
    id: string,
    actor: EnvironmentActor,
    reason: string,
  ): Promise<EphemeralRecord> {
    this.#requireEnabled();
    const env = await this.#find(id);
    if (env.status === 'deleted') return env;
    await this.#authorizeOn(
      env,
      actor,
      deliveryEnvironmentDeletePermission,
      'delete',
    );
    if (env.persistent && !(await this.#isAdmin(actor))) {
      throw new NotAllowedError(
        `${id} is persistent: only an admin (${deliveryEnvironmentAdminPermission.name}) may delete it`,
      );
    }
    const now = this.#now();
    const deleting = await this.deps.store.update(
      id,
      { status: 'deleting', statusReason: reason },
      { at: now },
    );
    if (!deleting) return (await this.deps.store.get(id)) ?? env;
    if (env.runId) {
      await this.deps.engine.requestCancel({
        id: env.runId,
        by: this.#who(actor),
        reason: `The environment is being deleted: ${reason}`,
      });
    }
    await this.deps.events.changed(deleting);
    await this.deps.namespaces.deleteNamespace({
      cluster: env.cluster,
      name: env.namespace,
    });
    await this.deps.store.markDeleted([id], {
      by: this.#who(actor),
      reason,
      at: this.#now(),
    });
    const deleted = (await this.deps.store.get(id))!;
    this.#audit('ephemeral-environment-delete', actor, deleted, { reason });
    await this.deps.events.changed(deleted);
    await this.deps.events.told('deleted', deleted, reason);
    return deleted;
  }

  /** A `deploy/*` branch was deleted, or its pull request merged: its environment goes. */
  async branchGone(options: {
    entityRef: string;
    branch: string;
    reason: string;
  }): Promise<EphemeralRecord | undefined> {
    if (!this.deps.config.enabled) return undefined;
    const env = await this.deps.store.findLive(
      options.entityRef,
      options.branch,
    );
    if (!env || env.persistent) return undefined;
    return this.delete(
      env.id,
      { type: 'system', ref: 'delivery' },
      options.reason,
    );
  }

  /**
   * The sweep: deletes the namespaces of expired environments (and finishes deletions that
   * stopped half-way), then expired namespaces labelled as ephemeral that no live environment
   * owns (an environment deleted while its run was creating the namespace). Idempotent: a
   * namespace already gone counts as deleted; two sweeps at once never claim the same
   * environment.
   */
  async sweep(actor: EnvironmentActor): Promise<SweepResponse> {
    this.#requireEnabled();
    if (actor.type === 'user' && !(await this.#isAdmin(actor))) {
      throw new NotAllowedError(
        `${this.#who(actor)} may not run the sweep: it needs ${
          deliveryEnvironmentAdminPermission.name
        }`,
      );
    }
    const started = Date.now();
    const now = this.#now();
    const { store, namespaces, config } = this.deps;
    const concurrency = this.deps.sweepConcurrency ?? 16;
    const claimed = await store.claimExpired({
      sweepId: `sweep-${now.getTime()}-${randomInt(0, 1_000_000)}`,
      now,
      staleMs: 5 * 60_000,
      limit: 5000,
    });
    const deleted: string[] = [];
    const failed: SweepResponse['failed'] = [];
    // The orphan check reads the database and the cluster while the deletes run: the claimed
    // environments are still live in the database then, and are left out by name anyway.
    const claimedNames = new Set(claimed.map(e => e.namespace));
    const [results, live, labelled] = await Promise.all([
      pool(claimed, concurrency, env =>
        namespaces.deleteNamespace({
          cluster: env.cluster,
          name: env.namespace,
        }),
      ),
      store.liveEnvironments(config.cluster),
      namespaces.listNamespaces({
        cluster: config.cluster,
        labelSelector: `${EPHEMERAL_LABEL}=true,${EPHEMERAL_LABEL_MANAGED_BY}=${EPHEMERAL_MANAGED_BY}`,
      }),
    ]);
    const gone: EphemeralRecord[] = [];
    results.forEach((result, i) => {
      const env = claimed[i];
      if (result.status === 'fulfilled') {
        gone.push(env);
        deleted.push(env.namespace);
      } else {
        failed.push({
          namespace: env.namespace,
          reason: String(result.reason?.message ?? result.reason),
        });
      }
    });
    const by = this.#who(actor);
    const marked = new Set(
      await store.markDeleted(
        gone.map(e => e.id),
        {
          by,
          reason: 'expired',
          at: this.#now(),
        },
      ),
    );
    const liveNames = new Set(live.map(e => e.namespace));
    // Orphans: expired namespaces of ours that no live environment owns.
    const orphans = labelled.filter(ns => {
      if (liveNames.has(ns.name) || claimedNames.has(ns.name)) return false;
      if (ns.phase === 'Terminating') return false;
      if (ns.labels[EPHEMERAL_LABEL_PERSISTENT] === 'true') return false;
      const expires = parseExpirationLabel(
        ns.labels[EPHEMERAL_LABEL_EXPIRATION] ?? '',
      );
      return expires !== undefined && expires.getTime() <= now.getTime();
    });
    const orphanResults = await pool(orphans, concurrency, ns =>
      namespaces.deleteNamespace({ cluster: config.cluster, name: ns.name }),
    );
    orphanResults.forEach((result, i) => {
      // Another sweep may have deleted it first (false): not counted twice.
      if (result.status === 'fulfilled') {
        if (result.value) deleted.push(orphans[i].name);
      } else {
        failed.push({
          namespace: orphans[i].name,
          reason: String(result.reason?.message ?? result.reason),
        });
      }
    });
    // Vanished: environments that were made, whose namespace someone deleted outside the
    // portal (or a cluster that lost it). They are over; a push of the branch makes a new one.
    const present = new Set(labelled.map(ns => ns.name));
    const vanished = live.filter(
      e =>
        (e.status === 'ready' || e.status === 'failed') &&
        !present.has(e.namespace) &&
        !claimedNames.has(e.namespace) &&
        now.getTime() - e.updatedAt.getTime() > 60_000,
    );
    const vanishedReason = 'its namespace was deleted outside the portal';
    const markedVanished = new Set(
      await store.markDeleted(
        vanished.map(e => e.id),
        { by, reason: vanishedReason, at: this.#now() },
      ),
    );
    const durationMs = Date.now() - started;
    const done = gone.filter(e => marked.has(e.id));
    for (const env of done) {
      this.#audit('ephemeral-environment-delete', actor, env, {
        reason: 'expired',
      });
    }
    if (orphans.length > 0) {
      this.deps.auditor
        ?.createEvent({
          eventId: 'ephemeral-environment-delete',
          severityLevel: 'medium',
          meta: {
            actor: by,
            orphans: orphans.map(o => o.name),
            reason: 'expired, owned by no live environment',
          },
        })
        .then(e => e.success())
        .catch(() => {});
    }
    for (const env of vanished.filter(e => markedVanished.has(e.id))) {
      this.deps.logger.warn(
        `Ephemeral environment ${env.id}: ${vanishedReason} (${env.namespace}); marked deleted`,
      );
      const record = await store.get(env.id);
      if (record) {
        this.#audit('ephemeral-environment-delete', actor, record, {
          reason: vanishedReason,
        });
        void this.deps.events.changed(record);
      }
    }
    // People are told after the sweep, so that telling them never slows it down.
    void this.#tellDeleted(done);
    return { deleted, failed, durationMs };
  }

  async #tellDeleted(envs: EphemeralRecord[]) {
    await pool(envs, 4, async env => {
      const deletedEnv = { ...env, status: 'deleted' as const };
      await this.deps.events.changed(deletedEnv);
      await this.deps.events.told(
        'deleted',
        deletedEnv,
        `it expired at ${env.expiresAt.toISOString()}`,
      );
    });
  }

  /** Tells creators of environments expiring within the reminder window, once per expiry. */
  async remind(): Promise<number> {
    if (!this.deps.config.enabled) return 0;
    const now = this.#now();
    const due = await this.deps.store.dueForReminder({
      now,
      before: new Date(now.getTime() + this.deps.config.reminderBeforeMs),
    });
    let told = 0;
    for (const env of due) {
      if (!(await this.deps.store.claimReminder(env.id, env.expiresAt))) {
        continue;
      }
      told++;
      await this.deps.events.told(
        'expiring',
        env,
        `it expires in ${formatLifetime(
          env.expiresAt.getTime() - now.getTime(),
        )} (${env.expiresAt.toISOString()}); extend it from the Environments tab`,
      );
    }
    return told;
  }

  #audit(
    eventId: string,
    actor: EnvironmentActor,
    env: EphemeralRecord,
    meta: Record<string, unknown>,
  ) {
    // Route actions are audited by the router with the request; the portal's own here.
    if (actor.type === 'user' || !this.deps.auditor) return;
    this.deps.auditor
      .createEvent({
        eventId,
        severityLevel: 'medium',
        meta: {
          actor: actor.ref,
          environment: env.id,
          entityRef: env.entityRef,
          namespace: env.namespace,
          ...meta,
        },
      })
      .then(event => event.success())
      .catch(error =>
        this.deps.logger.warn(
          `Could not audit ${eventId} of ${env.id}: ${error}`,
        ),
      );
  }
}

const UNITS: Record<string, number> = {
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

/** A Kubernetes quantity as a number (`500m` → 0.5, `1Gi` → 1073741824); NaN when unknown. */
export function quantity(value: string): number {
  const m = /^([0-9.]+)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(value.trim());
  if (!m) return NaN;
  return Number(m[1]) * (m[2] ? UNITS[m[2]] : 1);
}
