import { EnvironmentConfig } from '../../config';
import { createStageHandler } from '../../engine';
import { KubernetesProvider } from '../../providers/kubernetes';
import { RollbackRunInput, RollbackTarget } from '../types';
import { DeploymentRunning } from './shared';
import { SetVersionState, setVersionStep } from './stableRollback';

/**
 * `restore` (level 5): returns the environment to the backup the pipeline recorded before the
 * deployment changed it: image and commit, replica count and the main container's plain env.
 */
export function createRestoreStage(deps: {
  kubernetes: KubernetesProvider;
  environments: EnvironmentConfig[];
  deploymentRunning: DeploymentRunning;
  rolloutTimeoutMs: number;
  pollIntervalMs: number;
}) {
  return createStageHandler<RollbackRunInput, RollbackTarget, SetVersionState>({
    stage: 'restore',
    async run(ctx) {
      const { backup } = ctx.run.input;
      if (!backup) {
        return {
          type: 'fail',
          reason: `No pre-deployment backup of ${ctx.stage.environment} was recorded`,
        };
      }
      return setVersionStep(
        deps,
        ctx,
        {
          image: backup.image,
          commitSha: backup.commitSha,
          ...(backup.replicas !== undefined
            ? { replicas: backup.replicas }
            : {}),
          ...(backup.env ? { env: backup.env } : {}),
        },
        'its pre-deployment backup',
      );
    },
  });
}
