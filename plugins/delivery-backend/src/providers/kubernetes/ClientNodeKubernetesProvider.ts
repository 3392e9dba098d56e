import {
  AppsV1Api,
  CoreV1Api,
  NetworkingV1Api,
  PatchStrategy,
  V1ConfigMap,
  V1EnvVar,
  setHeaderOptions,
  V1Deployment,
} from '@kubernetes/client-node';
import {
  WORKLOAD_ANNOTATION_COMMIT_SHA,
  WORKLOAD_ANNOTATION_DEPLOYED_AT,
  deployedVersion,
  replicaCounts,
  rolloutState,
} from '@internal/plugin-delivery-common';
import { ClusterConfig } from '../../config';
import { UpstreamError } from '../UpstreamError';
import { ConflictRetry, callCluster, clusterConfiguration } from './clients';
import {
  KubernetesProvider,
  TrafficWeight,
  Workload,
  WorkloadEnvVar,
  WorkloadRef,
} from './KubernetesProvider';

/** NGINX ingress's canary annotations: a weighted share of a host's traffic. */
export const INGRESS_CANARY = 'nginx.ingress.kubernetes.io/canary';
export const INGRESS_CANARY_WEIGHT =
  'nginx.ingress.kubernetes.io/canary-weight';

/** A container's plain env vars (those with values; references are left as they are). */
function plainEnv(env: V1EnvVar[] | undefined): WorkloadEnvVar[] {
  return (env ?? []).map(e => ({
    name: e.name,
    ...(e.value !== undefined ? { value: e.value } : {}),
  }));
}

interface ClusterClients {
  config: ClusterConfig;
  apps: AppsV1Api;
  core: CoreV1Api;
  networking: NetworkingV1Api;
}

/** The domain view of a Deployment read from a cluster. */
function toWorkload(cluster: string, deployment: V1Deployment): Workload {
  const annotations = deployment.metadata?.annotations ?? {};
  const version = deployedVersion(deployment, WORKLOAD_ANNOTATION_COMMIT_SHA);
  const revision = annotations['deployment.kubernetes.io/revision'];
  const deployedAt = workloadDeployedAt(deployment);
  const containers = deployment.spec?.template?.spec?.containers ?? [];
  const main =
    containers.find(c => c.name === deployment.metadata?.name) ?? containers[0];
  return {
    cluster,
    namespace: deployment.metadata?.namespace ?? '',
    name: deployment.metadata?.name ?? '',
    ...(version ? { version } : {}),
    replicas: replicaCounts(deployment),
    rollout: rolloutState(deployment),
    ...(revision ? { revision } : {}),
    ...(deployedAt ? { deployedAt } : {}),
    annotations,
    env: plainEnv(main?.env),
  };
}

/**
 * When the running version was deployed, as far as the workload tells: our annotation, else the
 * time the rollout of the current ReplicaSet completed.
 */
function workloadDeployedAt(deployment: V1Deployment): Date | undefined {
  const annotated =
    deployment.metadata?.annotations?.[WORKLOAD_ANNOTATION_DEPLOYED_AT];
  if (annotated && !Number.isNaN(Date.parse(annotated))) {
    return new Date(annotated);
  }
  const progressing = deployment.status?.conditions?.find(
    c => c.type === 'Progressing' && c.reason === 'NewReplicaSetAvailable',
  );
  const time = progressing?.lastUpdateTime;
  return time ? new Date(time) : undefined;
}

/**
 * {@link KubernetesProvider} over `@kubernetes/client-node`, for the clusters declared under
 * `kubernetes.clusterLocatorMethods`. Every call is bounded by the request timeout; failures
 * name the cluster.
 */
export class ClientNodeKubernetesProvider implements KubernetesProvider {
  readonly #clusters = new Map<string, ClusterClients>();

  constructor(options: { clusters: ClusterConfig[]; timeoutMs: number }) {
    for (const cluster of options.clusters) {
      const configuration = clusterConfiguration(cluster, options.timeoutMs);
      this.#clusters.set(cluster.name, {
        config: cluster,
        apps: new AppsV1Api(configuration),
        core: new CoreV1Api(configuration),
        networking: new NetworkingV1Api(configuration),
      });
    }
  }

  async findWorkload(options: {
    cluster: string;
    namespace: string;
    kubernetesId: string;
  }): Promise<Workload | undefined> {
    const { cluster, namespace, kubernetesId } = options;
    const list = await this.#call(
      cluster,
      `list deployments in ${namespace}`,
      c =>
        c.apps.listNamespacedDeployment({
          namespace,
          labelSelector: `backstage.io/kubernetes-id=${kubernetesId}`,
        }),
    );
    const items = list?.items ?? [];
    const found =
      items.find(d => d.metadata?.name === kubernetesId) ?? items[0];
    return found ? toWorkload(cluster, found) : undefined;
  }

  async readConfigMap(options: {
    cluster: string;
    namespace: string;
    name: string;
  }): Promise<Record<string, string> | undefined> {
    const map = await this.#getConfigMap(
      options.cluster,
      options.namespace,
      options.name,
    );
    return map ? map.data ?? {} : undefined;
  }

  async getWorkload(options: WorkloadRef): Promise<Workload | undefined> {
    const deployment = await this.#getDeployment(
      options.cluster,
      options.namespace,
      options.name,
    );
    return deployment ? toWorkload(options.cluster, deployment) : undefined;
  }

  async #getConfigMap(
    cluster: string,
    namespace: string,
    name: string,
  ): Promise<V1ConfigMap | undefined> {
    return this.#call(cluster, `read configmap ${namespace}/${name}`, c =>
      c.core.readNamespacedConfigMap({ name, namespace }),
    );
  }

  async #getDeployment(
    cluster: string,
    namespace: string,
    name: string,
  ): Promise<V1Deployment | undefined> {
    return this.#call(cluster, `read deployment ${namespace}/${name}`, c =>
      c.apps.readNamespacedDeployment({ name, namespace }),
    );
  }

  /**
   * Points a Deployment's main container (named like the Deployment, else the first) at `image`
   * and records the commit and deploy time in its annotations. Idempotent: returns false when it
   * already runs that image and commit. Retries on a resourceVersion conflict.
   */
  async setWorkloadVersion(
    options: WorkloadRef & {
      image: string;
      commitSha: string;
      deployedAt: Date;
      annotations?: Record<string, string>;
      replicas?: number;
      env?: WorkloadEnvVar[];
    },
  ): Promise<boolean> {
    const { cluster, namespace, name, ...version } = options;
    for (let attempt = 0; attempt < 5; attempt++) {
      const deployment = await this.#getDeployment(cluster, namespace, name);
      if (!deployment) {
        throw new UpstreamError({
          system: `kubernetes:${cluster}`,
          statusCode: 502,
          message: `Kubernetes cluster '${cluster}' has no Deployment ${namespace}/${name}`,
        });
      }
      const containers = deployment.spec?.template?.spec?.containers ?? [];
      const main = containers.find(c => c.name === name) ?? containers[0];
      const annotations = deployment.metadata?.annotations ?? {};
      if (!main) {
        throw new UpstreamError({
          system: `kubernetes:${cluster}`,
          statusCode: 502,
          message: `Deployment ${namespace}/${name} in cluster '${cluster}' has no containers`,
        });
      }
      const sameEnv =
        version.env === undefined ||
        JSON.stringify(plainEnv(main.env)) === JSON.stringify(version.env);
      if (
        main.image === version.image &&
        annotations[WORKLOAD_ANNOTATION_COMMIT_SHA] === version.commitSha &&
        (version.replicas === undefined ||
          deployment.spec?.replicas === version.replicas) &&
        sameEnv
      ) {
        return false;
      }
      main.image = version.image;
      if (version.env !== undefined) main.env = version.env;
      if (version.replicas !== undefined && deployment.spec) {
        deployment.spec.replicas = version.replicas;
      }
      deployment.metadata = {
        ...deployment.metadata,
        annotations: {
          ...annotations,
          ...version.annotations,
          [WORKLOAD_ANNOTATION_COMMIT_SHA]: version.commitSha,
          [WORKLOAD_ANNOTATION_DEPLOYED_AT]: version.deployedAt.toISOString(),
        },
      };
      try {
        await this.#write(
          cluster,
          `update deployment ${namespace}/${name}`,
          c =>
            c.apps.replaceNamespacedDeployment({
              name,
              namespace,
              body: deployment,
            }),
        );
        return true;
      } catch (error) {
        if (!(error instanceof ConflictRetry)) throw error;
      }
    }
    throw new UpstreamError({
      system: `kubernetes:${cluster}`,
      statusCode: 502,
      message: `Deployment ${namespace}/${name} in cluster '${cluster}' kept changing under five updates in a row`,
    });
  }

  async setTrafficWeight(options: {
    cluster: string;
    namespace: string;
    kubernetesId: string;
    weight: number | ((ingress: string, before: number) => number);
  }): Promise<TrafficWeight[]> {
    const { cluster, namespace, kubernetesId } = options;
    const list = await this.#call(
      cluster,
      `list ingresses in ${namespace}`,
      c =>
        c.networking.listNamespacedIngress({
          namespace,
          labelSelector: `backstage.io/kubernetes-id=${kubernetesId}`,
        }),
    );
    const changed: TrafficWeight[] = [];
    for (const ingress of list?.items ?? []) {
      const annotations = ingress.metadata?.annotations ?? {};
      if (annotations[INGRESS_CANARY] !== 'true') continue;
      const name = ingress.metadata?.name ?? '';
      const before = Number(annotations[INGRESS_CANARY_WEIGHT] ?? 0);
      const weight =
        typeof options.weight === 'function'
          ? options.weight(name, before)
          : options.weight;
      changed.push({ ingress: name, before, after: weight });
      if (before === weight) continue;
      await this.#call(
        cluster,
        `set the canary weight of ingress ${namespace}/${name}`,
        c =>
          c.networking.patchNamespacedIngress(
            {
              name,
              namespace,
              body: {
                metadata: {
                  annotations: { [INGRESS_CANARY_WEIGHT]: String(weight) },
                },
              },
            },
            setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
          ),
      );
    }
    return changed;
  }

  async upsertConfigMap(options: {
    cluster: string;
    namespace: string;
    name: string;
    data: Record<string, string>;
    labels?: Record<string, string>;
  }): Promise<void> {
    const { cluster, namespace, name, ...content } = options;
    for (let attempt = 0; attempt < 5; attempt++) {
      const existing = await this.#getConfigMap(cluster, namespace, name);
      try {
        if (!existing) {
          await this.#write(
            cluster,
            `create configmap ${namespace}/${name}`,
            c =>
              c.core.createNamespacedConfigMap({
                namespace,
                body: {
                  metadata: { name, namespace, labels: content.labels },
                  data: content.data,
                },
              }),
          );
        } else {
          existing.data = content.data;
          existing.metadata = {
            ...existing.metadata,
            labels: { ...existing.metadata?.labels, ...content.labels },
          };
          await this.#write(
            cluster,
            `replace configmap ${namespace}/${name}`,
            c =>
              c.core.replaceNamespacedConfigMap({
                name,
                namespace,
                body: existing,
              }),
          );
        }
        return;
      } catch (error) {
        if (!(error instanceof ConflictRetry)) throw error;
      }
    }
    throw new UpstreamError({
      system: `kubernetes:${cluster}`,
      statusCode: 502,
      message: `ConfigMap ${namespace}/${name} in cluster '${cluster}' kept changing under five updates in a row`,
    });
  }

  /** A write: 409 (stale resourceVersion, or created meanwhile) becomes a retry signal. */
  async #write<T>(
    clusterName: string,
    what: string,
    fn: (clients: ClusterClients) => Promise<T>,
  ): Promise<T | undefined> {
    return this.#call(clusterName, what, fn, { conflictIsRetry: true });
  }

  /** Runs one API call; 404 becomes undefined, other failures an {@link UpstreamError}. */
  async #call<T>(
    clusterName: string,
    what: string,
    fn: (clients: ClusterClients) => Promise<T>,
    options?: { conflictIsRetry?: boolean },
  ): Promise<T | undefined> {
    const clients = this.#clusters.get(clusterName);
    return callCluster(
      clients && { config: clients.config, clients },
      clusterName,
      what,
      fn,
      options,
    );
  }
}
