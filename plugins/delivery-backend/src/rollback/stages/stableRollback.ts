import { EnvironmentConfig } from '../../config';
import { createStageHandler } from '../../engine';
import { KubernetesProvider, WorkloadEnvVar } from '../../providers/kubernetes';
import {
  RollbackRunInput,
  RollbackStageContext,
  RollbackTarget,
  WORKLOAD_ANNOTATION_ROLLBACK,
} from '../types';
import { followWorkloadRollout } from '../../deployments/stages/shared';
import { DeploymentRunning, waitForDeployment, workloadOf } from './shared';

/** State of a `stable-rollback` or `restore` stage. */
export interface SetVersionState {
  waitedFor?: string;
  /** The version was set on the workload. */
  applied?: boolean;
  /** When it was set, for the rollout timeout. */
  appliedAt?: string;
  lastProgress?: string;
}

/**
 * Sets a workload's version once (recording the rollback on it) and follows the rollout; shared
 * by `stable-rollback` (level 2) and `restore` (level 5).
 */
export async function setVersionStep(
  deps: {
    kubernetes: KubernetesProvider;
    environments: EnvironmentConfig[];
    deploymentRunning: DeploymentRunning;
    rolloutTimeoutMs: number;
    pollIntervalMs: number;
  },
  ctx: RollbackStageContext<SetVersionState>,
  version: {
    image: string;
    commitSha: string;
    replicas?: number;
    env?: WorkloadEnvVar[];
  },
  what: string,
) {
  let state = ctx.stage.state;
  const workload = await workloadOf(deps.kubernetes, deps.environments, ctx);
  if (!state.applied) {
    const waiting = await waitForDeployment(
      deps.deploymentRunning,
      ctx,
      deps.pollIntervalMs,
    );
    if (waiting) return waiting;
    await ctx.fence();
    const changed = await deps.kubernetes.setWorkloadVersion({
      cluster: workload.cluster,
      namespace: workload.namespace,
      name: workload.name,
      image: version.image,
      commitSha: version.commitSha,
      deployedAt: ctx.now,
      ...(version.replicas !== undefined ? { replicas: version.replicas } : {}),
      ...(version.env ? { env: version.env } : {}),
      annotations: { [WORKLOAD_ANNOTATION_ROLLBACK]: ctx.run.input.id },
    });
    await ctx.log(
      'warn',
      `${changed ? 'Returned' : 'Kept'} ${workload.namespace}/${
        workload.name
      } in ${workload.cluster} ${changed ? 'to' : 'on'} ${what} ${
        version.image
      }`,
    );
    state = { ...state, applied: true, appliedAt: ctx.now.toISOString() };
    await ctx.checkpoint(state);
  }
  const result = await followWorkloadRollout(
    deps.kubernetes,
    { ...ctx, stage: { ...ctx.stage, state } },
    {
      workload: {
        cluster: workload.cluster,
        namespace: workload.namespace,
        name: workload.name,
      },
      image: version.image,
      startedAt: new Date(state.appliedAt ?? ctx.now.toISOString()),
      timeoutMs: deps.rolloutTimeoutMs,
      pollIntervalMs: deps.pollIntervalMs,
    },
  );
  return result.type === 'wait'
    ? { ...result, state: { ...state, ...result.state } }
    : result;
}

/**
 * `stable-rollback` (level 2): returns the stage's environment to the stable version the rollback
 * was started with (the one `delivery-stable-<service>` named then), waiting first for a
 * deployment of the service that was asked to stop. A rollout that does not complete in time
 * fails it, and the rollback escalates.
 */
export function createStableRollbackStage(deps: {
  kubernetes: KubernetesProvider;
  environments: EnvironmentConfig[];
  deploymentRunning: DeploymentRunning;
  rolloutTimeoutMs: number;
  pollIntervalMs: number;
}) {
  return createStageHandler<RollbackRunInput, RollbackTarget, SetVersionState>({
    stage: 'stable-rollback',
    async run(ctx) {
      const { target } = ctx.run.input;
      if (!target) {
        return {
          type: 'fail',
          reason: 'No stable version was recorded to return to',
        };
      }
      return setVersionStep(deps, ctx, target, 'the stable version');
    },
  });
}
