import {
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import {
  ConflictError,
  CustomErrorBase,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import {
  ANNOTATION_IMAGE_TEMPLATE,
  Deployment,
  DeploymentsResponse,
  Eligibility,
  RequestDeploymentResponse,
  approvalReason,
  deliveryApprovePermission,
  deliveryCancelPermission,
  deliveryDeployPermission,
  deliveryLockPermission,
  deliveryStartPermission,
  flagTrailers,
  isRegulated,
} from '@internal/plugin-delivery-common';
import { parseEntityRef } from '@backstage/catalog-model';
import { EnvironmentConfig } from '../config';
import {
  ApprovalRecord,
  DeploymentRecord,
  DeploymentStore,
} from '../database/DeploymentStore';
import {
  LogRecord,
  RunEngine,
  RunRecord,
  RunStore,
  StageRecord,
} from '../engine';
import { KubernetesProvider } from '../providers/kubernetes';
import { DeployQueue } from '../queue/DeployQueue';
import { EligibilityService } from '../services/EligibilityService';
import { DeliveryEntity, EntityResolver } from '../services/EntityResolver';
import { Notifier } from '../services/Notifier';
import { deploymentCancelRefusal } from './DeploymentRunKind';
import { OwnershipChecker, OwnershipProblem, workloadKey } from './ownership';
import { imageForCommit, imageTemplateProblem, planStages } from './plan';
import { stagesToApi } from '../services/stagesToApi';
import { DEPLOYMENT_RUN_KIND, DeploymentRunInput } from './types';
import { Actor, ServiceAuthorizer } from '../services/ServiceAuthorizer';

/** 422: the request is well-formed but the rules say no. The message lists every reason. */
export class UnprocessableError extends CustomErrorBase {
  name = 'UnprocessableError' as const;
  readonly statusCode = 422;

  constructor(
    message: string,
    readonly reasons: Array<{ code: string; message: string }>,
  ) {
    super(message);
  }
}

/**
 * Throws when something the service's annotations point at is not the service's: 403 when it
 * belongs to someone else, else 422 naming what its owners must declare.
 */
export function assertOwned(entityRef: string, problems: OwnershipProblem[]) {
  if (problems.length === 0) return;
  const message = `${entityRef} may not deploy: ${problems
    .map(p => p.message)
    .join('; ')}`;
  if (problems.some(p => p.kind === 'forbidden')) {
    throw new NotAllowedError(message);
  }
  throw new UnprocessableError(
    message,
    problems.map(p => ({ code: 'ownership-undeclared', message: p.message })),
  );
}

/** The signed-in user acting on a route. */
export type { Actor };

/**
 * The queue and pipeline as users drive them: request, start, cancel, approve, lock. A started
 * deployment's pipeline is a run of the engine whose id is its token.
 */
export class DeploymentService {
  readonly #authorizer: ServiceAuthorizer;

  constructor(
    private readonly deps: {
      store: DeploymentStore;
      queue: DeployQueue;
      engine: RunEngine;
      runs: RunStore;
      eligibility: EligibilityService;
      entities: EntityResolver;
      kubernetes: KubernetesProvider;
      permissions: PermissionsService;
      userInfo: UserInfoService;
      /** Refuses services whose annotations point at what is not theirs. */
      ownership: OwnershipChecker;
      /** Whether environments can be verified (a metrics provider, or waiting allowed). */
      canVerify: boolean;
      /** `delivery.images.template`, unless a service names its own. */
      imageTemplate: string;
      /** Members of this group may abort any deployment (`delivery.onCall.group`). */
      onCallGroup?: string;
      notifier: Notifier;
      environments: EnvironmentConfig[];
      approvalGates: string[];
      jenkins?: { environment: string; jobAnnotation: string };
      /** The flags of services, and the shares of users deployments turn them on for. */
      flags?: {
        unknownFlags(entityRef: string, keys: string[]): Promise<string[]>;
        steps: Record<string, number[]>;
      };
      /** A commit's full message (for its `Flag:` trailers). */
      commitMessage?: (slug: string, sha: string) => Promise<string>;
      clock?: () => Date;
    },
  ) {
    this.#authorizer = new ServiceAuthorizer(deps);
  }

  #now() {
    return this.deps.clock?.() ?? new Date();
  }

  async eligibility(
    service: DeliveryEntity,
    commitShas: string[],
  ): Promise<Eligibility[]> {
    return this.deps.eligibility.check(service, commitShas);
  }

  async request(
    service: DeliveryEntity,
    commitSha: string,
    actor: Actor,
    requestedFlags: string[] = [],
  ): Promise<RequestDeploymentResponse> {
    await this.#authorizer.authorize(
      deliveryDeployPermission,
      service.entityRef,
      actor,
      'request deployments of',
    );
    // What the annotations point at must be the service's before anything else is looked at.
    assertOwned(service.entityRef, await this.deps.ownership.problems(service));
    const [eligibility] = await this.deps.eligibility.check(service, [
      commitSha,
    ]);
    const unknown = eligibility.reasons.find(r => r.code === 'unknown-commit');
    if (unknown) {
      throw new NotFoundError(`${unknown.message} ${service.projectSlug}`);
    }
    if (!eligibility.eligible) {
      throw new UnprocessableError(
        `Commit ${commitSha.slice(0, 7)} is not eligible: ${eligibility.reasons
          .map(r => r.message)
          .join('; ')}`,
        eligibility.reasons,
      );
    }
    const flags = await this.#flagsOf(service, commitSha, requestedFlags);
    const record = await this.deps.store.createDeployment({
      entityRef: service.entityRef,
      workload: workloadKey(service, this.deps.environments),
      commitSha,
      requestedBy: actor.userEntityRef,
      requestedAt: this.#now(),
      flags,
    });
    await this.deps.queue.callDue({ entityRef: service.entityRef });
    const deployment = await this.get(record.token);
    return { deployment, queuePosition: deployment.queuePosition ?? 0 };
  }

  /**
   * The flags a change ships behind: those the request names and those its commit message's
   * `Flag:` trailers name. Each must be a flag of the service (422 otherwise: create it first).
   */
  async #flagsOf(
    service: DeliveryEntity,
    commitSha: string,
    requested: string[],
  ): Promise<string[]> {
    const trailers =
      this.deps.commitMessage && this.deps.flags
        ? flagTrailers(
            await this.deps.commitMessage(service.projectSlug, commitSha),
          )
        : [];
    const keys = [...new Set([...requested, ...trailers])];
    if (keys.length === 0) return [];
    if (!this.deps.flags) {
      throw new UnprocessableError('This portal does not manage flags', [
        { code: 'unknown-flag', message: 'This portal does not manage flags' },
      ]);
    }
    const unknown = await this.deps.flags.unknownFlags(service.entityRef, keys);
    if (unknown.length > 0) {
      const reasons = unknown.map(key => ({
        code: 'unknown-flag',
        message: `${service.entityRef} has no flag ${key}${
          trailers.includes(key)
            ? ' (named by a Flag: trailer of the commit)'
            : ''
        }: create it (off everywhere) on the Flags tab first`,
      }));
      throw new UnprocessableError(
        `Commit ${commitSha.slice(0, 7)} cannot ship behind its flags: ${reasons
          .map(r => r.message)
          .join('; ')}`,
        reasons,
      );
    }
    return keys;
  }

  async list(service: DeliveryEntity): Promise<DeploymentsResponse> {
    const { store } = this.deps;
    const [queue, history, lock] = await Promise.all([
      store.listQueue({ entityRef: service.entityRef }),
      store.listHistory({ entityRef: service.entityRef, limit: 25 }),
      store.getLock({ entityRef: service.entityRef }),
    ]);
    // Positions follow the queue order: running first, then waiting ones in token order.
    const waiting = queue.filter(
      r => r.status === 'queued' || r.status === 'called',
    );
    const positions = new Map(waiting.map((r, i) => [r.token, i + 1]));
    const converted = await this.#toApiMany([...queue, ...history], positions);
    return {
      entityRef: service.entityRef,
      queue: converted.slice(0, queue.length),
      history: converted.slice(queue.length),
      ...(lock
        ? {
            lock: {
              lockedBy: lock.lockedBy,
              reason: lock.reason,
              lockedAt: lock.lockedAt.toISOString(),
            },
          }
        : {}),
    };
  }

  async get(token: string): Promise<Deployment> {
    return this.#toApi(await this.#load(token));
  }

  /** The requester starts their called deployment: the pipeline is planned and runs. */
  async start(token: string, actor: Actor): Promise<Deployment> {
    const run = await this.#load(token);
    await this.#authorizer.authorize(
      deliveryStartPermission,
      run.entityRef,
      actor,
      'start deployments of',
    );
    if (run.requestedBy !== actor.userEntityRef) {
      throw new NotAllowedError(
        `Only the requester (${run.requestedBy}) may start ${token}`,
      );
    }
    if (run.status !== 'called') {
      throw new ConflictError(
        `${token} is ${run.status}; only a called deployment can be started`,
      );
    }
    const service = await this.deps.entities.resolve(
      parseEntityRef(run.entityRef),
      actor.credentials,
    );
    const approvals = await this.deps.store.listApprovals({ tokens: [token] });
    const missingApproval = approvalReason(
      isRegulated(service.entity.metadata.annotations),
      run.requestedBy,
      approvals.filter(a => a.kind === 'request').map(a => a.approver),
    );
    if (missingApproval) {
      throw new UnprocessableError(missingApproval.message, [missingApproval]);
    }
    if (!this.deps.canVerify) {
      const reason = {
        code: 'no-metrics',
        message:
          'No metrics provider is configured (delivery.metrics), so no environment can be verified; delivery.pipeline.verifyWithoutMetrics: true allows waiting the windows out instead',
      };
      throw new UnprocessableError(reason.message, [reason]);
    }
    const first = this.deps.environments[0];
    const running = await this.deps.kubernetes.findWorkload({
      cluster: first.cluster,
      namespace: service.kubernetesNamespace ?? first.namespace,
      kubernetesId: service.kubernetesId,
    });
    const runningImage = running?.version?.image;
    if (!runningImage) {
      throw new ConflictError(
        `No Deployment labelled backstage.io/kubernetes-id=${service.kubernetesId} runs in ${first.cluster}; nothing to deploy to`,
      );
    }
    const jenkinsJob = this.deps.jenkins
      ? service.entity.metadata.annotations?.[this.deps.jenkins.jobAnnotation]
      : undefined;
    const template =
      service.entity.metadata.annotations?.[ANNOTATION_IMAGE_TEMPLATE] ??
      this.deps.imageTemplate;
    const templateProblem = imageTemplateProblem(template);
    if (templateProblem) {
      throw new UnprocessableError(
        `${service.entityRef}: ${templateProblem} (annotation ${ANNOTATION_IMAGE_TEMPLATE})`,
        [{ code: 'image-template', message: templateProblem }],
      );
    }
    const image = imageForCommit(runningImage, run.commitSha, template);
    const input: DeploymentRunInput = {
      token,
      entityRef: run.entityRef,
      commitSha: run.commitSha,
      image,
      requestedBy: run.requestedBy,
      projectSlug: service.projectSlug,
      ...(run.flags.length > 0 ? { flags: run.flags } : {}),
    };
    // The queue entry moves to running and its pipeline run is created in one transaction.
    const started = await this.deps.store.start({
      token,
      image,
      now: this.#now(),
      then: transaction =>
        this.deps.engine.createRun({
          kind: DEPLOYMENT_RUN_KIND,
          id: token,
          subject: run.entityRef,
          input,
          stages: planStages({
            environments: this.deps.environments.map(e => e.name),
            approvalGates: this.deps.approvalGates,
            ...(jenkinsJob
              ? { jenkinsEnvironment: this.deps.jenkins!.environment }
              : {}),
            ...(run.flags.length > 0 && this.deps.flags
              ? { flagSteps: this.deps.flags.steps }
              : {}),
          }),
          transaction,
        }),
    });
    if (started === 'locked') {
      const lock = await this.deps.store.getLock({ entityRef: run.entityRef });
      throw new ConflictError(
        `The queue of ${run.entityRef} is locked${
          lock ? ` by ${lock.lockedBy}: ${lock.reason}` : ''
        }; ${token} can start once it is unlocked and called again`,
      );
    }
    if (started === 'expired') {
      throw new ConflictError(
        `The call of ${token} expired at ${run.callExpiresAt?.toISOString()}; it cannot be started`,
      );
    }
    if (started !== 'started') {
      throw new ConflictError(
        `${token} is no longer called; it cannot be started`,
      );
    }
    const deployment = await this.#load(token);
    await this.deps.notifier.deploymentChanged({ type: 'started', deployment });
    return this.#toApi(deployment);
  }

  /**
   * Stops a deployment. Its requester may cancel it (as an owner of the service); the service's
   * owners and the on-call group may abort anyone's, with a reason the requester is told.
   */
  async cancel(
    token: string,
    actor: Actor,
    reason?: string,
  ): Promise<Deployment> {
    const run = await this.#load(token);
    const own = run.requestedBy === actor.userEntityRef;
    if (own) {
      await this.#authorizer.authorize(
        deliveryCancelPermission,
        run.entityRef,
        actor,
        'cancel deployments of',
      );
    } else {
      const owner = await this.#authorizer.allowed(
        deliveryCancelPermission,
        run.entityRef,
        actor,
      );
      if (!owner && !(await this.#authorizer.onCall(actor))) {
        throw new NotAllowedError(
          `${actor.userEntityRef} may not abort ${token} of ${run.entityRef}: only its requester, the service's owners and the on-call group may`,
        );
      }
      if (!reason?.trim()) {
        throw new InputError(
          `Say why you abort ${token}: its requester (${run.requestedBy}) is told`,
        );
      }
    }
    const why = own
      ? `Cancelled by ${actor.userEntityRef}${reason ? `: ${reason}` : ''}`
      : `Aborted by ${actor.userEntityRef}: ${reason}`;
    if (
      await this.deps.store.cancelWaiting({
        token,
        reason: why,
        now: this.#now(),
      })
    ) {
      const deployment = await this.#load(token);
      await this.deps.notifier.deploymentChanged({
        type: 'cancelled',
        deployment,
      });
      await this.deps.queue.callDue({ entityRef: run.entityRef });
      return this.#toApi(deployment);
    }
    // A running one: its pipeline stops at its current stage and rolls that environment back,
    // unless it is too late for that.
    const pipeline = await this.deps.runs.getRun({ id: token });
    if (pipeline?.status === 'running') {
      const refusal = deploymentCancelRefusal(
        pipeline as RunRecord<DeploymentRunInput>,
        await this.deps.runs.listStages({ runIds: [token] }),
      );
      if (refusal) throw new ConflictError(`${token}: ${refusal}`);
    }
    if (
      !(await this.deps.engine.requestCancel({
        id: token,
        by: actor.userEntityRef,
        reason: why,
      }))
    ) {
      throw new ConflictError(
        `${token} is ${run.status}; it cannot be cancelled`,
      );
    }
    return this.#toApi(await this.#load(token));
  }

  /** Approves a deployment: the production gate when it waits there, else the regulated request. */
  async approve(token: string, actor: Actor): Promise<Deployment> {
    const run = await this.#load(token);
    await this.#authorizer.authorize(
      deliveryApprovePermission,
      run.entityRef,
      actor,
      'approve deployments of',
    );
    if (run.requestedBy === actor.userEntityRef) {
      throw new NotAllowedError(
        'Requesters cannot approve their own deployments',
      );
    }
    if (!['queued', 'called', 'running'].includes(run.status)) {
      throw new ConflictError(
        `${token} is ${run.status}; there is nothing to approve`,
      );
    }
    const pipeline =
      run.status === 'running'
        ? await this.deps.runs.getRun({ id: token })
        : undefined;
    const stages = pipeline
      ? await this.deps.runs.listStages({ runIds: [token] })
      : [];
    const waiting = pipeline ? stages[pipeline.currentStage] : undefined;
    // A gate's approval is recorded under its environment's name.
    const kind =
      run.status === 'running' && waiting?.kind === 'approval'
        ? waiting.environment ?? 'production'
        : 'request';
    if (run.status === 'running' && kind === 'request') {
      throw new ConflictError(`${token} is not waiting for an approval`);
    }
    await this.deps.store.addApproval({
      approval: {
        token,
        approver: actor.userEntityRef,
        kind,
        approvedAt: this.#now(),
      },
    });
    return this.get(token);
  }

  async lock(
    service: DeliveryEntity,
    reason: string,
    actor: Actor,
  ): Promise<DeploymentsResponse> {
    await this.#authorizer.authorize(
      deliveryLockPermission,
      service.entityRef,
      actor,
      'lock the queue of',
    );
    const uncalled = await this.deps.store.lock({
      lock: {
        entityRef: service.entityRef,
        lockedBy: actor.userEntityRef,
        reason,
        lockedAt: this.#now(),
      },
    });
    for (const deployment of uncalled) {
      await this.deps.notifier.deploymentChanged({
        type: 'uncalled',
        deployment,
        reason: `the queue was locked by ${actor.userEntityRef}: ${reason}`,
      });
    }
    return this.list(service);
  }

  async unlock(
    service: DeliveryEntity,
    actor: Actor,
  ): Promise<DeploymentsResponse> {
    await this.#authorizer.authorize(
      deliveryLockPermission,
      service.entityRef,
      actor,
      'unlock the queue of',
    );
    if (!(await this.deps.store.unlock({ entityRef: service.entityRef }))) {
      throw new ConflictError(
        `The queue of ${service.entityRef} is not locked`,
      );
    }
    await this.deps.queue.callDue({ entityRef: service.entityRef });
    return this.list(service);
  }

  async #load(token: string): Promise<DeploymentRecord> {
    const run = await this.deps.store.getDeployment({ token });
    if (!run) throw new NotFoundError(`No deployment ${token}`);
    return run;
  }

  async #toApi(record: DeploymentRecord): Promise<Deployment> {
    const position = await this.deps.store.queuePosition({
      deployment: record,
    });
    const [deployment] = await this.#toApiMany(
      [record],
      new Map(position !== undefined ? [[record.token, position]] : []),
    );
    return deployment;
  }

  /** Converts deployments for the API with three queries in all, whatever their number. */
  async #toApiMany(
    records: DeploymentRecord[],
    positions: Map<string, number>,
  ): Promise<Deployment[]> {
    if (records.length === 0) return [];
    const { store, runs } = this.deps;
    const tokens = records.map(r => r.token);
    const started = records.filter(r => r.startedAt).map(r => r.token);
    const [allStages, allLogs, allApprovals] = await Promise.all([
      runs.listStages({ runIds: started }),
      runs.listLogs({ runIds: started }),
      store.listApprovals({ tokens }),
    ]);
    return records.map(record =>
      this.#convert(
        record,
        allStages.filter(s => s.runId === record.token),
        allLogs.filter(l => l.runId === record.token),
        allApprovals.filter(a => a.token === record.token),
        positions.get(record.token),
      ),
    );
  }

  #convert(
    record: DeploymentRecord,
    stages: StageRecord[],
    logs: LogRecord[],
    approvals: ApprovalRecord[],
    position: number | undefined,
  ): Deployment {
    const iso = (d?: Date) => d?.toISOString();
    return {
      token: record.token,
      entityRef: record.entityRef,
      commitSha: record.commitSha,
      ...(record.image ? { image: record.image } : {}),
      requestedBy: record.requestedBy,
      requestedAt: record.requestedAt.toISOString(),
      status: record.status,
      ...(position !== undefined ? { queuePosition: position } : {}),
      ...(record.calledAt ? { calledAt: iso(record.calledAt) } : {}),
      ...(record.callExpiresAt
        ? { callExpiresAt: iso(record.callExpiresAt) }
        : {}),
      ...(record.startedAt ? { startedAt: iso(record.startedAt) } : {}),
      ...(record.finishedAt ? { finishedAt: iso(record.finishedAt) } : {}),
      ...(record.reason ? { reason: record.reason } : {}),
      ...(record.flags?.length ? { flags: record.flags } : {}),
      approvals: approvals.map(a => ({
        approver: a.approver,
        at: a.approvedAt.toISOString(),
        kind: a.kind,
      })),
      stages: stagesToApi(stages, logs),
    };
  }
}
