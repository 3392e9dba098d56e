import { PermissionsService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  ANNOTATION_KUBERNETES_ID,
  EPHEMERAL_ANNOTATION_CREATED_BY,
  RegisterWorkloadResponse,
  WorkloadRegistration,
  deliveryWorkloadRegisterPermission,
} from '@internal/plugin-delivery-common';
import { EnvironmentConfig } from '../config';
import { NamespaceProvider } from '../providers/kubernetes/NamespaceProvider';
import { DeliveryEntity } from './EntityResolver';
import { Actor, ServiceAuthorizer } from './ServiceAuthorizer';

/** The kinds a service's first workload may hold, with the apiVersion each must have. */
const KINDS: Record<string, string> = {
  Deployment: 'apps/v1',
  Service: 'v1',
  ConfigMap: 'v1',
};

/** Creation order: what a Deployment mounts or is reached through comes first. */
const ORDER = ['ConfigMap', 'Service', 'Deployment'];

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

type Manifest = KubernetesObject & {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
  };
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The problems of a service's workload manifests, each with its path (`manifests[1].kind: …`):
 * only Deployments, Services and ConfigMaps with their usual apiVersion and a DNS-safe name, in
 * the service's namespace or none, no two with the same kind and name; and at least one
 * Deployment, labelled (and its pods labelled) with the service's `backstage.io/kubernetes-id`,
 * which is how the portal finds the workload.
 */
export function workloadManifestProblems(
  manifests: unknown[],
  service: { kubernetesId: string; namespace: string },
): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  let deployments = 0;
  manifests.forEach((manifest, index) => {
    const at = `manifests[${index}]`;
    if (!isRecord(manifest)) {
      problems.push(`${at}: must be an object`);
      return;
    }
    const { kind, apiVersion, metadata } = manifest;
    if (typeof kind !== 'string' || !(kind in KINDS)) {
      problems.push(
        `${at}.kind: must be one of ${Object.keys(KINDS).join(', ')} (got ${
          typeof kind === 'string' ? kind : typeof kind
        })`,
      );
      return;
    }
    if (apiVersion !== KINDS[kind]) {
      problems.push(`${at}.apiVersion: a ${kind} is ${KINDS[kind]}`);
    }
    if (!isRecord(metadata)) {
      problems.push(`${at}.metadata: must be an object with a name`);
      return;
    }
    const name = metadata.name;
    if (typeof name !== 'string' || !DNS_LABEL.test(name)) {
      problems.push(
        `${at}.metadata.name: must be a DNS label (lower-case letters, digits and '-', at most 63)`,
      );
    } else if (seen.has(`${kind}/${name}`)) {
      problems.push(`${at}: a second ${kind} named ${name}`);
    } else {
      seen.add(`${kind}/${name}`);
    }
    if (
      metadata.namespace !== undefined &&
      metadata.namespace !== service.namespace
    ) {
      problems.push(
        `${at}.metadata.namespace: the service's namespace is ${
          service.namespace
        } (from backstage.io/kubernetes-namespace), not ${String(
          metadata.namespace,
        )}`,
      );
    }
    if (kind === 'Deployment') {
      deployments += 1;
      const labels = isRecord(metadata.labels) ? metadata.labels : {};
      if (labels[ANNOTATION_KUBERNETES_ID] !== service.kubernetesId) {
        problems.push(
          `${at}.metadata.labels: needs ${ANNOTATION_KUBERNETES_ID}: ${service.kubernetesId}`,
        );
      }
      const spec = isRecord(manifest.spec) ? manifest.spec : {};
      const template = isRecord(spec.template) ? spec.template : {};
      const templateMetadata = isRecord(template.metadata)
        ? template.metadata
        : {};
      const podLabels = isRecord(templateMetadata.labels)
        ? templateMetadata.labels
        : {};
      if (podLabels[ANNOTATION_KUBERNETES_ID] !== service.kubernetesId) {
        problems.push(
          `${at}.spec.template.metadata.labels: needs ${ANNOTATION_KUBERNETES_ID}: ${service.kubernetesId}`,
        );
      }
    }
  });
  if (manifests.length > 0 && deployments === 0) {
    problems.push('manifests: needs a Deployment');
  }
  return problems;
}

/**
 * Registers a service's workload in every delivery environment: the namespace and the first
 * objects, created where missing and left alone where present. This is how a service made by the
 * scaffolder gets environments its first deployment can go to.
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
    const environments: WorkloadRegistration[] = [];
    // One environment after the other, in pipeline order: a failure leaves the earlier ones
    // complete, and a retry finds them there.
    for (const env of this.options.environments) {
      const namespace = namespaceOf(env);
      const exists = await this.options.namespaces.namespaceExists({
        cluster: env.cluster,
        name: namespace,
      });
      let namespaceResult: WorkloadRegistration['namespaceResult'] = 'exists';
      if (!exists) {
        if (dryRun) {
          namespaceResult = 'would-create';
        } else {
          await this.options.namespaces.applyNamespace({
            cluster: env.cluster,
            name: namespace,
            labels: {},
            annotations: {
              [EPHEMERAL_ANNOTATION_CREATED_BY]: actor.userEntityRef,
            },
          });
          namespaceResult = 'created';
        }
      }
      const results: WorkloadRegistration['objects'] = [];
      for (const object of objects) {
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
