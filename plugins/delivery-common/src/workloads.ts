import {
  ANNOTATION_KUBERNETES_ID,
  WORKLOAD_ANNOTATION_ENTITY_REFS,
} from './annotations';

/** The kinds a service's first workload may hold, with the apiVersion each must have. */
const KINDS: Record<string, string> = {
  Deployment: 'apps/v1',
  Service: 'v1',
  ConfigMap: 'v1',
};

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Whether a comma-separated list of entity refs names `entityRef`. */
export function namesEntity(value: unknown, entityRef: string): boolean {
  return (
    typeof value === 'string' &&
    value
      .split(',')
      .map(ref => ref.trim().toLowerCase())
      .includes(entityRef.toLowerCase())
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The problems of a service's workload manifests, each with its path (`manifests[1].kind: …`):
 * only Deployments, Services and ConfigMaps with their usual apiVersion and a DNS-safe name, in
 * the service's namespace or none, no two with the same kind and name; and at least one
 * Deployment, labelled (and its pods labelled) with the service's `backstage.io/kubernetes-id`,
 * which is how the portal finds the workload, and naming the service in its
 * `delivery.backstage.io/entity-refs` annotation, without which the portal deploys nothing onto
 * it.
 */
export function workloadManifestProblems(
  manifests: unknown[],
  service: { kubernetesId: string; namespace: string; entityRef: string },
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
      const annotations = isRecord(metadata.annotations)
        ? metadata.annotations
        : {};
      if (
        !namesEntity(
          annotations[WORKLOAD_ANNOTATION_ENTITY_REFS],
          service.entityRef,
        )
      ) {
        problems.push(
          `${at}.metadata.annotations: needs ${WORKLOAD_ANNOTATION_ENTITY_REFS}: ${service.entityRef} (the portal deploys only onto workloads that name the service)`,
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
 * The ConfigMap the portal creates in a registered service's namespace in each environment,
 * holding `DEPLOY_ENVIRONMENT` (the environment's name): one manifest goes to every environment,
 * so a workload reads its environment from here (`envFrom`), e.g. for its flag selector
 * `<environment>/<service>`.
 */
export const ENVIRONMENT_CONFIG_MAP = 'delivery-environment';
