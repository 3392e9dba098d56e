/*
 * The resource types the sandbox Kubernetes API server knows about, with the
 * discovery facts (plural, kind, short names, verbs, scope) the real server
 * publishes for them.
 */

/** A resource type served by the sandbox, e.g. `apps/v1` `deployments`. */
export interface ResourceType {
  /** API group; `''` for the core group. */
  group: string;
  version: string;
  /** Plural resource name used in URLs, e.g. `deployments`. */
  resource: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  /** Subresources served for this type (besides the main resource). */
  subresources: string[];
  /** How names are validated (see validation.ts). */
  nameRule: 'subdomain' | 'label' | 'dns1035';
  /** Whether `spec` changes bump `metadata.generation`. */
  hasGeneration: boolean;
  /** Whether the main resource ignores `status` on update (status is owned by the server). */
  hasStatus: boolean;
}

const VERBS = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];

export const RESOURCE_TYPES: readonly ResourceType[] = [
  {
    group: '',
    version: 'v1',
    resource: 'namespaces',
    singular: 'namespace',
    kind: 'Namespace',
    listKind: 'NamespaceList',
    namespaced: false,
    shortNames: ['ns'],
    categories: [],
    subresources: ['status'],
    nameRule: 'label',
    hasGeneration: false,
    hasStatus: true,
  },
  {
    group: '',
    version: 'v1',
    resource: 'configmaps',
    singular: 'configmap',
    kind: 'ConfigMap',
    listKind: 'ConfigMapList',
    namespaced: true,
    shortNames: ['cm'],
    categories: [],
    subresources: [],
    nameRule: 'subdomain',
    hasGeneration: false,
    hasStatus: false,
  },
  {
    group: '',
    version: 'v1',
    resource: 'services',
    singular: 'service',
    kind: 'Service',
    listKind: 'ServiceList',
    namespaced: true,
    shortNames: ['svc'],
    categories: ['all'],
    subresources: ['status'],
    nameRule: 'dns1035',
    hasGeneration: false,
    hasStatus: true,
  },
  {
    group: '',
    version: 'v1',
    resource: 'resourcequotas',
    singular: 'resourcequota',
    kind: 'ResourceQuota',
    listKind: 'ResourceQuotaList',
    namespaced: true,
    shortNames: ['quota'],
    categories: [],
    subresources: ['status'],
    nameRule: 'subdomain',
    hasGeneration: false,
    hasStatus: true,
  },
  {
    group: '',
    version: 'v1',
    resource: 'limitranges',
    singular: 'limitrange',
    kind: 'LimitRange',
    listKind: 'LimitRangeList',
    namespaced: true,
    shortNames: ['limits'],
    categories: [],
    subresources: [],
    nameRule: 'subdomain',
    hasGeneration: false,
    hasStatus: false,
  },
  {
    group: 'apps',
    version: 'v1',
    resource: 'deployments',
    singular: 'deployment',
    kind: 'Deployment',
    listKind: 'DeploymentList',
    namespaced: true,
    shortNames: ['deploy'],
    categories: ['all'],
    subresources: ['status', 'scale'],
    nameRule: 'subdomain',
    hasGeneration: true,
    hasStatus: true,
  },
  {
    group: 'networking.k8s.io',
    version: 'v1',
    resource: 'networkpolicies',
    singular: 'networkpolicy',
    kind: 'NetworkPolicy',
    listKind: 'NetworkPolicyList',
    namespaced: true,
    shortNames: ['netpol'],
    categories: [],
    subresources: [],
    nameRule: 'subdomain',
    hasGeneration: true,
    hasStatus: false,
  },
  {
    group: 'networking.k8s.io',
    version: 'v1',
    resource: 'ingresses',
    singular: 'ingress',
    kind: 'Ingress',
    listKind: 'IngressList',
    namespaced: true,
    shortNames: ['ing'],
    categories: [],
    subresources: ['status'],
    nameRule: 'subdomain',
    hasGeneration: true,
    hasStatus: true,
  },
];

export { VERBS as RESOURCE_VERBS };

/** `group/version`, or just `version` for the core group (the `apiVersion` of objects). */
export function apiVersionOf(type: ResourceType): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

/** `deployments.apps`, or `configmaps` for the core group (used in error messages). */
export function qualifiedResource(type: ResourceType): string {
  return type.group ? `${type.resource}.${type.group}` : type.resource;
}

/** `Deployment.apps`, or `ConfigMap` for the core group (used in Invalid messages). */
export function qualifiedKind(type: ResourceType): string {
  return type.group ? `${type.kind}.${type.group}` : type.kind;
}

/** A stable key: `apps/v1/deployments`, `v1/configmaps`. */
export function typeKey(type: ResourceType): string {
  return `${apiVersionOf(type)}/${type.resource}`;
}

/** The resource type served at `group`/`version`/`resource`, if any. */
export function findType(
  group: string,
  version: string,
  resource: string,
): ResourceType | undefined {
  return RESOURCE_TYPES.find(
    t => t.group === group && t.version === version && t.resource === resource,
  );
}

/** The resource type for an object's `apiVersion` and `kind`, if any. */
export function typeForKind(
  apiVersion: string,
  kind: string,
): ResourceType | undefined {
  return RESOURCE_TYPES.find(
    t => apiVersionOf(t) === apiVersion && t.kind === kind,
  );
}

/**
 * Resolves a loose reference to a resource type: a plural (`deployments`), a
 * singular, a short name (`deploy`), a kind (`Deployment`), a qualified
 * resource (`deployments.apps`) or a key (`apps/v1/deployments`, `v1/configmaps`).
 * Throws when nothing matches.
 */
export function resolveType(ref: string | ResourceType): ResourceType {
  if (typeof ref !== 'string') return ref;
  const found = RESOURCE_TYPES.find(
    t =>
      typeKey(t) === ref ||
      t.resource === ref ||
      t.singular === ref ||
      t.kind === ref ||
      qualifiedResource(t) === ref ||
      t.shortNames.includes(ref),
  );
  if (!found) {
    throw new Error(`Unknown Kubernetes resource type "${ref}"`);
  }
  return found;
}

/** The API groups (besides the core group) with their versions, in discovery order. */
export function apiGroups(): Array<{ name: string; versions: string[] }> {
  const groups: Array<{ name: string; versions: string[] }> = [];
  for (const t of RESOURCE_TYPES) {
    if (!t.group) continue;
    let g = groups.find(x => x.name === t.group);
    if (!g) {
      g = { name: t.group, versions: [] };
      groups.push(g);
    }
    if (!g.versions.includes(t.version)) g.versions.push(t.version);
  }
  return groups;
}
