import { PermissionsService } from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError } from '@backstage/errors';
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  ENVIRONMENT_CONFIG_MAP,
  EPHEMERAL_ANNOTATION_CREATED_BY,
  WORKLOAD_ANNOTATION_ENTITY_REFS,
  RegisterWorkloadResponse,
  WorkloadRegistration,
  deliveryWorkloadRegisterPermission,
  namesEntity,
  workloadManifestProblems,
} from '@internal/plugin-delivery-common';
import { EnvironmentConfig } from '../config';
import { NamespaceProvider } from '../providers/kubernetes/NamespaceProvider';
import { DeliveryEntity } from './EntityResolver';
import { Actor, ServiceAuthorizer } from './ServiceAuthorizer';

/** Creation order: what a Deployment mounts or is reached through comes first. */
const ORDER = ['ConfigMap', 'Service', 'Deployment'];

type Manifest = KubernetesObject & {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
  };
};

/**
 * Registers a service's workload in every delivery environment: the namespace and the first
 * objects, created where missing and left alone where present. This is how a service made by the
 * scaffolder gets environments its first deployment can go to. A namespace it creates names the
 * service (`delivery.backstage.io/entity-refs`); one that is there already must, or nothing is
 * created in it (403): a catalog entity cannot claim another team's namespace. Each namespace
 * also gets the ConfigMap `delivery-environment` naming its environment (`DEPLOY_ENVIRONMENT`).
 */
export class WorkloadRegistrationService {
  readonly #authorizer: ServiceAuthorizer;

  constructor(
    private readonly options: {
      environments: EnvironmentConfig[];
      namespaces: NamespaceProvider;
      permissions: PermissionsService;
    },
  ) {
    this.#authorizer = new ServiceAuthorizer({
      permissions: options.permissions,
    });
  }

  async register(
    service: DeliveryEntity,
    manifests: unknown[],
    actor: Actor,
    options: { dryRun?: boolean } = {},
  ): Promise<RegisterWorkloadResponse> {
    const dryRun = options.dryRun ?? false;
    const namespaceOf = (env: EnvironmentConfig) =>
      service.kubernetesNamespace ?? env.namespace;
    const namespaces = new Set(this.options.environments.map(namespaceOf));
    for (const namespace of namespaces) {
      const problems = workloadManifestProblems(manifests, {
        kubernetesId: service.kubernetesId,
        namespace,
        entityRef: service.entityRef,
      });
      if (problems.length > 0) {
        throw new InputError(
          `The workload of ${
            service.entityRef
          } cannot be registered: ${problems.join('; ')}`,
        );
      }
    }
    await this.#authorizer.authorize(
      deliveryWorkloadRegisterPermission,
      service.entityRef,
      actor,
      'register the workload of',
    );
    const objects = [...(manifests as Manifest[])].sort(
      (a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind),
    );
    const targets = await Promise.all(
      this.options.environments.map(async env => {
        const namespace = namespaceOf(env);
        const existing = await this.options.namespaces.readNamespace({
          cluster: env.cluster,
          name: namespace,
        });
        return { env, namespace, existing };
      }),
    );
    // A namespace that is there must name the service: nobody adds workloads to another team's
    // namespace by claiming it in a catalog entity. Checked in every environment before any
    // is changed.
    for (const { env, namespace, existing } of targets) {
      if (
        existing &&
        !namesEntity(
          existing.annotations[WORKLOAD_ANNOTATION_ENTITY_REFS],
          service.entityRef,
        )
      ) {
        throw new NotAllowedError(
          `Namespace ${namespace} in ${env.name} (cluster ${env.cluster}) exists and is not ${service.entityRef}'s: its owners name the service in its ${WORKLOAD_ANNOTATION_ENTITY_REFS} annotation, or the service chooses another namespace (backstage.io/kubernetes-namespace)`,
        );
      }
    }
    // Which environment it is, for the workload to read (unless the manifests bring their own).
    const bringsEnvironmentConfigMap = objects.some(
      o => o.kind === 'ConfigMap' && o.metadata.name === ENVIRONMENT_CONFIG_MAP,
    );
    const environments: WorkloadRegistration[] = [];
    // One environment after the other, in pipeline order: a failure leaves the earlier ones
    // complete, and a retry finds them there.
    for (const { env, namespace, existing } of targets) {
      let namespaceResult: WorkloadRegistration['namespaceResult'] = 'exists';
      if (!existing) {
        if (dryRun) {
          namespaceResult = 'would-create';
        } else {
          await this.options.namespaces.applyNamespace({
            cluster: env.cluster,
            name: namespace,
            labels: {},
            annotations: {
              [EPHEMERAL_ANNOTATION_CREATED_BY]: actor.userEntityRef,
              [WORKLOAD_ANNOTATION_ENTITY_REFS]: service.entityRef,
            },
          });
          namespaceResult = 'created';
        }
      }
      const perEnvironment: Manifest[] = bringsEnvironmentConfigMap
        ? objects
        : [
            {
              apiVersion: 'v1',
              kind: 'ConfigMap',
              metadata: { name: ENVIRONMENT_CONFIG_MAP },
              data: { DEPLOY_ENVIRONMENT: env.name },
            } as Manifest,
            ...objects,
          ];
      const results: WorkloadRegistration['objects'] = [];
      for (const object of perEnvironment) {
        const result =
          namespaceResult === 'would-create'
            ? 'would-create'
            : await this.options.namespaces.createObject({
                cluster: env.cluster,
                object: {
                  ...object,
                  metadata: { ...object.metadata, namespace },
                },
                dryRun,
              });
        results.push({ kind: object.kind, name: object.metadata.name, result });
      }
      environments.push({
        environment: env.name,
        cluster: env.cluster,
        namespace,
        namespaceResult,
        objects: results,
      });
    }
    return { entityRef: service.entityRef, dryRun, environments };
  }
}
