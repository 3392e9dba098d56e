import {
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import {
  DeploymentStatus,
  approvalReason,
  deployedVersion,
  isRegulated,
  rolloutState,
  stableConfigMapName,
  WORKLOAD_ANNOTATION_COMMIT_SHA,
} from '@internal/plugin-delivery-common';
import { EnvironmentConfig } from '../../config';
import {
  DeploymentRecord,
  DeploymentStore,
  StageRecord,
} from '../../database/DeploymentStore';
import { GitHubProvider } from '../../providers/GitHubProvider';
import { KubernetesProvider } from '../../providers/KubernetesProvider';
import {
  JenkinsBuildState,
  JenkinsProvider,
} from '../../providers/jenkins/JenkinsProvider';
import { MetricsProvider } from '../../providers/metrics/MetricsProvider';
import { EligibilityService } from '../EligibilityService';
import { DeliveryEntity, EntityResolver } from '../EntityResolver';
import { DeliveryEventType, Notifier } from '../Notifier';
import { healthBreach } from './plan';

/** Annotation on workloads: the deployment token that put the running version there. */
export const WORKLOAD_ANNOTATION_TOKEN =
  'delivery.backstage.io/deployment-token';

/** Tunables of the pipeline, read from `delivery.pipeline`. */
export interface PipelineSettings {
  environments: EnvironmentConfig[];
  callTimeoutMs: number;
  rolloutTimeoutMs: number;
  /** Health window and sampling interval per environment name. */
  verification: Record<string, { windowMs: number; intervalMs: number }>;
  thresholds: { errorRate: number; p95Seconds: number };
  /** Consecutive unhealthy samples that fail a verification. */
  consecutiveBreaches: number;
  productionApproval: boolean;
  jenkins?: { environment: string; timeoutMs: number; jobAnnotation: string };
  /** A step that throws this many times in a row fails its stage. */
  maxStepAttempts: number;
  pollIntervalMs: number;
  leaseMs: number;
}

type StepResult =
  | { kind: 'done'; data?: Record<string, any>; actor?: string }
  | {
      kind: 'wait';
      afterMs: number;
      data?: Record<string, any>;
      waiting?: boolean;
    }
  | { kind: 'fail'; reason: string; data?: Record<string, any> };

interface StepContext {
  run: DeploymentRecord;
  stage: StageRecord;
  stages: StageRecord[];
  service: DeliveryEntity;
  env?: EnvironmentConfig;
  namespace: string;
  now: Date;
  log(level: 'info' | 'warn' | 'error', message: string): Promise<void>;
}

/**
 * Advances deployment runs one idempotent step at a time. Every step's outcome is written to the
 * database before the next one starts, so a restarted backend resumes each run where it stopped,
 * and leases keep two replicas from stepping the same run at once.
 */
export class PipelineEngine {
  constructor(
    private readonly deps: {
      store: DeploymentStore;
      kubernetes: KubernetesProvider;
      github: GitHubProvider;
      /** Without one, verification only waits out the window after a complete rollout. */
      metrics?: MetricsProvider;
      jenkins?: JenkinsProvider;
      eligibility: EligibilityService;
      entities: EntityResolver;
      credentials: () => Promise<BackstageCredentials>;
      notifier: Notifier;
      logger: LoggerService;
      settings: PipelineSettings;
      instanceId: string;
      clock?: () => Date;
    },
  ) {}

  #now(): Date {
    return this.deps.clock?.() ?? new Date();
  }

  /** One round of background work: expire calls, call the next deployments, step due runs. */
  async tick(): Promise<void> {
    const { store } = this.deps;
    for (const expired of await store.expireCalls(this.#now())) {
      await this.deps.notifier.deploymentChanged({
        type: 'expired',
        deployment: expired,
      });
      await this.callNext(expired.entityRef);
    }
    for (const entityRef of await store.listServicesWithQueued()) {
      await this.callNext(entityRef);
    }
    await this.runDue();
  }

  /** Calls the head of a service's queue if it may be called, and tells the requester. */
  async callNext(entityRef: string): Promise<DeploymentRecord | undefined> {
    const called = await this.deps.store.callNext(
      entityRef,
      this.#now(),
      this.deps.settings.callTimeoutMs,
    );
    if (called) {
      await this.deps.notifier.deploymentChanged({
        type: 'called',
        deployment: called,
      });
    }
    return called;
  }

  /** Steps due runs, each step under a lease, up to `limit` steps; returns how many it took. */
  async runDue(limit = 10): Promise<number> {
    const { store, settings, instanceId } = this.deps;
    // One run at a time, each claimed just before its step: leases taken together for a batch
    // aged while earlier runs were stepped, and once lapsed another replica stepped the same run
    // at the same time as this one.
    let stepped = 0;
    for (; stepped < limit; stepped++) {
      const [token] = await store.claimDue(
        instanceId,
        this.#now(),
        settings.leaseMs,
        1,
      );
      if (!token) break;
      let next: Date | undefined;
      try {
        next = await this.#step(token);
      } catch (error) {
        // Only store errors get here; the lease lapses and another round retries.
        this.deps.logger.error(`Pipeline step of ${token} failed: ${error}`);
        next = new Date(this.#now().getTime() + settings.pollIntervalMs);
      } finally {
        await store.release(token, instanceId, next);
      }
    }
    return stepped;
  }

  /** Steps one run; returns when it is due again (undefined when it finished). */
  async #step(token: string): Promise<Date | undefined> {
    const { store, settings } = this.deps;
    const run = await store.getDeployment(token);
    if (!run || run.status !== 'running') return undefined;
    let stages = await store.listStages(token);
    const now = this.#now();

    const failing = stages.some(s => s.kind === 'rollback');
    if (run.cancelRequestedBy && !failing) {
      const current = stages[run.currentStage];
      await this.#fail(
        run,
        stages,
        current,
        `Cancelled by ${run.cancelRequestedBy}`,
        'cancelled',
      );
      return now;
    }

    const stage = stages[run.currentStage];
    if (!stage) {
      await this.#complete(run, stages);
      return undefined;
    }
    if (stage.status === 'failed') {
      // A replica stopped while failing this stage: finish failing it; never run it again.
      const logs = await store.listLogs(token);
      const reason = logs
        .filter(l => l.position === stage.position && l.level === 'error')
        .at(-1)?.message;
      await this.#fail(run, stages, stage, reason ?? 'Failed', undefined);
      return now;
    }
    const log = async (level: 'info' | 'warn' | 'error', message: string) =>
      store.appendLog(token, stage.position, level, message, this.#now());

    if (stage.status === 'pending') {
      await store.updateStage(token, stage.position, {
        status: 'running',
        startedAt: now,
        actor: 'delivery',
      });
      stage.status = 'running';
      stage.startedAt = now;
      await this.deps.notifier.deploymentChanged({
        type: 'stage',
        deployment: run,
        stage: stage.name,
      });
    }
    await store.updateStage(token, stage.position, { incrementAttempts: true });

    let result: StepResult;
    try {
      const service = await this.deps.entities.resolve(
        parseEntityRef(run.entityRef),
        await this.deps.credentials(),
      );
      const env = settings.environments.find(e => e.name === stage.environment);
      const context: StepContext = {
        run,
        stage,
        stages,
        service,
        env,
        namespace: service.kubernetesNamespace ?? env?.namespace ?? 'default',
        now,
        log,
      };
      result = await this.#execute(context);
    } catch (error) {
      const errors = (stage.data.consecutiveErrors ?? 0) + 1;
      const message = error instanceof Error ? error.message : String(error);
      if (errors >= settings.maxStepAttempts) {
        result = {
          kind: 'fail',
          reason: `${stage.name} failed ${errors} times in a row: ${message}`,
        };
      } else {
        await log('warn', `Attempt ${errors} failed, retrying: ${message}`);
        await store.updateStage(token, stage.position, {
          data: { ...stage.data, consecutiveErrors: errors },
        });
        return new Date(
          now.getTime() + Math.min(settings.pollIntervalMs * errors, 30_000),
        );
      }
    }
    if (stage.data.consecutiveErrors && result.kind !== 'fail') {
      result.data = { ...result.data, consecutiveErrors: 0 };
    }

    const data = result.data ? { ...stage.data, ...result.data } : undefined;
    switch (result.kind) {
      case 'wait':
        await store.updateStage(token, stage.position, {
          ...(data ? { data } : {}),
          ...(result.waiting && stage.status !== 'waiting'
            ? { status: 'waiting' }
            : {}),
        });
        return new Date(now.getTime() + result.afterMs);
      case 'fail':
        if (data) await store.updateStage(token, stage.position, { data });
        stages = await store.listStages(token);
        await this.#fail(
          run,
          stages,
          stages[stage.position],
          result.reason,
          undefined,
        );
        return now;
      default: {
        await store.updateStage(token, stage.position, {
          status: 'succeeded',
          finishedAt: this.#now(),
          ...(data ? { data } : {}),
          ...(result.actor ? { actor: result.actor } : {}),
        });
        await this.deps.notifier.deploymentChanged({
          type: 'stage',
          deployment: run,
          stage: stage.name,
        });
        const nextPosition = stage.position + 1;
        if (nextPosition >= stages.length) {
          await this.#complete(run, await store.listStages(token));
          return undefined;
        }
        await store.setProgress(token, nextPosition, this.#now());
        return this.#now();
      }
    }
  }

  /** Ends a run whose stages are all done: succeeded, or the outcome its rollback recorded. */
  async #complete(run: DeploymentRecord, stages: StageRecord[]) {
    const rollback = stages.find(s => s.kind === 'rollback');
    const status: DeploymentStatus = rollback
      ? rollback.data.outcome ?? 'rolled_back'
      : 'succeeded';
    const reason = rollback ? rollback.data.reason : undefined;
    await this.#finishWith(run, status, reason);
  }

  /**
   * Stops a run at `stage`: the stage fails, the rest is skipped, and the environment it was
   * changing (if it had changed it) is returned to its backup version by a rollback stage.
   */
  async #fail(
    run: DeploymentRecord,
    stages: StageRecord[],
    stage: StageRecord | undefined,
    reason: string,
    outcome: 'cancelled' | undefined,
  ) {
    const { store } = this.deps;
    const now = this.#now();
    if (stage) {
      // The reason first: a run resumed with its stage failed reads it back from the log.
      if (stage.status !== 'failed') {
        await store.appendLog(run.token, stage.position, 'error', reason, now);
        await store.updateStage(run.token, stage.position, {
          status: 'failed',
          finishedAt: now,
        });
      }
      if (stage.kind === 'rollback') {
        await this.#finishWith(
          run,
          'failed',
          `${
            stage.data.reason ?? 'Deployment failed'
          }; the rollback failed too: ${reason}`,
        );
        return;
      }
    }
    for (const later of stages.filter(
      s => s.position > (stage?.position ?? -1) && s.status === 'pending',
    )) {
      await store.updateStage(run.token, later.position, { status: 'skipped' });
    }
    const environment = stage?.environment;
    const deploy = stages.find(
      s => s.kind === 'deploy' && s.environment === environment,
    );
    const touched =
      deploy && deploy.status !== 'pending' && deploy.status !== 'skipped';
    const fullReason = stage ? `${stage.name}: ${reason}` : reason;
    if (!environment || !touched) {
      await this.#finishWith(run, outcome ?? 'failed', fullReason);
      return;
    }
    if (!stages.some(s => s.kind === 'rollback')) {
      await store.appendStages(run.token, [
        { name: `${environment}.rollback`, kind: 'rollback', environment },
      ]);
    }
    const all = await store.listStages(run.token);
    const rollback = all.find(s => s.kind === 'rollback')!;
    await store.updateStage(run.token, rollback.position, {
      data: { outcome: outcome ?? 'rolled_back', reason: fullReason },
    });
    await store.setProgress(run.token, rollback.position, now);
    await this.deps.notifier.deploymentChanged({
      type: 'stage',
      deployment: run,
      stage: rollback.name,
    });
  }

  /** Ends the run (once, whichever replica gets there), tells people and calls the next one. */
  async #finishWith(
    run: DeploymentRecord,
    status: DeploymentStatus,
    reason: string | undefined,
  ) {
    if (await this.deps.store.finish(run.token, status, reason, this.#now())) {
      const finished = (await this.deps.store.getDeployment(run.token))!;
      await this.deps.notifier.deploymentChanged({
        type: status as DeliveryEventType,
        deployment: finished,
        reason,
      });
      await this.callNext(run.entityRef);
    }
  }

  async #execute(ctx: StepContext): Promise<StepResult> {
    switch (ctx.stage.kind) {
      case 'validate':
        return this.#validate(ctx);
      case 'backup':
        return this.#backup(ctx);
      case 'deploy':
        return this.#deploy(ctx);
      case 'rollout':
        return this.#rollout(ctx);
      case 'verify':
        return this.#verify(ctx);
      case 'approval':
        return this.#approval(ctx);
      case 'jenkins':
        return this.#jenkins(ctx);
      case 'rollback':
        return this.#rollback(ctx);
      case 'mark-stable':
        return this.#markStable(ctx);
      default:
        return { kind: 'fail', reason: `Unknown stage kind ${ctx.stage.kind}` };
    }
  }

  async #validate(ctx: StepContext): Promise<StepResult> {
    const [eligibility] = await this.deps.eligibility.check(ctx.service, [
      ctx.run.commitSha,
    ]);
    const reasons = eligibility.reasons.map(r => r.message);
    const approvals = await this.deps.store.listApprovals(ctx.run.token);
    const approval = approvalReason(
      isRegulated(ctx.service.entity.metadata.annotations),
      ctx.run.requestedBy,
      approvals.filter(a => a.kind === 'request').map(a => a.approver),
    );
    if (approval) reasons.push(approval.message);
    if (reasons.length > 0) {
      return {
        kind: 'fail',
        reason: `Not eligible any more: ${reasons.join('; ')}`,
      };
    }
    await ctx.log(
      'info',
      `Commit ${ctx.run.commitSha.slice(0, 7)} is eligible; deploying ${
        ctx.run.image
      }`,
    );
    return { kind: 'done' };
  }

  async #backup(ctx: StepContext): Promise<StepResult> {
    if (ctx.stage.data.backup) return { kind: 'done' };
    const env = ctx.env!;
    const deployment = await this.deps.kubernetes.findDeployment(
      env.cluster,
      ctx.namespace,
      ctx.service.kubernetesId,
    );
    if (!deployment?.metadata?.name) {
      return {
        kind: 'fail',
        reason: `No Deployment labelled backstage.io/kubernetes-id=${ctx.service.kubernetesId} in ${env.cluster}/${ctx.namespace}`,
      };
    }
    const version = deployedVersion(
      deployment as any,
      WORKLOAD_ANNOTATION_COMMIT_SHA,
    );
    if (!version) {
      return {
        kind: 'fail',
        reason: `Deployment ${ctx.namespace}/${deployment.metadata.name} has no container image`,
      };
    }
    const backup = {
      workload: deployment.metadata.name,
      image: version.image,
      commitSha: version.commitSha ?? '',
      revision:
        deployment.metadata.annotations?.['deployment.kubernetes.io/revision'],
    };
    await ctx.log(
      'info',
      `Recorded the running version ${version.imageTag ?? version.image} (${
        backup.workload
      }) to return to on failure`,
    );
    return { kind: 'done', data: { backup } };
  }

  #backupOf(
    ctx: StepContext,
  ): { workload: string; image: string; commitSha: string } | undefined {
    return ctx.stages.find(
      s => s.kind === 'backup' && s.environment === ctx.stage.environment,
    )?.data.backup;
  }

  async #deploy(ctx: StepContext): Promise<StepResult> {
    const env = ctx.env!;
    const backup = this.#backupOf(ctx)!;
    const data: Record<string, any> = {};
    if (!ctx.stage.data.githubDeploymentId) {
      // An attempt that stopped between creating the GitHub deployment and saving its id (a
      // killed replica) left one behind: adopt it rather than create a second.
      const existing = await this.#recordGitHub(ctx, () =>
        this.deps.github.findDeployment(ctx.service.projectSlug, {
          sha: ctx.run.commitSha,
          environment: env.name,
          token: ctx.run.token,
        }),
      );
      const id =
        existing ??
        (await this.#recordGitHub(ctx, async () =>
          this.deps.github.createDeployment(ctx.service.projectSlug, {
            sha: ctx.run.commitSha,
            environment: env.name,
            description: `${ctx.run.token} by ${ctx.run.requestedBy}`,
            payload: { token: ctx.run.token, image: ctx.run.image ?? '' },
            productionEnvironment:
              env ===
              this.deps.settings.environments[
                this.deps.settings.environments.length - 1
              ],
          }),
        ));
      if (id !== undefined) {
        data.githubDeploymentId = id;
        // Saved before anything else so that a retry never records the deployment twice.
        await this.deps.store.updateStage(ctx.run.token, ctx.stage.position, {
          data: { ...ctx.stage.data, ...data },
        });
        if (existing === undefined) {
          await this.#recordGitHub(ctx, () =>
            this.deps.github.createDeploymentStatus(
              ctx.service.projectSlug,
              id,
              {
                state: 'in_progress',
                description: `Deploying ${ctx.run.token}`,
              },
            ),
          );
        }
      }
    }
    const changed = await this.deps.kubernetes.setWorkloadVersion(
      env.cluster,
      ctx.namespace,
      backup.workload,
      {
        image: ctx.run.image!,
        commitSha: ctx.run.commitSha,
        deployedAt: this.#now().toISOString(),
        annotations: { [WORKLOAD_ANNOTATION_TOKEN]: ctx.run.token },
      },
    );
    await ctx.log(
      'info',
      changed
        ? `Set ${ctx.namespace}/${backup.workload} in ${env.cluster} to ${ctx.run.image}`
        : `${ctx.namespace}/${backup.workload} in ${env.cluster} already runs ${ctx.run.image}`,
    );
    return { kind: 'done', data };
  }

  async #rollout(ctx: StepContext): Promise<StepResult> {
    const env = ctx.env!;
    const backup = this.#backupOf(ctx)!;
    const target =
      ctx.stage.kind === 'rollback' ? backup.image : ctx.run.image!;
    const deployment = await this.deps.kubernetes.getDeployment(
      env.cluster,
      ctx.namespace,
      backup.workload,
    );
    const version = deployment
      ? deployedVersion(deployment as any, WORKLOAD_ANNOTATION_COMMIT_SHA)
      : undefined;
    const state = rolloutState(deployment as any);
    const ready = deployment?.status?.readyReplicas ?? 0;
    const desired = deployment?.spec?.replicas ?? 0;
    if (version?.image === target && state === 'complete') {
      await ctx.log(
        'info',
        `Rollout complete: ${ready}/${desired} replicas ready on ${target}`,
      );
      return { kind: 'done' };
    }
    const elapsed =
      this.#now().getTime() -
      (ctx.stage.startedAt?.getTime() ?? this.#now().getTime());
    if (elapsed > this.deps.settings.rolloutTimeoutMs) {
      return {
        kind: 'fail',
        reason: `Rollout did not complete within ${Math.round(
          this.deps.settings.rolloutTimeoutMs / 1000,
        )} s (${ready}/${desired} ready)`,
      };
    }
    const progress = `${
      deployment?.status?.updatedReplicas ?? 0
    }/${desired} updated, ${ready} ready`;
    if (ctx.stage.data.lastProgress !== progress) {
      await ctx.log('info', `Rolling out: ${progress}`);
    }
    return {
      kind: 'wait',
      afterMs: this.deps.settings.pollIntervalMs,
      data: { lastProgress: progress },
    };
  }

  async #verify(ctx: StepContext): Promise<StepResult> {
    const env = ctx.env!;
    const backup = this.#backupOf(ctx)!;
    const { thresholds, consecutiveBreaches } = this.deps.settings;
    const window = this.deps.settings.verification[env.name] ?? {
      windowMs: 60_000,
      intervalMs: 5_000,
    };
    const elapsed =
      this.#now().getTime() -
      (ctx.stage.startedAt?.getTime() ?? this.#now().getTime());
    if (!this.deps.metrics) {
      if (!ctx.stage.data.warned) {
        await ctx.log(
          'warn',
          'No metrics provider is configured (delivery.metrics): health is not checked',
        );
      }
      if (elapsed >= window.windowMs) {
        await this.#githubStatus(
          ctx,
          env.name,
          'success',
          `Deployed ${ctx.run.token}`,
        );
        return { kind: 'done' };
      }
      return {
        kind: 'wait',
        afterMs: window.intervalMs,
        data: { warned: true },
      };
    }
    const sample = await this.deps.metrics.health({
      environment: env.name,
      cluster: env.cluster,
      namespace: ctx.namespace,
      workload: backup.workload,
      entityRef: ctx.run.entityRef,
    });
    const breach = healthBreach(sample, thresholds);
    const streak = breach ? (ctx.stage.data.streak ?? 0) + 1 : 0;
    const samples = (ctx.stage.data.samples ?? 0) + 1;
    const describe =
      sample.errorRate === undefined
        ? 'no traffic'
        : `error rate ${(sample.errorRate * 100).toFixed(2)}%, p95 ${
            sample.p95Seconds?.toFixed(2) ?? '?'
          } s, ${sample.requestsPerSecond.toFixed(1)} req/s`;
    await ctx.log(
      breach ? 'warn' : 'info',
      `Health sample ${samples}: ${describe}`,
    );
    if (breach && streak >= consecutiveBreaches) {
      await this.#githubStatus(
        ctx,
        env.name,
        'failure',
        `Unhealthy: ${breach}`,
      );
      return {
        kind: 'fail',
        reason: `Unhealthy in ${env.name}: ${breach}`,
        data: { streak, samples },
      };
    }
    if (elapsed >= window.windowMs) {
      await ctx.log(
        'info',
        `Healthy for the ${Math.round(window.windowMs / 1000)} s window`,
      );
      await this.#githubStatus(
        ctx,
        env.name,
        'success',
        `Verified ${ctx.run.token}`,
      );
      return { kind: 'done', data: { streak, samples } };
    }
    return {
      kind: 'wait',
      afterMs: window.intervalMs,
      data: { streak, samples },
    };
  }

  async #approval(ctx: StepContext): Promise<StepResult> {
    const approvals = await this.deps.store.listApprovals(ctx.run.token);
    const approval = approvals.find(
      a => a.kind === 'production' && a.approver !== ctx.run.requestedBy,
    );
    if (approval) {
      await ctx.log('info', `Approved by ${approval.approver}`);
      return { kind: 'done', actor: approval.approver };
    }
    if (!ctx.stage.data.asked) {
      await ctx.log(
        'info',
        `Waiting for an approval by someone other than ${ctx.run.requestedBy}`,
      );
    }
    return {
      kind: 'wait',
      afterMs: this.deps.settings.pollIntervalMs,
      waiting: true,
      data: { asked: true },
    };
  }

  async #jenkins(ctx: StepContext): Promise<StepResult> {
    const jenkins = this.deps.jenkins;
    const settings = this.deps.settings.jenkins;
    const job = settings
      ? ctx.service.entity.metadata.annotations?.[settings.jobAnnotation]
      : undefined;
    if (!jenkins || !settings || !job) {
      return {
        kind: 'fail',
        reason: 'Jenkins is not configured for this service any more',
      };
    }
    let build: JenkinsBuildState | undefined = ctx.stage.data.build;
    if (!build) {
      build = await jenkins.trigger(job, {
        TOKEN: ctx.run.token,
        SHA: ctx.run.commitSha,
      });
      await this.deps.store.updateStage(ctx.run.token, ctx.stage.position, {
        data: { ...ctx.stage.data, build },
      });
      await ctx.log(
        'info',
        `Triggered Jenkins job ${job} (${build.queueItemUrl})`,
      );
      return {
        kind: 'wait',
        afterMs: this.deps.settings.pollIntervalMs,
        data: { build },
      };
    }
    const polled = await jenkins.poll(build);
    if (polled.buildNumber && !build.buildNumber) {
      await ctx.log(
        'info',
        `Jenkins build #${polled.buildNumber} started: ${
          polled.buildUrl ?? ''
        }`,
      );
    }
    if (polled.cancelled) {
      return {
        kind: 'fail',
        reason: `Jenkins cancelled the queued build of ${job}`,
        data: { build: polled },
      };
    }
    if (!polled.building && polled.result) {
      if (polled.result === 'SUCCESS') {
        await ctx.log('info', `Jenkins build #${polled.buildNumber} succeeded`);
        return { kind: 'done', data: { build: polled } };
      }
      return {
        kind: 'fail',
        reason: `Jenkins build #${polled.buildNumber} of ${job} ended ${polled.result}`,
        data: { build: polled },
      };
    }
    const elapsed =
      this.#now().getTime() -
      (ctx.stage.startedAt?.getTime() ?? this.#now().getTime());
    if (elapsed > settings.timeoutMs) {
      return {
        kind: 'fail',
        reason: `Jenkins build of ${job} did not finish within ${Math.round(
          settings.timeoutMs / 1000,
        )} s`,
        data: { build: polled },
      };
    }
    return {
      kind: 'wait',
      afterMs: this.deps.settings.pollIntervalMs,
      data: { build: polled },
    };
  }

  async #rollback(ctx: StepContext): Promise<StepResult> {
    const env = ctx.env!;
    const backup = this.#backupOf(ctx);
    if (!backup) return { kind: 'done' };
    if (!ctx.stage.data.restored) {
      const changed = await this.deps.kubernetes.setWorkloadVersion(
        env.cluster,
        ctx.namespace,
        backup.workload,
        {
          image: backup.image,
          commitSha: backup.commitSha,
          deployedAt: this.#now().toISOString(),
          annotations: {
            [WORKLOAD_ANNOTATION_TOKEN]: `${ctx.run.token}-rollback`,
          },
        },
      );
      await ctx.log(
        'warn',
        `${changed ? 'Returned' : 'Kept'} ${ctx.namespace}/${
          backup.workload
        } in ${env.cluster} to ${backup.image}`,
      );
      await this.#githubStatus(
        ctx,
        env.name,
        'failure',
        `Rolled back: ${ctx.stage.data.reason ?? ''}`,
      );
      await this.deps.store.updateStage(ctx.run.token, ctx.stage.position, {
        data: { ...ctx.stage.data, restored: true },
      });
      ctx.stage.data.restored = true;
    }
    return this.#rollout(ctx);
  }

  async #markStable(ctx: StepContext): Promise<StepResult> {
    const markedAt = this.#now();
    for (const env of this.deps.settings.environments) {
      const namespace = ctx.service.kubernetesNamespace ?? env.namespace;
      await this.deps.kubernetes.upsertConfigMap(
        env.cluster,
        namespace,
        stableConfigMapName(ctx.service.kubernetesId),
        {
          labels: {
            'backstage.io/kubernetes-id': ctx.service.kubernetesId,
            'app.kubernetes.io/managed-by': 'delivery',
          },
          data: {
            commitSha: ctx.run.commitSha,
            image: ctx.run.image!,
            version: ctx.run.commitSha.slice(0, 7),
            markedAt: markedAt.toISOString(),
            markedBy: ctx.run.requestedBy,
            token: ctx.run.token,
          },
        },
      );
      await this.deps.store.recordStable({
        entityRef: ctx.run.entityRef,
        environment: env.name,
        commitSha: ctx.run.commitSha,
        image: ctx.run.image!,
        token: ctx.run.token,
        markedBy: ctx.run.requestedBy,
        markedAt,
      });
    }
    await ctx.log(
      'info',
      `Marked ${ctx.run.commitSha.slice(
        0,
        7,
      )} stable in ${this.deps.settings.environments
        .map(e => e.name)
        .join(', ')}`,
    );
    return { kind: 'done' };
  }

  async #githubStatus(
    ctx: StepContext,
    environment: string,
    state: 'success' | 'failure',
    description: string,
  ) {
    const id = ctx.stages.find(
      s => s.kind === 'deploy' && s.environment === environment,
    )?.data.githubDeploymentId;
    if (id === undefined) return;
    await this.#recordGitHub(ctx, () =>
      this.deps.github.createDeploymentStatus(ctx.service.projectSlug, id, {
        state,
        description,
      }),
    );
  }

  /** GitHub's deployment records are a courtesy: a failure is logged, the pipeline goes on. */
  async #recordGitHub<T>(
    ctx: StepContext,
    fn: () => Promise<T>,
  ): Promise<T | undefined> {
    try {
      return await fn();
    } catch (error) {
      await ctx.log(
        'warn',
        `Could not record the deployment on GitHub: ${
          error instanceof Error ? error.message : error
        }`,
      );
      return undefined;
    }
  }
}
