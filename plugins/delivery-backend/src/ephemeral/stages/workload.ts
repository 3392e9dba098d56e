import { ANNOTATION_KUBERNETES_ID } from '@internal/plugin-delivery-common';
import { NamespaceProvider } from '../../providers/kubernetes/NamespaceProvider';
import { EphemeralConfig } from '../config';
import { serviceCopy, workloadCopy } from '../manifests';
import { createEnvironmentStage } from './shared';

/** State of a `workload` stage: the Deployment it applied, for the rollout stage. */
export interface WorkloadState {
  workload?: string;
}

/**
 * `workload`: copies the service's Deployment and Services from the environment new ones start
 * from (UAT) into the namespace, with the branch's image and the configured replicas.
 */
export function createWorkloadStage(deps: {
  namespaces: NamespaceProvider;
  config: EphemeralConfig;
}) {
  return createEnvironmentStage<WorkloadState>('workload', async ctx => {
    const { cluster, namespace, image, commitSha } = ctx.run.input;
    const { service } = ctx.target;
    const from = deps.config.copyFrom;
    const fromNamespace = service.kubernetesNamespace ?? from.namespace;
    const { deployment, services } =
      await deps.namespaces.readWorkloadManifests({
        cluster: from.cluster,
        namespace: fromNamespace,
        kubernetesId: service.kubernetesId,
      });
    if (!deployment) {
      return {
        type: 'fail',
        reason: `${from.name} (${from.cluster}, namespace ${fromNamespace}) runs no Deployment labelled ${ANNOTATION_KUBERNETES_ID}=${service.kubernetesId}: there is no workload to copy`,
      };
    }
    for (const svc of services) {
      await ctx.fence();
      await deps.namespaces.applyObject({
        cluster,
        object: serviceCopy(svc, namespace) as any,
      });
    }
    const copy = workloadCopy(deployment, {
      namespace,
      image,
      commitSha,
      deployedAt: ctx.now,
      replicas: deps.config.replicas,
    });
    await ctx.fence();
    const applied = await deps.namespaces.applyObject({
      cluster,
      object: copy as any,
    });
    await ctx.log(
      'info',
      `Deployment ${copy.metadata!.name} ${applied} from ${
        from.name
      } with ${image}${
        services.length > 0
          ? `, and Service${services.length > 1 ? 's' : ''} ${services
              .map(s => s.metadata?.name)
              .join(', ')}`
          : ''
      }`,
    );
    return { type: 'done', state: { workload: copy.metadata!.name } };
  });
}
