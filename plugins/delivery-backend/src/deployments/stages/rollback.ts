import { createStageHandler } from '../../engine';
import { GitHubProvider } from '../../providers/github';
import { KubernetesProvider } from '../../providers/kubernetes';
import {
  DeploymentRunInput,
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
}

/**
 * `rollback`: returns the failing environment to the version its backup recorded (cluster,
 * namespace and workload included, so it needs neither the catalog nor the configuration), marks
 * the GitHub deployment failed, and waits for that rollout.
 */
export function createRollbackStage(deps: {
  kubernetes: KubernetesProvider;
  github: GitHubProvider;
  rolloutTimeoutMs: number;
  pollIntervalMs: number;
}) {
  return createStageHandler<
    DeploymentRunInput,
    DeploymentTarget,
    RollbackState
  >({
    stage: 'rollback',
    async run(ctx) {
      const backup = backupOf(ctx);
      if (!backup) return { type: 'done' };
      let state = ctx.stage.state;
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
      return result.type === 'wait'
        ? { ...result, state: { ...state, ...result.state } }
        : result;
    },
  });
}
