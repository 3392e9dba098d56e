/*
 * Decoding of Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`)
 * for the kinds the sandbox serves. kubectl's imperative generators (`kubectl create
 * namespace|configmap|deployment|service|quota`) send their objects as protobuf, even
 * to a server that answers JSON. Responses stay JSON.
 *
 * The wire format: the magic bytes `k8s\0`, then a `runtime.Unknown` message
 * { 1: typeMeta { 1: apiVersion, 2: kind }, 2: raw (the object's own message) }.
 * Field numbers come from k8s.io/api's generated.proto files. Only the fields
 * those generators (and typical manifests) use are mapped; others are ignored.
 */
import { badRequest } from './errors';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

type Scalar =
  | 'string'
  | 'int'
  | 'bool'
  | 'bytes'
  | 'time'
  | 'quantity'
  | 'intstr';

/** How one field decodes: its JSON name, its type, whether repeated, whether zero is kept. */
interface Field {
  name: string;
  /** A scalar, a message name, or `map:<scalar|message>` (string keys). */
  type: string;
  repeated?: boolean;
  /** Keep zero values (pointer fields in Go, where 0 is meaningful). */
  keepZero?: boolean;
}

type Message = Record<number, Field>;

const f = (
  name: string,
  type: string,
  opts: Partial<Pick<Field, 'repeated' | 'keepZero'>> = {},
): Field => ({ name, type, ...opts });

const MESSAGES: Record<string, Message> = {
  ObjectMeta: {
    1: f('name', 'string'),
    2: f('generateName', 'string'),
    3: f('namespace', 'string'),
    5: f('uid', 'string'),
    6: f('resourceVersion', 'string'),
    7: f('generation', 'int'),
    8: f('creationTimestamp', 'time'),
    11: f('labels', 'map:string'),
    12: f('annotations', 'map:string'),
    13: f('ownerReferences', 'OwnerReference', { repeated: true }),
    14: f('finalizers', 'string', { repeated: true }),
  },
  OwnerReference: {
    1: f('kind', 'string'),
    3: f('name', 'string'),
    4: f('uid', 'string'),
    5: f('apiVersion', 'string'),
    6: f('controller', 'bool'),
    7: f('blockOwnerDeletion', 'bool'),
  },
  Namespace: {
    1: f('metadata', 'ObjectMeta'),
    2: f('spec', 'NamespaceSpec'),
  },
  NamespaceSpec: { 1: f('finalizers', 'string', { repeated: true }) },
  ConfigMap: {
    1: f('metadata', 'ObjectMeta'),
    2: f('data', 'map:string'),
    3: f('binaryData', 'map:bytes'),
    4: f('immutable', 'bool'),
  },
  Deployment: {
    1: f('metadata', 'ObjectMeta'),
    2: f('spec', 'DeploymentSpec'),
  },
  DeploymentSpec: {
    1: f('replicas', 'int', { keepZero: true }),
    2: f('selector', 'LabelSelector'),
    3: f('template', 'PodTemplateSpec'),
    4: f('strategy', 'DeploymentStrategy'),
    5: f('minReadySeconds', 'int'),
    6: f('revisionHistoryLimit', 'int', { keepZero: true }),
    7: f('paused', 'bool'),
    9: f('progressDeadlineSeconds', 'int', { keepZero: true }),
  },
  DeploymentStrategy: {
    1: f('type', 'string'),
    2: f('rollingUpdate', 'RollingUpdateDeployment'),
  },
  RollingUpdateDeployment: {
    1: f('maxUnavailable', 'intstr'),
    2: f('maxSurge', 'intstr'),
  },
  LabelSelector: {
    1: f('matchLabels', 'map:string'),
    2: f('matchExpressions', 'LabelSelectorRequirement', { repeated: true }),
  },
  LabelSelectorRequirement: {
    1: f('key', 'string'),
    2: f('operator', 'string'),
    3: f('values', 'string', { repeated: true }),
  },
  PodTemplateSpec: {
    1: f('metadata', 'ObjectMeta'),
    2: f('spec', 'PodSpec'),
  },
  PodSpec: {
    2: f('containers', 'Container', { repeated: true }),
    3: f('restartPolicy', 'string'),
    4: f('terminationGracePeriodSeconds', 'int', { keepZero: true }),
    6: f('dnsPolicy', 'string'),
    7: f('nodeSelector', 'map:string'),
    8: f('serviceAccountName', 'string'),
    10: f('nodeName', 'string'),
    11: f('hostNetwork', 'bool'),
    15: f('imagePullSecrets', 'LocalObjectReference', { repeated: true }),
    16: f('hostname', 'string'),
    17: f('subdomain', 'string'),
    19: f('schedulerName', 'string'),
    20: f('initContainers', 'Container', { repeated: true }),
    24: f('priorityClassName', 'string'),
  },
  LocalObjectReference: { 1: f('name', 'string') },
  Container: {
    1: f('name', 'string'),
    2: f('image', 'string'),
    3: f('command', 'string', { repeated: true }),
    4: f('args', 'string', { repeated: true }),
    5: f('workingDir', 'string'),
    6: f('ports', 'ContainerPort', { repeated: true }),
    7: f('env', 'EnvVar', { repeated: true }),
    8: f('resources', 'ResourceRequirements'),
    9: f('volumeMounts', 'VolumeMount', { repeated: true }),
    13: f('terminationMessagePath', 'string'),
    14: f('imagePullPolicy', 'string'),
    16: f('stdin', 'bool'),
    17: f('stdinOnce', 'bool'),
    18: f('tty', 'bool'),
    20: f('terminationMessagePolicy', 'string'),
  },
  ContainerPort: {
    1: f('name', 'string'),
    2: f('hostPort', 'int'),
    3: f('containerPort', 'int'),
    4: f('protocol', 'string'),
    5: f('hostIP', 'string'),
  },
  EnvVar: { 1: f('name', 'string'), 2: f('value', 'string') },
  ResourceRequirements: {
    1: f('limits', 'map:quantity'),
    2: f('requests', 'map:quantity'),
  },
  VolumeMount: {
    1: f('name', 'string'),
    2: f('readOnly', 'bool'),
    3: f('mountPath', 'string'),
    4: f('subPath', 'string'),
  },
  Service: {
    1: f('metadata', 'ObjectMeta'),
    2: f('spec', 'ServiceSpec'),
  },
  ServiceSpec: {
    1: f('ports', 'ServicePort', { repeated: true }),
    2: f('selector', 'map:string'),
    3: f('clusterIP', 'string'),
    4: f('type', 'string'),
    5: f('externalIPs', 'string', { repeated: true }),
    7: f('sessionAffinity', 'string'),
    8: f('loadBalancerIP', 'string'),
    10: f('externalName', 'string'),
  },
  ServicePort: {
    1: f('name', 'string'),
    2: f('protocol', 'string'),
    3: f('port', 'int'),
    4: f('targetPort', 'intstr'),
    5: f('nodePort', 'int'),
    6: f('appProtocol', 'string'),
  },
  ResourceQuota: {
    1: f('metadata', 'ObjectMeta'),
    2: f('spec', 'ResourceQuotaSpec'),
  },
  ResourceQuotaSpec: {
    1: f('hard', 'map:quantity'),
    2: f('scopes', 'string', { repeated: true }),
  },
};

interface RawField {
  field: number;
  wire: number;
  /** Varint value (wire type 0). */
  num?: bigint;
  /** Length-delimited payload (wire type 2). */
  bytes?: Buffer;
}

function readVarint(buf: Buffer, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  let i = pos;
  for (;;) {
    if (i >= buf.length) throw new Error('truncated varint');
    const b = buf[i++];
    result |= BigInt(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
    shift += 7n;
    if (shift > 70n) throw new Error('varint too long');
  }
  return [result, i];
}

function readFields(buf: Buffer): RawField[] {
  const out: RawField[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [key, next] = readVarint(buf, pos);
    pos = next;
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) {
      const [num, after] = readVarint(buf, pos);
      out.push({ field, wire, num });
      pos = after;
    } else if (wire === 2) {
      const [len, after] = readVarint(buf, pos);
      const end = after + Number(len);
      if (end > buf.length) throw new Error('truncated field');
      out.push({ field, wire, bytes: buf.subarray(after, end) });
      pos = end;
    } else if (wire === 1) {
      pos += 8;
    } else if (wire === 5) {
      pos += 4;
    } else {
      throw new Error(`unsupported wire type ${wire}`);
    }
  }
  return out;
}

function toSigned(n: bigint): number {
  // int32/int64 values are two's complement varints.
  return Number(BigInt.asIntN(64, n));
}

function decodeScalar(type: Scalar, raw: RawField): unknown {
  switch (type) {
    case 'string':
      return raw.bytes?.toString('utf8') ?? '';
    case 'bytes':
      return raw.bytes?.toString('base64') ?? '';
    case 'int':
      return raw.num !== undefined ? toSigned(raw.num) : 0;
    case 'bool':
      return raw.num !== undefined && raw.num !== 0n;
    case 'quantity': {
      const fields = readFields(raw.bytes ?? Buffer.alloc(0));
      return fields.find(x => x.field === 1)?.bytes?.toString('utf8') ?? '0';
    }
    case 'intstr': {
      const fields = readFields(raw.bytes ?? Buffer.alloc(0));
      const kind = fields.find(x => x.field === 1)?.num ?? 0n;
      if (kind === 1n) {
        return fields.find(x => x.field === 3)?.bytes?.toString('utf8') ?? '';
      }
      const v = fields.find(x => x.field === 2)?.num;
      return v === undefined ? 0 : toSigned(v);
    }
    case 'time': {
      const fields = readFields(raw.bytes ?? Buffer.alloc(0));
      const seconds = fields.find(x => x.field === 1)?.num;
      if (!seconds) return undefined;
      return new Date(Number(seconds) * 1000)
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z');
    }
    default:
      return undefined;
  }
}

function isEmpty(v: unknown, keepZero: boolean): boolean {
  if (v === undefined || v === null || v === '' || v === false) return true;
  if (v === 0) return !keepZero;
  if (Array.isArray(v)) return v.length === 0;
  return false;
}

function decodeValue(type: string, raw: RawField): unknown {
  if (MESSAGES[type]) return decodeMessage(type, raw.bytes ?? Buffer.alloc(0));
  return decodeScalar(type as Scalar, raw);
}

function decodeMessage(name: string, buf: Buffer): Record<string, unknown> {
  const schema = MESSAGES[name];
  const out: Record<string, unknown> = {};
  for (const raw of readFields(buf)) {
    const field = schema[raw.field];
    if (!field) continue;
    if (field.type.startsWith('map:')) {
      const valueType = field.type.slice(4);
      const entry = readFields(raw.bytes ?? Buffer.alloc(0));
      const keyRaw = entry.find(x => x.field === 1);
      const valueRaw = entry.find(x => x.field === 2);
      const key = keyRaw?.bytes?.toString('utf8') ?? '';
      const value = valueRaw
        ? decodeValue(valueType, valueRaw)
        : decodeValue(valueType, { field: 2, wire: 2, bytes: Buffer.alloc(0) });
      const map = (out[field.name] ??= {}) as Record<string, unknown>;
      map[key] = value;
    } else if (field.repeated) {
      const list = (out[field.name] ??= []) as unknown[];
      if (raw.wire === 2 && field.type === 'int') {
        // Packed repeated ints.
        let pos = 0;
        const b = raw.bytes ?? Buffer.alloc(0);
        while (pos < b.length) {
          const [n, next] = readVarint(b, pos);
          list.push(toSigned(n));
          pos = next;
        }
      } else {
        list.push(decodeValue(field.type, raw));
      }
    } else {
      const value = decodeValue(field.type, raw);
      if (!isEmpty(value, !!field.keepZero)) out[field.name] = value;
    }
  }
  return out;
}

/** Whether a content type is Kubernetes protobuf. */
export function isProtobuf(contentType: string): boolean {
  return contentType === 'application/vnd.kubernetes.protobuf';
}

/**
 * Decodes a Kubernetes protobuf body into a JSON object with `apiVersion` and
 * `kind`. Throws a 400 `KubeApiError` for malformed input or kinds the
 * sandbox does not know.
 */
export function decodeKubeProtobuf(body: Buffer): Record<string, unknown> {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) {
    throw badRequest(
      'the body of the request was not Kubernetes protobuf (missing the k8s\\0 prefix)',
    );
  }
  try {
    const unknown = readFields(body.subarray(4));
    const typeMeta = readFields(
      unknown.find(x => x.field === 1)?.bytes ?? Buffer.alloc(0),
    );
    const apiVersion =
      typeMeta.find(x => x.field === 1)?.bytes?.toString('utf8') ?? '';
    const kind =
      typeMeta.find(x => x.field === 2)?.bytes?.toString('utf8') ?? '';
    const raw = unknown.find(x => x.field === 2)?.bytes ?? Buffer.alloc(0);
    if (!MESSAGES[kind] || kind === 'ObjectMeta') {
      throw badRequest(
        `the sandbox cannot decode protobuf for kind "${kind}"; send JSON instead`,
      );
    }
    return { apiVersion, kind, ...decodeMessage(kind, raw) };
  } catch (e) {
    if (e instanceof Error && e.name === 'KubeApiError') throw e;
    throw badRequest(
      `the body of the request could not be decoded as protobuf: ${
        (e as Error).message
      }`,
    );
  }
}
