import { GitHubProvider, DeploymentState } from '../../providers/github';
import { KubernetesProvider, WorkloadRef } from '../../providers/kubernetes';
import { StageContext, StageRecord } from '../../engine';
import {
  Backup,
  BackupState,
  DeployState,
  DeploymentStageContext,
} from '../types';

/** The backup the `backup` stage recorded for the stage's environment. */
export function backupOf(
  ctx: DeploymentStageContext<object>,
): Backup | undefined {
  const stage = ctx.stages.find(
    s => s.kind === 'backup' && s.environment === ctx.stage.environment,
  ) as StageRecord<BackupState> | undefined;
  return stage?.state.backup;
}

/** The backup, or a step error when the environment has none (the backup stage must run first). */
export function requireBackup(ctx: DeploymentStageContext<object>): Backup {
  const backup = backupOf(ctx);
  if (!backup) {
    throw new Error(
      `No backup of ${ctx.stage.environment} was recorded before ${ctx.stage.name}`,
    );
  }
  return backup;
}

/**
 * Runs a call that records the deployment on GitHub. Those records are a courtesy: a failure is
 * logged and the pipeline goes on.
 */
export async function recordOnGitHub<T>(
  ctx: DeploymentStageContext<object>,
  fn: () => Promise<T>,
): Promise<T | undefined> {
  await ctx.fence();
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

/** Adds a status to the GitHub deployment the `deploy` stage created for `environment`. */
export async function reportDeploymentStatus(
  github: GitHubProvider,
  ctx: DeploymentStageContext<object>,
  environment: string,
  state: DeploymentState,
  description: string,
): Promise<void> {
  const deploy = ctx.stages.find(
    s => s.kind === 'deploy' && s.environment === environment,
  ) as StageRecord<DeployState> | undefined;
  const id = deploy?.state.githubDeploymentId;
  // Without the repository (a rollback whose entity left the catalog), GitHub is not told.
  if (id === undefined || !ctx.target.service.projectSlug) return;
  await recordOnGitHub(ctx, () =>
    github.createDeploymentStatus(ctx.target.service.projectSlug, id, {
      state,
      description,
    }),
  );
}

/** State of a stage that follows a rollout. */
export interface RolloutState {
  lastProgress?: string;
}

/**
 * Follows the rollout of `image` on the backup's workload: done when it runs everywhere and is
 * ready, a failure after `timeoutMs`, else another look after `pollIntervalMs`.
 */
export async function followRollout(
  kubernetes: KubernetesProvider,
  ctx: DeploymentStageContext<RolloutState>,
  options: {
    backup: Backup;
    image: string;
    timeoutMs: number;
    pollIntervalMs: number;
  },
) {
  const { backup, ...rest } = options;
  return followWorkloadRollout(kubernetes, ctx, {
    ...rest,
    workload: {
      cluster: backup.cluster,
      namespace: backup.namespace,
      name: backup.workload,
    },
    startedAt: ctx.stage.startedAt ?? ctx.now,
  });
}

/**
 * Follows the rollout of `image` on a workload, for any kind of run: done when it runs everywhere
 * and is ready, a failure once `timeoutMs` passed since `startedAt`, else another look after
 * `pollIntervalMs` (the progress logged when it changed).
 */
export async function followWorkloadRollout(
  kubernetes: KubernetesProvider,
  ctx: StageContext<unknown, unknown, RolloutState>,
  options: {
    workload: WorkloadRef;
    image: string;
    startedAt: Date;
    timeoutMs: number;
    pollIntervalMs: number;
  },
) {
  const { image, timeoutMs, pollIntervalMs } = options;
  const workload = await kubernetes.getWorkload(options.workload);
  const ready = workload?.replicas.ready ?? 0;
  const desired = workload?.replicas.desired ?? 0;
  if (workload?.version?.image === image && workload.rollout === 'complete') {
    await ctx.log(
      'info',
      `Rollout complete: ${ready}/${desired} replicas ready on ${image}`,
    );
    return { type: 'done' as const };
  }
  const elapsed = ctx.now.getTime() - options.startedAt.getTime();
  if (elapsed > timeoutMs) {
    return {
      type: 'fail' as const,
      reason: `Rollout did not complete within ${Math.round(
        timeoutMs / 1000,
      )} s (${ready}/${desired} ready)`,
    };
  }
  const progress = `${
    workload?.replicas.updated ?? 0
  }/${desired} updated, ${ready} ready`;
  if (ctx.stage.state.lastProgress !== progress) {
    await ctx.log('info', `Rolling out: ${progress}`);
  }
  return {
    type: 'wait' as const,
    afterMs: pollIntervalMs,
    state: { ...ctx.stage.state, lastProgress: progress },
  };
}
