/*
 * Server-side printing: `meta.k8s.io/v1` `Table` responses with the columns
 * the real API server uses, for clients (kubectl get) that ask for them.
 */
import { KubeObject } from './KubeStore';
import { ResourceType } from './resources';

interface Column {
  name: string;
  type: 'string' | 'integer' | 'date';
  format: string;
  description: string;
  priority: number;
}

type Cell = string | number;

const NAME: Column = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description:
    'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
  priority: 0,
};

const AGE: Column = {
  name: 'Age',
  type: 'string',
  format: '',
  description:
    'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata',
  priority: 0,
};

function col(
  name: string,
  type: Column['type'],
  description: string,
  priority = 0,
): Column {
  return { name, type, format: '', description, priority };
}

/** `duration.HumanDuration` of k8s.io/apimachinery. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0
      ? `${Math.floor(hours / 24)}d`
      : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.floor(hours / 24) % 365;
    const years = Math.floor(hours / 24 / 365);
    return dy === 0 ? `${years}y` : `${years}y${dy}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

function age(obj: KubeObject): string {
  const ts = Date.parse(obj.metadata?.creationTimestamp ?? '');
  return Number.isNaN(ts) ? '<unknown>' : humanDuration(Date.now() - ts);
}

/** `metav1.FormatLabelSelector`-like rendering of a label selector. */
function formatSelector(selector: KubeObject | undefined): string {
  if (!selector) return '<none>';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    parts.push(`${k}=${v}`);
  }
  for (const e of selector.matchExpressions ?? []) {
    const op = String(e.operator ?? '');
    if (op === 'In') parts.push(`${e.key} in (${(e.values ?? []).join(',')})`);
    else if (op === 'NotIn')
      parts.push(`${e.key} notin (${(e.values ?? []).join(',')})`);
    else if (op === 'Exists') parts.push(String(e.key));
    else if (op === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.length ? parts.join(',') : '<none>';
}

function formatMap(map: Record<string, string> | undefined): string {
  const entries = Object.entries(map ?? {});
  return entries.length
    ? entries.map(([k, v]) => `${k}=${v}`).join(',')
    : '<none>';
}

interface Printer {
  columns: Column[];
  cells(obj: KubeObject): Cell[];
}

const PRINTERS: Record<string, Printer> = {
  namespaces: {
    columns: [
      NAME,
      col('Status', 'string', 'The status of the namespace'),
      AGE,
    ],
    cells: o => [o.metadata.name, o.status?.phase ?? '', age(o)],
  },
  configmaps: {
    columns: [
      NAME,
      col('Data', 'integer', 'Data contains the configuration data.'),
      AGE,
    ],
    cells: o => [
      o.metadata.name,
      Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length,
      age(o),
    ],
  },
  services: {
    columns: [
      NAME,
      col('Type', 'string', 'type determines how the Service is exposed.'),
      col(
        'Cluster-IP',
        'string',
        'clusterIP is the IP address of the service.',
      ),
      col(
        'External-IP',
        'string',
        'List of IP addresses for which nodes in the cluster will also accept traffic for this service.',
      ),
      col(
        'Port(s)',
        'string',
        'The list of ports that are exposed by this service.',
      ),
      AGE,
      col(
        'Selector',
        'string',
        'Route service traffic to pods with label keys and values matching this selector.',
        1,
      ),
    ],
    cells: o => {
      const spec = o.spec ?? {};
      const ports = (spec.ports ?? [])
        .map((p: KubeObject) =>
          p.nodePort
            ? `${p.port}:${p.nodePort}/${p.protocol ?? 'TCP'}`
            : `${p.port}/${p.protocol ?? 'TCP'}`,
        )
        .join(',');
      const ingress = (o.status?.loadBalancer?.ingress ?? [])
        .map((i: KubeObject) => i.ip ?? i.hostname)
        .filter(Boolean);
      let external = '<none>';
      if (spec.type === 'ExternalName')
        external = spec.externalName ?? '<none>';
      else if ((spec.externalIPs ?? []).length)
        external = spec.externalIPs.join(',');
      else if (spec.type === 'LoadBalancer')
        external = ingress.length ? ingress.join(',') : '<pending>';
      return [
        o.metadata.name,
        spec.type ?? 'ClusterIP',
        spec.clusterIP ?? '<none>',
        external,
        ports || '<none>',
        age(o),
        formatMap(spec.selector),
      ];
    },
  },
  resourcequotas: {
    columns: [
      NAME,
      AGE,
      col(
        'Request',
        'string',
        'Request represents a minimum amount of cpu/memory that a container may consume.',
      ),
      col(
        'Limit',
        'string',
        'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.',
      ),
    ],
    cells: o => {
      const hard: Record<string, string> = o.status?.hard ?? o.spec?.hard ?? {};
      const used: Record<string, string> = o.status?.used ?? {};
      const requests: string[] = [];
      const limits: string[] = [];
      for (const key of Object.keys(hard).sort()) {
        const entry = `${key}: ${used[key] ?? '0'}/${hard[key]}`;
        if (key.startsWith('limits')) limits.push(entry);
        else requests.push(entry);
      }
      return [o.metadata.name, age(o), requests.join(', '), limits.join(', ')];
    },
  },
  limitranges: {
    columns: [
      NAME,
      col(
        'Created At',
        'date',
        'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata',
      ),
    ],
    cells: o => [o.metadata.name, o.metadata.creationTimestamp ?? ''],
  },
  deployments: {
    columns: [
      NAME,
      col('Ready', 'string', 'Number of the pod with ready state'),
      col(
        'Up-to-date',
        'string',
        'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
      ),
      col(
        'Available',
        'string',
        'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.',
      ),
      AGE,
      col(
        'Containers',
        'string',
        'Names of each container in the template.',
        1,
      ),
      col(
        'Images',
        'string',
        'Images referenced by each container in the template.',
        1,
      ),
      col(
        'Selector',
        'string',
        'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.',
        1,
      ),
    ],
    cells: o => {
      const st = o.status ?? {};
      const containers = o.spec?.template?.spec?.containers ?? [];
      return [
        o.metadata.name,
        `${st.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}`,
        st.updatedReplicas ?? 0,
        st.availableReplicas ?? 0,
        age(o),
        containers.map((c: KubeObject) => c.name).join(','),
        containers.map((c: KubeObject) => c.image).join(','),
        formatSelector(o.spec?.selector),
      ];
    },
  },
  networkpolicies: {
    columns: [
      NAME,
      col(
        'Pod-Selector',
        'string',
        'Select the pods to which this NetworkPolicy object applies.',
      ),
      AGE,
    ],
    cells: o => [o.metadata.name, formatSelector(o.spec?.podSelector), age(o)],
  },
  ingresses: {
    columns: [
      NAME,
      col('Class', 'string', 'The name of the IngressClass cluster resource.'),
      col(
        'Hosts',
        'string',
        'Hosts that incoming requests are matched against.',
      ),
      col(
        'Address',
        'string',
        'Address is a list containing ingress points for the load-balancer.',
      ),
      col('Ports', 'string', 'Ports of TLS configurations that open.'),
      AGE,
    ],
    cells: o => {
      const hosts = (o.spec?.rules ?? [])
        .map((r: KubeObject) => r.host)
        .filter(Boolean);
      const address = (o.status?.loadBalancer?.ingress ?? [])
        .map((i: KubeObject) => i.ip ?? i.hostname)
        .filter(Boolean);
      return [
        o.metadata.name,
        o.spec?.ingressClassName ?? '<none>',
        hosts.length > 0 ? hosts.join(',') : '*',
        address.join(','),
        o.spec?.tls?.length ? '80, 443' : '80',
        age(o),
      ];
    },
  },
};

/** What rows carry, from the `includeObject` query parameter. */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** Whether an `Accept` header asks for a `meta.k8s.io` Table. */
export function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept);
}

/** A `meta.k8s.io/v1` Table of objects of one type. */
export function toTable(
  type: ResourceType,
  objects: KubeObject[],
  options: {
    includeObject?: string | null;
    resourceVersion?: string;
    withColumns?: boolean;
  } = {},
): KubeObject {
  const printer = PRINTERS[type.resource];
  const include = (options.includeObject ?? 'Metadata') as IncludeObject;
  const rows = objects.map(o => {
    const row: KubeObject = { cells: printer.cells(o) };
    if (include === 'Object') {
      row.object = o;
    } else if (include !== 'None') {
      row.object = {
        kind: 'PartialObjectMetadata',
        apiVersion: 'meta.k8s.io/v1',
        metadata: o.metadata,
      };
    }
    return row;
  });
  const metadata: KubeObject = {};
  if (options.resourceVersion)
    metadata.resourceVersion = options.resourceVersion;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: options.withColumns === false ? null : printer.columns,
    rows,
  };
}
