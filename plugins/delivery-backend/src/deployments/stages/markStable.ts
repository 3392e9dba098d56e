import { stableConfigMapName } from '@internal/plugin-delivery-common';
import { EnvironmentConfig } from '../../config';
import { createStageHandler } from '../../engine';
import { StableVersionWriter } from '../../database/DeploymentStore';
import { KubernetesProvider } from '../../providers/kubernetes';
import { DeploymentRunInput, DeploymentTarget, namespaceOf } from '../types';

/**
 * `mark-stable`: records the version as stable in every environment: the ConfigMap
 * `delivery-stable-<service>` in each cluster and a row in the database. Idempotent, retried
 * until it succeeds, and not cancellable (see `deploymentCancelRefusal`).
 */
export function createMarkStableStage(deps: {
  kubernetes: KubernetesProvider;
  environments: EnvironmentConfig[];
  stable: StableVersionWriter;
  pollIntervalMs: number;
}) {
  return createStageHandler<DeploymentRunInput, DeploymentTarget, object>({
    stage: 'mark-stable',
    // Production runs the new version: this finishes, however long a cluster refuses.
    retry: {
      maxAttempts: Infinity,
      backoffMs: errors => Math.min(deps.pollIntervalMs * errors, 30_000),
    },
    async run(ctx) {
      const { service } = ctx.target;
      const { input } = ctx.run;
      for (const env of deps.environments) {
        await ctx.fence();
        await deps.kubernetes.upsertConfigMap({
          cluster: env.cluster,
          namespace: namespaceOf(service, env),
          name: stableConfigMapName(service.kubernetesId),
          labels: {
            'backstage.io/kubernetes-id': service.kubernetesId,
            'app.kubernetes.io/managed-by': 'delivery',
          },
          data: {
            commitSha: input.commitSha,
            image: input.image,
            version: input.commitSha.slice(0, 7),
            markedAt: ctx.now.toISOString(),
            markedBy: input.requestedBy,
            token: input.token,
          },
        });
        await deps.stable.recordStable({
          entityRef: input.entityRef,
          environment: env.name,
          commitSha: input.commitSha,
          image: input.image,
          token: input.token,
          markedBy: input.requestedBy,
          markedAt: ctx.now,
        });
      }
      await ctx.log(
        'info',
        `Marked ${input.commitSha.slice(0, 7)} stable in ${deps.environments
          .map(e => e.name)
          .join(', ')}`,
      );
      return { type: 'done' };
    },
  });
}
