import { EnvironmentConfig } from '../../config';
import { createStageHandler } from '../../engine';
import { GitHubProvider } from '../../providers/github';
import { KubernetesProvider } from '../../providers/kubernetes';
import {
  DeployState,
  DeploymentRunInput,
  DeploymentTarget,
  WORKLOAD_ANNOTATION_TOKEN,
  environmentOf,
} from '../types';
import { recordOnGitHub, requireBackup } from './shared';

/**
 * `deploy`: records a GitHub deployment (adopting one an interrupted attempt left behind, saved
 * before anything else), then sets the new image and commit on the environment's workload.
 * Idempotent: a workload that already runs the version is left alone.
 */
export function createDeployStage(deps: {
  kubernetes: KubernetesProvider;
  github: GitHubProvider;
  environments: EnvironmentConfig[];
}) {
  return createStageHandler<DeploymentRunInput, DeploymentTarget, DeployState>({
    stage: 'deploy',
    async run(ctx) {
      const { service } = ctx.target;
      const { input } = ctx.run;
      const env = environmentOf(deps.environments, ctx.stage);
      const backup = requireBackup(ctx);
      let state = ctx.stage.state;
      if (state.githubDeploymentId === undefined) {
        // An attempt that stopped between creating the GitHub deployment and saving its id (a
        // killed replica) left one behind: adopt it rather than create a second.
        const existing = await recordOnGitHub(ctx, () =>
          deps.github.findDeployment(service.projectSlug, {
            sha: input.commitSha,
            environment: env.name,
            token: input.token,
          }),
        );
        const id =
          existing ??
          (await recordOnGitHub(ctx, () =>
            deps.github.createDeployment(service.projectSlug, {
              sha: input.commitSha,
              environment: env.name,
              description: `${input.token} by ${input.requestedBy}`,
              payload: { token: input.token, image: input.image },
              productionEnvironment:
                env === deps.environments[deps.environments.length - 1],
            }),
          ));
        if (id !== undefined) {
          state = { ...state, githubDeploymentId: id };
          // Saved before anything else, so that a retry never records the deployment twice.
          await ctx.checkpoint(state);
          if (existing === undefined) {
            await recordOnGitHub(ctx, () =>
              deps.github.createDeploymentStatus(service.projectSlug, id, {
                state: 'in_progress',
                description: `Deploying ${input.token}`,
              }),
            );
          }
        }
      }
      await ctx.fence();
      const changed = await deps.kubernetes.setWorkloadVersion({
        cluster: backup.cluster,
        namespace: backup.namespace,
        name: backup.workload,
        image: input.image,
        commitSha: input.commitSha,
        deployedAt: ctx.now,
        annotations: { [WORKLOAD_ANNOTATION_TOKEN]: input.token },
      });
      await ctx.log(
        'info',
        changed
          ? `Set ${backup.namespace}/${backup.workload} in ${backup.cluster} to ${input.image}`
          : `${backup.namespace}/${backup.workload} in ${backup.cluster} already runs ${input.image}`,
      );
      return { type: 'done', state };
    },
  });
}
