import { createStageHandler } from '../../engine';
import { DeploymentStore } from '../../database/DeploymentStore';
import { GitHubProvider } from '../../providers/github';
import { KubernetesProvider } from '../../providers/kubernetes';
import { Notifier } from '../../services/Notifier';
import {
  Backup,
  DeploymentRunInput,
  DeploymentStageContext,
  DeploymentTarget,
  WORKLOAD_ANNOTATION_TOKEN,
} from '../types';
import {
  RolloutState,
  backupOf,
  followRollout,
  reportDeploymentStatus,
} from './shared';

/** State of a `rollback` stage. */
export interface RollbackState extends RolloutState {
  /** The backup version was set on the workload. */
  restored?: boolean;
  /** On-call was paged because the rollback could not finish. */
  alerted?: boolean;
  /** This rollback locked the service's queue while it could not finish. */
  lockedQueue?: boolean;
}

/** Who locks a queue on the system's behalf. */
export const SYSTEM_ACTOR = 'delivery';

/**
 * `rollback`: returns the failing environment to the version its backup recorded (cluster,
 * namespace and workload included, so it needs neither the catalog nor the configuration), marks
 * the GitHub deployment failed, and waits for that rollout.
 *
 * It never gives up: its steps are retried with backoff for as long as it takes, and a rollout
 * that does not complete is watched on. Once it has failed `alertAfterErrors` times in a row, or
 * its rollout outlasts the rollout timeout, it locks the service's queue (nothing else deploys
 * over a half-restored environment) and pages the on-call group; when it finally succeeds it
 * unlocks the queue it locked and tells them.
 */
export function createRollbackStage(deps: {
  kubernetes: KubernetesProvider;
  github: GitHubProvider;
  queue: Pick<DeploymentStore, 'getLock' | 'lock' | 'unlock'>;
  onCall: Pick<Notifier, 'alertOnCall'>;
  rolloutTimeoutMs: number;
  pollIntervalMs: number;
  /** Consecutive failed steps before the queue is locked and on-call paged (default 3). */
  alertAfterErrors?: number;
}) {
  const alertAfterErrors = deps.alertAfterErrors ?? 3;

  /** Locks the queue (unless someone already holds a lock) and pages on-call, once. */
  async function stuck(
    ctx: DeploymentStageContext<RollbackState>,
    backup: Backup,
    state: RollbackState,
    why: string,
  ): Promise<RollbackState> {
    const { token, entityRef } = ctx.run.input;
    const where = `${backup.namespace}/${backup.workload} in ${backup.cluster}`;
    const reason = `Rollback of ${token} in ${ctx.stage.environment} cannot finish: ${why}`;
    await ctx.fence();
    const held = await deps.queue.getLock({ entityRef });
    if (!held) {
      await deps.queue.lock({
        lock: {
          entityRef,
          lockedBy: SYSTEM_ACTOR,
          reason,
          lockedAt: ctx.now,
        },
      });
    }
    await deps.onCall.alertOnCall({
      deployment: { token, entityRef },
      title: 'A rollback cannot finish',
      description: `${reason}. ${where} should return to ${
        backup.image
      }; the rollback keeps retrying.${
        held ? '' : ' The queue is locked until it finishes.'
      }`,
    });
    await ctx.log(
      'error',
      `${reason}; on-call paged${held ? '' : ', queue locked'}; still retrying`,
    );
    const next = { ...state, alerted: true, lockedQueue: !held };
    await ctx.checkpoint(next);
    return next;
  }

  /** Unlocks the queue this rollback locked, and tells on-call it is over. */
  async function recovered(
    ctx: DeploymentStageContext<RollbackState>,
    backup: Backup,
    state: RollbackState,
  ) {
    const { token, entityRef } = ctx.run.input;
    await ctx.fence();
    const lock = await deps.queue.getLock({ entityRef });
    const ours =
      state.lockedQueue &&
      lock?.lockedBy === SYSTEM_ACTOR &&
      lock.reason.startsWith(`Rollback of ${token} `);
    if (ours) await deps.queue.unlock({ entityRef });
    await deps.onCall.alertOnCall({
      deployment: { token, entityRef },
      title: 'The rollback finished',
      description: `${backup.namespace}/${backup.workload} in ${
        backup.cluster
      } runs ${backup.image} again${ours ? '; the queue is unlocked' : ''}.`,
      resolved: true,
    });
    await ctx.log(
      'info',
      `Rollback finished after all${ours ? '; queue unlocked' : ''}`,
    );
  }

  return createStageHandler<
    DeploymentRunInput,
    DeploymentTarget,
    RollbackState
  >({
    stage: 'rollback',
    retry: {
      maxAttempts: Infinity,
      backoffMs: errors => Math.min(deps.pollIntervalMs * errors, 30_000),
    },
    async run(ctx) {
      const backup = backupOf(ctx);
      if (!backup) return { type: 'done' };
      let state = ctx.stage.state;
      if (ctx.stage.errors >= alertAfterErrors && !state.alerted) {
        state = await stuck(
          ctx,
          backup,
          state,
          `its last ${ctx.stage.errors} attempts failed (see the stage's log)`,
        );
      }
      if (!state.restored) {
        await ctx.fence();
        const changed = await deps.kubernetes.setWorkloadVersion({
          cluster: backup.cluster,
          namespace: backup.namespace,
          name: backup.workload,
          image: backup.image,
          commitSha: backup.commitSha,
          deployedAt: ctx.now,
          annotations: {
            [WORKLOAD_ANNOTATION_TOKEN]: `${ctx.run.input.token}-rollback`,
          },
        });
        await ctx.log(
          'warn',
          `${changed ? 'Returned' : 'Kept'} ${backup.namespace}/${
            backup.workload
          } in ${backup.cluster} to ${backup.image}`,
        );
        await reportDeploymentStatus(
          deps.github,
          ctx,
          ctx.stage.environment ?? '',
          'failure',
          `Rolled back: ${ctx.run.reason ?? ''}`,
        );
        state = { ...state, restored: true };
        await ctx.checkpoint(state);
      }
      const result = await followRollout(
        deps.kubernetes,
        { ...ctx, stage: { ...ctx.stage, state } },
        {
          backup,
          image: backup.image,
          timeoutMs: deps.rolloutTimeoutMs,
          pollIntervalMs: deps.pollIntervalMs,
        },
      );
      if (result.type === 'fail') {
        // A rollback does not fail: it is watched on, with people told.
        if (!state.alerted) {
          state = await stuck(ctx, backup, state, result.reason);
        }
        return { type: 'wait', afterMs: deps.pollIntervalMs, state };
      }
      if (result.type === 'wait') {
        return { ...result, state: { ...state, ...result.state } };
      }
      if (state.alerted) await recovered(ctx, backup, state);
      return result;
    },
  });
}
