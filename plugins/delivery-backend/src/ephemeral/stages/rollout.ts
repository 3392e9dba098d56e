import {
  RolloutState,
  followWorkloadRollout,
} from '../../deployments/stages/shared';
import { KubernetesProvider } from '../../providers/kubernetes';
import { createEnvironmentStage } from './shared';
import { WorkloadState } from './workload';

/** `rollout`: waits until the copied workload runs the branch's image, ready, or times out. */
export function createEnvironmentRolloutStage(deps: {
  kubernetes: KubernetesProvider;
  rolloutTimeoutMs: number;
  pollIntervalMs: number;
}) {
  return createEnvironmentStage<RolloutState>('rollout', async ctx => {
    const workload = (
      ctx.stages.find(s => s.kind === 'workload')?.state as
        | WorkloadState
        | undefined
    )?.workload;
    if (!workload) {
      return { type: 'fail', reason: 'No workload was deployed to wait for' };
    }
    return followWorkloadRollout(deps.kubernetes, ctx, {
      workload: {
        cluster: ctx.run.input.cluster,
        namespace: ctx.run.input.namespace,
        name: workload,
      },
      image: ctx.run.input.image,
      startedAt: ctx.stage.startedAt ?? ctx.now,
      timeoutMs: deps.rolloutTimeoutMs,
      pollIntervalMs: deps.pollIntervalMs,
    });
  });
}
