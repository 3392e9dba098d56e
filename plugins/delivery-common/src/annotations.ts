/**
 * Catalog annotations the delivery plugins read. The ecosystem's own annotations are reused;
 * ours live under `delivery.backstage.io/` and only say what none of those says.
 */

/** `owner/repo` of the service's GitHub repository (the GitHub plugins' annotation). */
export const ANNOTATION_GITHUB_PROJECT_SLUG = 'github.com/project-slug';
/** Value of the `backstage.io/kubernetes-id` label on the service's workloads. */
export const ANNOTATION_KUBERNETES_ID = 'backstage.io/kubernetes-id';
/** Namespace of the workload in every cluster (defaults to `default`). */
export const ANNOTATION_KUBERNETES_NAMESPACE =
  'backstage.io/kubernetes-namespace';
/**
 * Template of the image a commit is deployed as, e.g. `ghcr.io/acme/api:{{sha}}`: `{{sha}}` is
 * the full commit sha (required), `{{repository}}` the running image's repository. Overrides
 * `delivery.images.template`.
 */
export const ANNOTATION_IMAGE_TEMPLATE = 'delivery.backstage.io/image';
/** Full name of the service's Jenkins job. */
export const ANNOTATION_JENKINS_JOB = 'jenkins.io/job-full-name';

/**
 * Which endpoints the code behind each of the service's flags serves, for the rollback decision
 * (errors concentrated there → turn the flag off): `key=/a,/b; other-key=/c`.
 */
export const ANNOTATION_FLAG_ENDPOINTS = 'delivery.backstage.io/flag-endpoints';

/**
 * Parses {@link ANNOTATION_FLAG_ENDPOINTS}: flag key → endpoints. Entries without a key or
 * endpoints are skipped; an absent annotation is an empty map.
 */
export function parseFlagEndpoints(
  value: string | undefined,
): Map<string, string[]> {
  const endpoints = new Map<string, string[]>();
  for (const entry of (value ?? '').split(';')) {
    const at = entry.indexOf('=');
    if (at < 0) continue;
    const key = entry.slice(0, at).trim();
    const paths = entry
      .slice(at + 1)
      .split(',')
      .map(p => p.trim())
      .filter(Boolean);
    if (key && paths.length > 0) {
      endpoints.set(key, [...(endpoints.get(key) ?? []), ...paths]);
    }
  }
  return endpoints;
}

/** Annotations a service needs for the Deployments tab. */
export const REQUIRED_DELIVERY_ANNOTATIONS = [
  ANNOTATION_GITHUB_PROJECT_SLUG,
  ANNOTATION_KUBERNETES_ID,
] as const;

/**
 * Annotation written on Kubernetes Deployments by the pipeline (and by the sandbox seed): the
 * full commit sha that the running image was built from.
 */
export const WORKLOAD_ANNOTATION_COMMIT_SHA =
  'delivery.backstage.io/commit-sha';
/**
 * Annotation on Kubernetes Deployments naming the catalog entities (comma-separated entity refs,
 * e.g. `component:default/payments-api`) that may deploy onto it. Set by the workload's owners
 * in their manifests: the portal changes no workload that does not name the entity asking.
 */
export const WORKLOAD_ANNOTATION_ENTITY_REFS =
  'delivery.backstage.io/entity-refs';
/** Annotation on Kubernetes Deployments: ISO time the current version was deployed. */
export const WORKLOAD_ANNOTATION_DEPLOYED_AT =
  'delivery.backstage.io/deployed-at';

/** Name of the ConfigMap that records the stable version of a service in a cluster. */
export function stableConfigMapName(kubernetesId: string): string {
  return `delivery-stable-${kubernetesId}`;
}

/** Annotations from `names` that `annotations` lacks (empty values count as missing). */
export function missingAnnotations(
  annotations: Record<string, string> | undefined,
  names: readonly string[] = REQUIRED_DELIVERY_ANNOTATIONS,
): string[] {
  return names.filter(name => !annotations?.[name]?.trim());
}
