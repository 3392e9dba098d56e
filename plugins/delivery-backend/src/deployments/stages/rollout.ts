import { createStageHandler } from '../../engine';
import { KubernetesProvider } from '../../providers/kubernetes';
import { DeploymentRunInput, DeploymentTarget } from '../types';
import { RolloutState, followRollout, requireBackup } from './shared';

/** `rollout`: waits until the new version runs on every replica and is ready, or times out. */
export function createRolloutStage(deps: {
  kubernetes: KubernetesProvider;
  rolloutTimeoutMs: number;
  pollIntervalMs: number;
}) {
  return createStageHandler<DeploymentRunInput, DeploymentTarget, RolloutState>(
    {
      stage: 'rollout',
      async run(ctx) {
        return followRollout(deps.kubernetes, ctx, {
          backup: requireBackup(ctx),
          image: ctx.run.input.image,
          timeoutMs: deps.rolloutTimeoutMs,
          pollIntervalMs: deps.pollIntervalMs,
        });
      },
    },
  );
}
