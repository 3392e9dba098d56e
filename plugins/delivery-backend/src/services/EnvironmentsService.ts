import {
  EnvironmentStatus,
  StableVersion,
  UnknownStableVersion,
  stableConfigMapName,
} from '@internal/plugin-delivery-common';
import { EnvironmentConfig } from '../config';
import { ObservedVersionsStore } from '../database/ObservedVersionsStore';
import { KubernetesProvider } from '../providers/kubernetes';
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
    const [workload, stableMap] = await Promise.all([
      kubernetes.findWorkload({
        cluster: env.cluster,
        namespace,
        kubernetesId: service.kubernetesId,
      }),
      kubernetes.readConfigMap({
        cluster: env.cluster,
        namespace,
        name: stableConfigMapName(service.kubernetesId),
      }),
    ]);
    const stable: StableVersion | UnknownStableVersion =
      stableMap && Object.keys(stableMap).length > 0
        ? {
            state: 'recorded',
            commitSha: stableMap.commitSha,
            image: stableMap.image,
            version: stableMap.version,
            markedAt: stableMap.markedAt,
            markedBy: stableMap.markedBy,
          }
        : { state: 'unknown' };
    const base = {
      environment: env.name,
      cluster: env.cluster,
      namespace,
      stable,
    };
    if (!workload) {
      return {
        ...base,
        replicas: { desired: 0, ready: 0, updated: 0, available: 0 },
        rollout: 'missing',
      };
    }
    const { version } = workload;
    let deployedAt = workload.deployedAt;
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
      workload: workload.name,
      ...(version ? { version } : {}),
      replicas: workload.replicas,
      rollout: workload.rollout,
      ...(workload.revision ? { revision: workload.revision } : {}),
      ...(deployedAt ? { deployedAt: deployedAt.toISOString() } : {}),
    };
  }
}
