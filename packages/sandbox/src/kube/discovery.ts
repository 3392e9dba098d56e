/*
 * Discovery documents (/version, /api, /apis, API resource lists) and a minimal
 * OpenAPI v3 description, enough for kubectl and client libraries.
 */
import { createHash } from 'node:crypto';
import {
  RESOURCE_TYPES,
  RESOURCE_VERBS,
  ResourceType,
  apiGroups,
  apiVersionOf,
} from './resources';

/** The Kubernetes version the sandbox reports. */
export const KUBE_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.0' };

export function versionInfo(clusterName: string) {
  return {
    major: KUBE_VERSION.major,
    minor: KUBE_VERSION.minor,
    gitVersion: `${KUBE_VERSION.gitVersion}+sandbox`,
    gitCommit: createHash('sha1').update(clusterName).digest('hex'),
    gitTreeState: 'clean',
    buildDate: '2024-12-11T00:00:00Z',
    goVersion: 'go1.23.3',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

export function apiVersions(serverAddress: string) {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groupDoc(name: string, versions: string[]) {
  const gvs = versions.map(v => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions: gvs, preferredVersion: gvs[0] };
}

export function apiGroupList() {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: apiGroups().map(g => groupDoc(g.name, g.versions)),
  };
}

/** The `APIGroup` document of one group, or undefined when not served. */
export function apiGroup(name: string) {
  const g = apiGroups().find(x => x.name === name);
  if (!g) return undefined;
  return {
    kind: 'APIGroup',
    apiVersion: 'v1',
    ...groupDoc(g.name, g.versions),
  };
}

function storageVersionHash(t: ResourceType): string {
  return createHash('sha256')
    .update(`${apiVersionOf(t)}/${t.kind}`)
    .digest('base64')
    .slice(0, 11);
}

/** The `APIResourceList` of a group version, or undefined when not served. */
export function apiResourceList(group: string, version: string) {
  const types = RESOURCE_TYPES.filter(
    t => t.group === group && t.version === version,
  );
  if (types.length === 0) return undefined;
  const resources: Array<Record<string, unknown>> = [];
  for (const t of types) {
    const entry: Record<string, unknown> = {
      name: t.resource,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: RESOURCE_VERBS,
    };
    if (t.shortNames.length) entry.shortNames = t.shortNames;
    if (t.categories.length) entry.categories = t.categories;
    entry.storageVersionHash = storageVersionHash(t);
    resources.push(entry);
    for (const sub of t.subresources) {
      const subEntry: Record<string, unknown> = {
        name: `${t.resource}/${sub}`,
        singularName: '',
        namespaced: t.namespaced,
        kind: t.kind,
        verbs: ['get', 'patch', 'update'],
      };
      if (sub === 'scale') {
        subEntry.group = 'autoscaling';
        subEntry.version = 'v1';
        subEntry.kind = 'Scale';
      }
      resources.push(subEntry);
    }
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources,
  };
}

/** The OpenAPI v3 path key of a group version: `api/v1`, `apis/apps/v1`. */
function openApiGvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

function gvDocHash(group: string, version: string): string {
  return createHash('sha512')
    .update(JSON.stringify(openApiV3GroupVersion(group, version, false)))
    .digest('hex')
    .toUpperCase()
    .slice(0, 128);
}

/** `/openapi/v3`: the index of group-version documents. */
export function openApiV3Root() {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  const gvs = new Set(RESOURCE_TYPES.map(t => `${t.group}|${t.version}`));
  for (const gv of gvs) {
    const [group, version] = gv.split('|');
    const p = openApiGvPath(group, version);
    paths[p] = {
      serverRelativeURL: `/openapi/v3/${p}?hash=${gvDocHash(group, version)}`,
    };
  }
  return { paths };
}

const OBJECT_SCHEMA = {
  type: 'object',
  'x-kubernetes-preserve-unknown-fields': true,
};

/**
 * `/openapi/v3/<gv path>`: a minimal OpenAPI 3 document per group version. Its
 * operations carry `x-kubernetes-group-version-kind` and declare the
 * `fieldValidation`/`dryRun` query parameters, which is how kubectl decides the
 * server validates fields itself (so it skips client-side schema validation,
 * which would need full schemas). The PATCH request body deliberately does not
 * list `application/strategic-merge-patch+json`: then `kubectl apply` computes
 * strategic merge patches from its compiled-in types instead of these
 * (schema-less) documents.
 */
export function openApiV3GroupVersion(
  group: string,
  version: string,
  check = true,
): Record<string, unknown> | undefined {
  const types = RESOURCE_TYPES.filter(
    t => t.group === group && t.version === version,
  );
  if (check && types.length === 0) return undefined;
  const prefix = group ? `/apis/${group}/${version}` : `/api/${version}`;
  const param = (name: string) => ({
    name,
    in: 'query',
    description: name,
    schema: { type: 'string', uniqueItems: true },
  });
  const writeParams = [
    param('dryRun'),
    param('fieldManager'),
    param('fieldValidation'),
  ];
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  for (const t of types) {
    const gvk = { group: t.group, version: t.version, kind: t.kind };
    const schemaName = `io.k8s.sandbox.${t.group || 'core'}.${t.version}.${
      t.kind
    }`;
    schemas[schemaName] = {
      ...OBJECT_SCHEMA,
      description: `${t.kind} (sandbox)`,
      'x-kubernetes-group-version-kind': [gvk],
    };
    const ref = {
      content: {
        'application/json': {
          schema: { $ref: `#/components/schemas/${schemaName}` },
        },
      },
    };
    const op = (action: string, params: unknown[]) => ({
      tags: [`${t.group || 'core'}_${t.version}`],
      operationId: `${action}${t.kind}`,
      parameters: params,
      responses: { '200': { description: 'OK', ...ref } },
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': gvk,
    });
    const collection = t.namespaced
      ? `${prefix}/namespaces/{namespace}/${t.resource}`
      : `${prefix}/${t.resource}`;
    paths[collection] = {
      get: op('list', []),
      post: { ...op('post', writeParams), requestBody: ref },
    };
    paths[`${collection}/{name}`] = {
      get: op('get', []),
      put: { ...op('put', writeParams), requestBody: ref },
      patch: {
        ...op('patch', [...writeParams, param('force')]),
        requestBody: {
          content: {
            'application/json-patch+json': { schema: OBJECT_SCHEMA },
            'application/merge-patch+json': { schema: OBJECT_SCHEMA },
            'application/apply-patch+yaml': { schema: OBJECT_SCHEMA },
          },
        },
      },
      delete: op('delete', [param('dryRun')]),
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: KUBE_VERSION.gitVersion },
    paths,
    components: { schemas },
  };
}
