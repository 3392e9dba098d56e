import {
  ConflictError,
  CustomErrorBase,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import {
  Decision,
  DecisionsResponse,
  Incident,
  IncidentsResponse,
  Rollback,
  RollbacksResponse,
  StageKind,
  StartRollbackRequest,
  deliveryRollbackPermission,
  stableConfigMapName,
  stableRollbackEnvironments,
} from '@internal/plugin-delivery-common';
import { randomInt } from 'node:crypto';
import { EnvironmentConfig } from '../config';
import { DeploymentStore } from '../database/DeploymentStore';
import { Backup, BackupState } from '../deployments/types';
import { RunEngine, RunStore, StagePlan } from '../engine';
import { KubernetesProvider } from '../providers/kubernetes';
import { DeliveryEntity } from '../services/EntityResolver';
import { Actor, ServiceAuthorizer } from '../services/ServiceAuthorizer';
import { stagesToApi } from '../services/stagesToApi';
import { DatabaseDecisionStore } from './DatabaseDecisionStore';
import {
  DatabaseRollbackStore,
  IncidentRecord,
  RollbackLevel,
  RollbackRecord,
} from './DatabaseRollbackStore';
import { Analysis, HealthAnalysisService } from './HealthAnalysisService';
import { ROLLBACK_RUN_KIND, RollbackRunInput } from './types';
import { SYSTEM_ACTOR } from '../deployments/stages/rollback';

/** `RB-` + 13-digit ms + `-` + 6 random digits (like deployment tokens, sortable). */
function newId(prefix: string, now: Date): string {
  return `${prefix}-${String(now.getTime()).padStart(13, '0')}-${String(
    randomInt(0, 1_000_000),
  ).padStart(6, '0')}`;
}

/** A rollback that cannot be planned at that level (422), saying what to do instead. */
export class UnprocessableRollback extends CustomErrorBase {
  name = 'UnprocessableError' as const;
  readonly statusCode = 422;
}

const LEVEL_NAMES: Record<RollbackLevel, string> = {
  1: 'flag off',
  2: 'stable-version rollback',
  3: 'reroute, then restore',
  5: 'restore from backup',
  6: 'escalation',
};

/** Who starts a rollback: a person, or the automation acting on a decision. */
export type RollbackActor =
  | { type: 'user'; actor: Actor }
  | { type: 'automation'; decisionId: string; detectedAt: Date };

/**
 * Rollbacks as people and the automation start them: checks, the plan of the level's stages
 * (level 2 canary first), the queue lock, the incident, and the run; and what the Rollback tab
 * reads (rollbacks, incidents, decisions).
 */
export class RollbackService {
  readonly #authorizer: ServiceAuthorizer;

  constructor(
    private readonly deps: {
      store: DatabaseRollbackStore;
      decisions: DatabaseDecisionStore;
      analysis: HealthAnalysisService;
      engine: RunEngine;
      runs: RunStore;
      deployments: Pick<
        DeploymentStore,
        'listQueue' | 'listHistory' | 'getLock' | 'lock'
      >;
      kubernetes: KubernetesProvider;
      environments: EnvironmentConfig[];
      permissions: ConstructorParameters<
        typeof ServiceAuthorizer
      >[0]['permissions'];
      userInfo: ConstructorParameters<typeof ServiceAuthorizer>[0]['userInfo'];
      onCallGroup?: string;
      /** Told when a rollback starts. */
      started?(
        rollback: RollbackRecord,
        incident: IncidentRecord,
      ): Promise<void>;
      now?: () => Date;
    },
  ) {
    this.#authorizer = new ServiceAuthorizer(deps);
  }

  #now() {
    return this.deps.now?.() ?? new Date();
  }

  /** Whether the actor may start rollbacks of the service (owners and the on-call group). */
  async mayRollBack(entityRef: string, actor: Actor): Promise<boolean> {
    return (
      (await this.#authorizer.allowed(
        deliveryRollbackPermission,
        entityRef,
        actor,
      )) || (await this.#authorizer.onCall(actor))
    );
  }

  /** Starts a rollback; throws 400/403/409/422 and changes nothing when it may not. */
  async start(
    service: DeliveryEntity,
    request: StartRollbackRequest,
    by: RollbackActor,
    analysis?: Analysis,
  ): Promise<Rollback> {
    const level = request.level as RollbackLevel;
    const env = this.deps.environments.find(
      e => e.name === request.environment,
    );
    if (!env) {
      throw new InputError(
        `No environment '${
          request.environment
        }'; delivery.environments lists ${this.deps.environments
          .map(e => `'${e.name}'`)
          .join(', ')}`,
      );
    }
    const requestedBy =
      by.type === 'user' ? by.actor.userEntityRef : SYSTEM_ACTOR;
    if (
      by.type === 'user' &&
      !(await this.mayRollBack(service.entityRef, by.actor))
    ) {
      throw new NotAllowedError(
        `${requestedBy} may not roll back ${service.entityRef}: only its owners and the on-call group may`,
      );
    }
    const running = await this.deps.store.running({
      entityRef: service.entityRef,
    });
    if (running) {
      throw new ConflictError(
        `A rollback of ${service.entityRef} is running (${running.id}, level ${running.level} in ${running.environment}, by ${running.requestedBy}); wait for it to finish`,
      );
    }
    const found =
      analysis ?? (await this.deps.analysis.analyze(service, env.name));
    const now = this.#now();
    const id = newId('RB', now);
    const incidentId = newId('INC', now);
    const input: RollbackRunInput = {
      id,
      entityRef: service.entityRef,
      environment: env.name,
      level,
      reason: request.reason,
      requestedBy,
      automated: by.type === 'automation',
      kubernetesId: service.kubernetesId,
      ...(service.kubernetesNamespace
        ? { kubernetesNamespace: service.kubernetesNamespace }
        : {}),
      ...(found.deployment ? { deploymentToken: found.deployment.token } : {}),
      incidentId,
    };
    const stages = await this.#plan(service, env, input, found);
    const targetVersion = (input.target ?? input.backup)?.commitSha;
    const rollback: Omit<RollbackRecord, 'status'> = {
      id,
      entityRef: service.entityRef,
      environment: env.name,
      level,
      reason: request.reason,
      requestedBy,
      automated: input.automated,
      ...(by.type === 'automation' ? { decisionId: by.decisionId } : {}),
      ...(input.deploymentToken
        ? { deploymentToken: input.deploymentToken }
        : {}),
      ...(input.flags ? { flags: input.flags } : {}),
      ...(targetVersion ? { targetVersion } : {}),
      createdAt: now,
    };
    const incident: IncidentRecord = {
      id: incidentId,
      entityRef: service.entityRef,
      environment: env.name,
      ...(input.deploymentToken
        ? { deploymentToken: input.deploymentToken }
        : {}),
      level,
      reason: request.reason,
      severity: found.decision.severity,
      startedAt: by.type === 'automation' ? by.detectedAt : now,
      actedBy: requestedBy,
      rollbackId: id,
    };
    await this.deps.store.transaction(async transaction => {
      await this.deps.store.createRollback({ rollback, transaction });
      await this.deps.store.openIncident({ incident, transaction });
      await this.deps.engine.createRun({
        kind: ROLLBACK_RUN_KIND,
        id,
        subject: service.entityRef,
        input,
        stages,
        transaction,
      });
    });
    if (by.type === 'automation') {
      await this.deps.decisions.actedBy(by.decisionId, id);
    } else {
      // What the engine saw when a person chose the level: their choice and its figures, side by
      // side in the history.
      const record = await this.deps.decisions.record({
        entityRef: service.entityRef,
        environment: env.name,
        decidedAt: now,
        decidedBy: requestedBy,
        decision: found.decision,
        inputs: {
          figures: found.figures,
          flags: found.flags,
          history: found.history,
          thresholds: this.deps.analysis.thresholds,
          windowSeconds: found.window.seconds,
        },
      });
      await this.deps.decisions.actedBy(record.id, id);
    }
    // Nothing else deploys until an owner has looked: the lock stays after the rollback.
    if (
      !(await this.deps.deployments.getLock({ entityRef: service.entityRef }))
    ) {
      await this.deps.deployments.lock({
        lock: {
          entityRef: service.entityRef,
          lockedBy: SYSTEM_ACTOR,
          reason: `Rollback ${id} (level ${level}, ${LEVEL_NAMES[level]} in ${env.name}) by ${requestedBy}: ${request.reason}. Unlock once the cause is understood.`,
          lockedAt: now,
        },
      });
    }
    // A deployment still running is stopped: its own compensation returns what it changed,
    // and the rollback's writing stages wait for it.
    const deploying = (
      await this.deps.deployments.listQueue({ entityRef: service.entityRef })
    ).find(d => d.status === 'running');
    if (deploying) {
      await this.deps.engine.requestCancel({
        id: deploying.token,
        by: requestedBy,
        reason: `Stopped for rollback ${id}: ${request.reason}`,
      });
    }
    const stored = (await this.deps.store.getRollback({ id }))!;
    await this.deps.started?.(stored, incident);
    return this.get(id);
  }

  /** The stages of a level. Level 2 returns every environment up to the failing one, canary first. */
  async #plan(
    service: DeliveryEntity,
    env: EnvironmentConfig,
    input: RollbackRunInput,
    analysis: Analysis,
  ): Promise<StagePlan[]> {
    const stage = (
      e: string,
      kind: StageKind,
      name: string = kind,
    ): StagePlan => ({
      name: `${e}.${name}`,
      kind,
      environment: e,
    });
    switch (input.level) {
      case 1: {
        const on = analysis.flags.filter(f => f.on).map(f => f.key);
        const flags = input.flags ?? on;
        const wanted = this.#requested(flags, on);
        if (wanted.length === 0) {
          throw new UnprocessableRollback(
            `No flag of the newest change is on in ${env.name}: a flag-off cannot help; roll back to the stable version (level 2) instead`,
          );
        }
        input.flags = wanted;
        return [stage(env.name, 'flags-off'), stage(env.name, 'verify')];
      }
      case 2: {
        const chain = this.#canaryFirst(env);
        const { stable: target } = await this.targets(
          service,
          env.name,
          analysis.workload?.version?.commitSha,
        );
        if (!target) {
          throw new UnprocessableRollback(
            `No stable version of ${
              service.entityRef
            } is recorded (ConfigMap ${stableConfigMapName(
              service.kubernetesId,
            )}) in ${chain
              .map(e => e.name)
              .join(
                ' or ',
              )}: restore the pre-deployment backup (level 5) instead`,
          );
        }
        input.target = target;
        return chain.flatMap(e => [
          stage(e.name, 'stable-rollback'),
          stage(e.name, 'verify'),
        ]);
      }
      case 3:
      case 5: {
        const backup = await this.#backup(service, env.name);
        if (!backup) {
          throw new UnprocessableRollback(
            `No pre-deployment backup of ${env.name} is recorded: no deployment of ${service.entityRef} through the portal changed it lately`,
          );
        }
        input.backup = backup;
        return input.level === 3
          ? [
              stage(env.name, 'reroute'),
              stage(env.name, 'restore'),
              stage(env.name, 'reroute', 'traffic-back'),
              stage(env.name, 'verify'),
            ]
          : [stage(env.name, 'restore'), stage(env.name, 'verify')];
      }
      case 6:
        return [{ name: 'escalate', kind: 'escalate' }];
      default:
        throw new InputError(`Unknown rollback level ${input.level}`);
    }
  }

  /** The flags asked for, each of which must be one of the change's that is on. */
  #requested(flags: string[], on: string[]): string[] {
    const unknown = flags.filter(f => !on.includes(f));
    if (unknown.length > 0) {
      throw new UnprocessableRollback(
        `${unknown.join(', ')} ${
          unknown.length === 1 ? 'is' : 'are'
        } not a flag of the newest change that is on here (on: ${
          on.join(', ') || 'none'
        })`,
      );
    }
    return [...new Set(flags)];
  }

  /** The environments a level-2 rollback of `env` returns, canary first (delivery-common's rule). */
  #canaryFirst(env: EnvironmentConfig): EnvironmentConfig[] {
    const all = this.deps.environments;
    return stableRollbackEnvironments(
      env.name,
      all.map(e => e.name),
    ).map(name => all.find(e => e.name === name)!);
  }

  /**
   * Where the rollbacks of an environment return to, read once: the pre-deployment backup a
   * restore (levels 3 and 5) returns to, and the version of a level-2 rollback. That is the one
   * marked stable (the failing environment's record first, then the earlier ones'), or, when the
   * failing version is itself the one marked stable (it passed the pipeline and went bad later),
   * the version it replaced there: its backup, which was the stable one before it.
   */
  async targets(
    service: DeliveryEntity,
    environment: string,
    running: string | undefined,
  ): Promise<{
    stable?: { commitSha: string; image: string };
    backup?: Backup;
  }> {
    const env = this.deps.environments.find(e => e.name === environment);
    if (!env) return {};
    const [marked, backup] = await Promise.all([
      this.#stable(service, this.#canaryFirst(env)),
      this.#backup(service, environment),
    ]);
    let stable = marked;
    if (marked?.commitSha === running) {
      stable =
        backup && backup.commitSha !== running
          ? { commitSha: backup.commitSha, image: backup.image }
          : undefined;
    }
    return { ...(stable ? { stable } : {}), ...(backup ? { backup } : {}) };
  }

  /** The stable version recorded in the environments (the failing one's first). */
  async #stable(
    service: DeliveryEntity,
    chain: EnvironmentConfig[],
  ): Promise<{ commitSha: string; image: string } | undefined> {
    for (const e of [...chain].reverse()) {
      const data = await this.deps.kubernetes.readConfigMap({
        cluster: e.cluster,
        namespace: service.kubernetesNamespace ?? e.namespace,
        name: stableConfigMapName(service.kubernetesId),
      });
      if (data?.commitSha && data.image) {
        return { commitSha: data.commitSha, image: data.image };
      }
    }
    return undefined;
  }

  /** The backup the newest deployment that changed the environment recorded. */
  async #backup(
    service: DeliveryEntity,
    environment: string,
  ): Promise<Backup | undefined> {
    const [queue, history] = await Promise.all([
      this.deps.deployments.listQueue({ entityRef: service.entityRef }),
      this.deps.deployments.listHistory({
        entityRef: service.entityRef,
        limit: 20,
      }),
    ]);
    const tokens = [
      ...queue.filter(d => d.status === 'running'),
      ...history.filter(d => d.startedAt),
    ].map(d => d.token);
    if (tokens.length === 0) return undefined;
    const stages = await this.deps.runs.listStages({ runIds: tokens });
    for (const token of tokens) {
      const backup = stages.find(
        s =>
          s.runId === token &&
          s.kind === 'backup' &&
          s.environment === environment &&
          (s.state as BackupState).backup,
      );
      const deploy = stages.find(
        s =>
          s.runId === token &&
          s.kind === 'deploy' &&
          s.environment === environment,
      );
      // Only a deployment that wrote there has something to restore.
      if (
        backup &&
        deploy &&
        deploy.status !== 'pending' &&
        deploy.status !== 'skipped'
      ) {
        return (backup.state as BackupState).backup;
      }
    }
    return undefined;
  }

  async get(id: string): Promise<Rollback> {
    const record = await this.deps.store.getRollback({ id });
    if (!record) throw new NotFoundError(`No rollback ${id}`);
    const [converted] = await this.#toApi([record]);
    return converted;
  }

  async list(service: DeliveryEntity): Promise<RollbacksResponse> {
    const records = await this.deps.store.listRollbacks({
      entityRef: service.entityRef,
      limit: 20,
    });
    return { items: await this.#toApi(records) };
  }

  async incidents(service: DeliveryEntity): Promise<IncidentsResponse> {
    const items = await this.deps.store.listIncidents({
      entityRef: service.entityRef,
      limit: 20,
    });
    return { items: items.map(incidentToApi) };
  }

  async decisions(
    service: DeliveryEntity,
    environment?: string,
  ): Promise<DecisionsResponse> {
    const records = await this.deps.decisions.list({
      entityRef: service.entityRef,
      ...(environment ? { environment } : {}),
      limit: 30,
    });
    return {
      items: records.map(r => ({
        id: r.id,
        environment: r.environment,
        decidedAt: r.decidedAt.toISOString(),
        decidedBy: r.decidedBy,
        decision: r.decision as Decision,
        figures: r.inputs.figures,
        flags: r.inputs.flags,
        windowSeconds: r.inputs.windowSeconds,
        ...(r.runId ? { runId: r.runId } : {}),
      })),
    };
  }

  /** Rollbacks with their stages, logs and incidents, in four queries whatever their number. */
  async #toApi(records: RollbackRecord[]): Promise<Rollback[]> {
    if (records.length === 0) return [];
    const ids = records.map(r => r.id);
    const [stages, logs, incidents] = await Promise.all([
      this.deps.runs.listStages({ runIds: ids }),
      this.deps.runs.listLogs({ runIds: ids }),
      this.deps.store.incidentsOf({ rollbackIds: ids }),
    ]);
    const iso = (d?: Date) => d?.toISOString();
    return records.map(r => {
      const incident = incidents.find(i => i.rollbackId === r.id);
      return {
        id: r.id,
        entityRef: r.entityRef,
        environment: r.environment,
        level: r.level,
        reason: r.reason,
        requestedBy: r.requestedBy,
        automated: r.automated,
        ...(r.decisionId ? { decisionId: r.decisionId } : {}),
        ...(r.deploymentToken ? { deploymentToken: r.deploymentToken } : {}),
        ...(r.flags ? { flags: r.flags } : {}),
        ...(r.targetVersion ? { targetVersion: r.targetVersion } : {}),
        status: r.status,
        ...(r.outcomeReason ? { outcomeReason: r.outcomeReason } : {}),
        createdAt: r.createdAt.toISOString(),
        ...(r.finishedAt ? { finishedAt: iso(r.finishedAt) } : {}),
        ...(incident ? { incidentId: incident.id } : {}),
        stages: stagesToApi(
          stages.filter(s => s.runId === r.id),
          logs,
        ),
      };
    });
  }
}

function incidentToApi(i: IncidentRecord): Incident {
  return {
    id: i.id,
    entityRef: i.entityRef,
    environment: i.environment,
    ...(i.deploymentToken ? { deploymentToken: i.deploymentToken } : {}),
    level: i.level,
    reason: i.reason,
    severity: i.severity,
    startedAt: i.startedAt.toISOString(),
    ...(i.resolvedAt ? { resolvedAt: i.resolvedAt.toISOString() } : {}),
    actedBy: i.actedBy,
    ...(i.rollbackId ? { rollbackId: i.rollbackId } : {}),
    ...(i.githubIssueUrl ? { githubIssueUrl: i.githubIssueUrl } : {}),
  };
}
