/*
 * The Kubernetes objects of an ephemeral environment, built from its record and the
 * configuration with no I/O: the namespace's labels and annotations, the ResourceQuota, the
 * LimitRange, the NetworkPolicies (deny by default; allow the ingress controller in, DNS and the
 * configured services out), the workload and Services copied from UAT, and the flags ConfigMap.
 */
import type {
  V1ConfigMap,
  V1Deployment,
  V1LimitRange,
  V1NetworkPolicy,
  V1NetworkPolicyEgressRule,
  V1NetworkPolicyPeer,
  V1ResourceQuota,
  V1Service,
} from '@kubernetes/client-node';
import {
  ANNOTATION_KUBERNETES_ID,
  EPHEMERAL_ANNOTATION_BRANCH,
  EPHEMERAL_ANNOTATION_CREATED_BY,
  EPHEMERAL_ANNOTATION_ENTITY,
  EPHEMERAL_ANNOTATION_EXPIRATION,
  EPHEMERAL_LABEL,
  EPHEMERAL_LABEL_BRANCH,
  EPHEMERAL_LABEL_EXPIRATION,
  EPHEMERAL_LABEL_MANAGED_BY,
  EPHEMERAL_LABEL_OWNER,
  EPHEMERAL_LABEL_PERSISTENT,
  EPHEMERAL_LABEL_SERVICE,
  EPHEMERAL_MANAGED_BY,
  WORKLOAD_ANNOTATION_COMMIT_SHA,
  WORKLOAD_ANNOTATION_DEPLOYED_AT,
  expirationAnnotation,
  expirationLabel,
  labelSafe,
} from '@internal/plugin-delivery-common';
import { parseEntityRef } from '@backstage/catalog-model';
import { EphemeralConfig } from './config';

/** The names of the objects the portal puts in every ephemeral namespace. */
export const EPHEMERAL_OBJECTS = {
  quota: 'ephemeral-quota',
  limitRange: 'ephemeral-limits',
  denyAll: 'ephemeral-default-deny',
  allow: 'ephemeral-allow',
  flags: 'ephemeral-flags',
} as const;

/** What the namespace's metadata says of its environment. */
export interface EnvironmentFacts {
  entityRef: string;
  branch: string;
  createdBy: string;
  expiresAt: Date;
  persistent: boolean;
}

/** The labels that say when it expires and whether it is persistent (what `extend` changes). */
export function expiryMetadata(env: { expiresAt: Date; persistent: boolean }): {
  labels: Record<string, string>;
  annotations: Record<string, string>;
} {
  return {
    labels: {
      [EPHEMERAL_LABEL_EXPIRATION]: expirationLabel(env.expiresAt),
      [EPHEMERAL_LABEL_PERSISTENT]: String(env.persistent),
    },
    annotations: {
      [EPHEMERAL_ANNOTATION_EXPIRATION]: expirationAnnotation(env.expiresAt),
    },
  };
}

/** The namespace's labels and annotations. */
export function namespaceMetadata(env: EnvironmentFacts): {
  labels: Record<string, string>;
  annotations: Record<string, string>;
} {
  const expiry = expiryMetadata(env);
  const service = parseEntityRef(env.entityRef).name;
  const owner = env.createdBy.slice(env.createdBy.lastIndexOf('/') + 1);
  return {
    labels: {
      [EPHEMERAL_LABEL_MANAGED_BY]: EPHEMERAL_MANAGED_BY,
      [EPHEMERAL_LABEL]: 'true',
      [EPHEMERAL_LABEL_SERVICE]: labelSafe(service),
      [EPHEMERAL_LABEL_OWNER]: labelSafe(owner),
      [EPHEMERAL_LABEL_BRANCH]: labelSafe(env.branch),
      ...expiry.labels,
    },
    annotations: {
      [EPHEMERAL_ANNOTATION_BRANCH]: env.branch,
      [EPHEMERAL_ANNOTATION_ENTITY]: env.entityRef,
      [EPHEMERAL_ANNOTATION_CREATED_BY]: env.createdBy,
      ...expiry.annotations,
    },
  };
}

const MANAGED = { [EPHEMERAL_LABEL_MANAGED_BY]: EPHEMERAL_MANAGED_BY };

/** The namespace's ResourceQuota. */
export function resourceQuota(
  namespace: string,
  config: EphemeralConfig,
): V1ResourceQuota {
  return {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name: EPHEMERAL_OBJECTS.quota, namespace, labels: MANAGED },
    spec: { hard: { ...config.quota } },
  };
}

/** The namespace's LimitRange: container defaults (so the quota can count them) and maximums. */
export function limitRange(
  namespace: string,
  config: EphemeralConfig,
): V1LimitRange {
  const { default: limits, defaultRequest, max } = config.limitRange;
  return {
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: {
      name: EPHEMERAL_OBJECTS.limitRange,
      namespace,
      labels: MANAGED,
    },
    spec: {
      limits: [
        {
          type: 'Container',
          ...(Object.keys(limits).length > 0 ? { _default: limits } : {}),
          ...(Object.keys(defaultRequest).length > 0 ? { defaultRequest } : {}),
          ...(Object.keys(max).length > 0 ? { max } : {}),
        },
      ],
    },
  };
}

/**
 * The NetworkPolicies: one denying all traffic in and out of every pod, and one allowing what
 * the environment needs: in, from the ingress controller and from its own pods; out, to DNS, to
 * its own pods and to the configured services.
 */
export function networkPolicies(
  namespace: string,
  config: EphemeralConfig,
): V1NetworkPolicy[] {
  const { ingressFrom, egress } = config.networkPolicy;
  const ownPods: V1NetworkPolicyPeer = { podSelector: {} };
  const egressRules: V1NetworkPolicyEgressRule[] = [
    {
      to: [
        {
          namespaceSelector: {
            matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' },
          },
          podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
        },
      ],
      ports: [
        { protocol: 'UDP', port: 53 as any },
        { protocol: 'TCP', port: 53 as any },
      ],
    },
    { to: [ownPods] },
    ...egress.map(rule => {
      let peer: V1NetworkPolicyPeer;
      if (rule.cidr) {
        peer = { ipBlock: { cidr: rule.cidr } };
      } else {
        peer = {
          ...(rule.namespace
            ? {
                namespaceSelector: {
                  matchLabels: {
                    'kubernetes.io/metadata.name': rule.namespace,
                  },
                },
              }
            : {}),
          podSelector: { matchLabels: rule.podLabels ?? {} },
        };
      }
      return {
        to: [peer],
        ...(rule.ports.length > 0
          ? {
              ports: rule.ports.map(port => ({
                protocol: 'TCP',
                port: port as any,
              })),
            }
          : {}),
      };
    }),
  ];
  return [
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: EPHEMERAL_OBJECTS.denyAll, namespace, labels: MANAGED },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: EPHEMERAL_OBJECTS.allow, namespace, labels: MANAGED },
      spec: {
        podSelector: {},
        policyTypes: ['Ingress', 'Egress'],
        ingress: [
          {
            _from: [
              {
                namespaceSelector: { matchLabels: ingressFrom.namespaceLabels },
                podSelector: { matchLabels: ingressFrom.podLabels },
              },
            ],
          },
          { _from: [ownPods] },
        ],
        egress: egressRules,
      },
    },
  ];
}

/** Annotations that belong to the copied object's old life, never copied. */
const NOT_COPIED = [
  'deployment.kubernetes.io/revision',
  'kubectl.kubernetes.io/last-applied-configuration',
];

function copiedMetadata(
  metadata:
    | {
        name?: string;
        labels?: Record<string, string>;
        annotations?: Record<string, string>;
      }
    | undefined,
  namespace: string,
) {
  const annotations = { ...(metadata?.annotations ?? {}) };
  for (const key of NOT_COPIED) delete annotations[key];
  return {
    name: metadata?.name ?? '',
    namespace,
    labels: { ...(metadata?.labels ?? {}), ...MANAGED },
    annotations,
  };
}

/**
 * UAT's Deployment, moved to the ephemeral namespace with the branch's image on its main
 * container (named like the Deployment, else the first), the commit and deploy time annotated,
 * and the configured replicas. Its status, uid and revision stay behind.
 */
export function workloadCopy(
  source: V1Deployment,
  options: {
    namespace: string;
    image: string;
    commitSha: string;
    deployedAt: Date;
    replicas: number;
  },
): V1Deployment {
  const copy: V1Deployment = JSON.parse(JSON.stringify(source));
  const metadata = copiedMetadata(source.metadata, options.namespace);
  metadata.annotations[WORKLOAD_ANNOTATION_COMMIT_SHA] = options.commitSha;
  metadata.annotations[WORKLOAD_ANNOTATION_DEPLOYED_AT] =
    options.deployedAt.toISOString();
  const containers = copy.spec?.template?.spec?.containers ?? [];
  const main = containers.find(c => c.name === metadata.name) ?? containers[0];
  if (main) main.image = options.image;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata,
    spec: { ...copy.spec!, replicas: options.replicas },
  };
}

/** One of UAT's Services, moved to the ephemeral namespace as a ClusterIP Service. */
export function serviceCopy(source: V1Service, namespace: string): V1Service {
  const spec = source.spec ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: copiedMetadata(source.metadata, namespace),
    spec: {
      type: 'ClusterIP',
      ...(spec.selector ? { selector: spec.selector } : {}),
      ports: (spec.ports ?? []).map(p => ({
        ...(p.name ? { name: p.name } : {}),
        port: p.port,
        ...(p.targetPort !== undefined ? { targetPort: p.targetPort } : {}),
        protocol: p.protocol ?? 'TCP',
      })),
    },
  };
}

/**
 * The environment's flags as a flagd file source (`flags.flagd.json`), for a flagd sidecar or
 * the flagd operator to mount; labelled with the service's kubernetes-id.
 */
export function flagsConfigMap(
  namespace: string,
  kubernetesId: string,
  configuration: string,
): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: EPHEMERAL_OBJECTS.flags,
      namespace,
      labels: { ...MANAGED, [ANNOTATION_KUBERNETES_ID]: kubernetesId },
    },
    data: { 'flags.flagd.json': configuration },
  };
}
