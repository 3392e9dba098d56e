import { V1Deployment } from '@kubernetes/client-node';
import {
  EnvironmentStatus,
  StableVersion,
  WORKLOAD_ANNOTATION_COMMIT_SHA,
  WORKLOAD_ANNOTATION_DEPLOYED_AT,
  deployedVersion,
  replicaCounts,
  rolloutState,
  stableConfigMapName,
} from '@internal/plugin-delivery-common';
import { EnvironmentConfig } from '../config';
import { ObservedVersionsStore } from '../database/ObservedVersionsStore';
import { KubernetesProvider } from '../providers/KubernetesProvider';
import { DeliveryEntity } from './EntityResolver';

/** The state of a service in every configured environment, read live from the clusters. */
export class EnvironmentsService {
  constructor(
    private readonly options: {
      environments: EnvironmentConfig[];
      kubernetes: KubernetesProvider;
      observedVersions: ObservedVersionsStore;
      now?: () => Date;
    },
  ) {}

  async list(service: DeliveryEntity): Promise<EnvironmentStatus[]> {
    return Promise.all(
      this.options.environments.map(env => this.#read(service, env)),
    );
  }

  async #read(
    service: DeliveryEntity,
    env: EnvironmentConfig,
  ): Promise<EnvironmentStatus> {
    const { kubernetes } = this.options;
    const namespace = service.kubernetesNamespace ?? env.namespace;
    const [deployment, stableMap] = await Promise.all([
      kubernetes.findDeployment(env.cluster, namespace, service.kubernetesId),
      kubernetes.getConfigMap(
        env.cluster,
        namespace,
        stableConfigMapName(service.kubernetesId),
      ),
    ]);
    const stable: StableVersion | { state: 'unknown' } = stableMap?.data
      ? {
          state: 'recorded',
          commitSha: stableMap.data.commitSha,
          image: stableMap.data.image,
          version: stableMap.data.version,
          markedAt: stableMap.data.markedAt,
          markedBy: stableMap.data.markedBy,
        }
      : { state: 'unknown' };
    const base = {
      environment: env.name,
      cluster: env.cluster,
      namespace,
      stable,
    };
    if (!deployment) {
      return {
        ...base,
        replicas: { desired: 0, ready: 0, updated: 0, available: 0 },
        rollout: 'missing',
      };
    }
    const version = deployedVersion(
      deployment as any,
      WORKLOAD_ANNOTATION_COMMIT_SHA,
    );
    let deployedAt = workloadDeployedAt(deployment);
    if (version) {
      const sighting = await this.options.observedVersions.recordSighting({
        entityRef: service.entityRef,
        environment: env.name,
        image: version.image,
        commitSha: version.commitSha,
        seenAt: this.options.now?.() ?? new Date(),
        deployedAt,
      });
      deployedAt ??= sighting.firstSeenAt;
    }
    return {
      ...base,
      workload: deployment.metadata?.name,
      ...(version ? { version } : {}),
      replicas: replicaCounts(deployment as any),
      rollout: rolloutState(deployment as any),
      ...(deployment.metadata?.annotations?.[
        'deployment.kubernetes.io/revision'
      ]
        ? {
            revision:
              deployment.metadata.annotations[
                'deployment.kubernetes.io/revision'
              ],
          }
        : {}),
      ...(deployedAt ? { deployedAt: deployedAt.toISOString() } : {}),
    };
  }
}

/**
 * When the running version was deployed, as far as the workload tells: our annotation, else the
 * time the rollout of the current ReplicaSet completed.
 */
function workloadDeployedAt(deployment: V1Deployment): Date | undefined {
  const annotated =
    deployment.metadata?.annotations?.[WORKLOAD_ANNOTATION_DEPLOYED_AT];
  if (annotated && !Number.isNaN(Date.parse(annotated)))
    return new Date(annotated);
  const progressing = deployment.status?.conditions?.find(
    c => c.type === 'Progressing' && c.reason === 'NewReplicaSetAvailable',
  );
  const time = progressing?.lastUpdateTime;
  if (time) return new Date(time as any);
  return undefined;
}
