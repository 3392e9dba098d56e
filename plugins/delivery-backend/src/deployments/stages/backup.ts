import { EnvironmentConfig } from '../../config';
import { createStageHandler } from '../../engine';
import { KubernetesProvider } from '../../providers/kubernetes';
import {
  BackupState,
  DeploymentRunInput,
  DeploymentTarget,
  environmentOf,
  namespaceOf,
} from '../types';

/**
 * `backup`: records the version an environment runs, and where, to return to on failure. Reads
 * only; done once (a retry keeps the first record).
 */
export function createBackupStage(deps: {
  kubernetes: KubernetesProvider;
  environments: EnvironmentConfig[];
}) {
  return createStageHandler<DeploymentRunInput, DeploymentTarget, BackupState>({
    stage: 'backup',
    async run(ctx) {
      if (ctx.stage.state.backup) return { type: 'done' };
      const { service } = ctx.target;
      const env = environmentOf(deps.environments, ctx.stage);
      const namespace = namespaceOf(service, env);
      const workload = await deps.kubernetes.findWorkload({
        cluster: env.cluster,
        namespace,
        kubernetesId: service.kubernetesId,
      });
      if (!workload) {
        return {
          type: 'fail',
          reason: `No Deployment labelled backstage.io/kubernetes-id=${service.kubernetesId} in ${env.cluster}/${namespace}`,
        };
      }
      if (!workload.version) {
        return {
          type: 'fail',
          reason: `Deployment ${namespace}/${workload.name} has no container image`,
        };
      }
      const backup = {
        cluster: env.cluster,
        namespace,
        workload: workload.name,
        image: workload.version.image,
        commitSha: workload.version.commitSha ?? '',
        ...(workload.revision ? { revision: workload.revision } : {}),
      };
      await ctx.log(
        'info',
        `Recorded the running version ${
          workload.version.imageTag ?? workload.version.image
        } (${backup.workload}) to return to on failure`,
      );
      return { type: 'done', state: { backup } };
    },
  });
}
