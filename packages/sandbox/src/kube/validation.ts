/*
 * Validation (with the real API server's field error texts) and defaulting of
 * the objects the sandbox stores.
 */
import { FieldError, badRequest, invalid } from './errors';
import {
  Quantity,
  QuantityError,
  compareQuantities,
  formatQuantity,
  parseQuantity,
} from './quantity';
import { ResourceType } from './resources';

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1035_LABEL_FMT = '[a-z]([-a-z0-9]*[a-z0-9])?';
const CONFIG_KEY_FMT = '[-._a-zA-Z0-9]+';
const QUALIFIED_NAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const QUALIFIED_NAME_MESSAGE =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_FMT = `(${QUALIFIED_NAME_FMT})?`;
const LABEL_VALUE_MESSAGE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
/** `TotalAnnotationSizeLimitB`: 256 KiB over every key and value. */
export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

/** `validation.RegexError`: the message with examples and the regex. */
function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) {
    return `${msg} (regex used for validation is '${fmt}')`;
  }
  let out = `${msg} (e.g. `;
  examples.forEach((e, i) => {
    if (i > 0) out += ' or ';
    out += `'${e}', `;
  });
  return `${out}regex used for validation is '${fmt}')`;
}

/** Problems with a name under a rule (empty when valid), as the real validators word them. */
export function nameProblems(
  name: string,
  rule: ResourceType['nameRule'],
): string[] {
  const problems: string[] = [];
  if (rule === 'subdomain') {
    if (name.length > 253) problems.push('must be no more than 253 characters');
    if (!new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`).test(name)) {
      problems.push(
        regexError(
          "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
          DNS1123_SUBDOMAIN_FMT,
          'example.com',
        ),
      );
    }
  } else if (rule === 'label') {
    if (name.length > 63) problems.push('must be no more than 63 characters');
    if (!new RegExp(`^${DNS1123_LABEL_FMT}$`).test(name)) {
      problems.push(
        regexError(
          "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
          DNS1123_LABEL_FMT,
          'my-name',
          '123-abc',
        ),
      );
    }
  } else {
    if (name.length > 63) problems.push('must be no more than 63 characters');
    if (!new RegExp(`^${DNS1035_LABEL_FMT}$`).test(name)) {
      problems.push(
        regexError(
          "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
          DNS1035_LABEL_FMT,
          'my-name',
          'abc-123',
        ),
      );
    }
  }
  return problems;
}

/** `validation.IsDNS1123Subdomain`. */
function dns1123SubdomainProblems(value: string): string[] {
  return nameProblems(value, 'subdomain');
}

/**
 * `validation.IsQualifiedName`: an optional DNS-1123 subdomain prefix and `/`, and a name of
 * at most 63 alphanumeric characters, '-', '_' or '.', starting and ending alphanumeric.
 */
export function qualifiedNameProblems(value: string): string[] {
  const problems: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0];
  } else if (parts.length === 2) {
    const prefix = parts[0];
    name = parts[1];
    if (prefix.length === 0) {
      problems.push('prefix part must be non-empty');
    } else {
      problems.push(
        ...dns1123SubdomainProblems(prefix).map(p => `prefix part ${p}`),
      );
    }
  } else {
    return [
      `a qualified name ${regexError(
        QUALIFIED_NAME_MESSAGE,
        QUALIFIED_NAME_FMT,
        'MyName',
        'my.name',
        '123-abc',
      )} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) {
    problems.push('name part must be non-empty');
  } else if (name.length > 63) {
    problems.push('name part must be no more than 63 characters');
  }
  if (!new RegExp(`^${QUALIFIED_NAME_FMT}$`).test(name)) {
    problems.push(
      `name part ${regexError(
        QUALIFIED_NAME_MESSAGE,
        QUALIFIED_NAME_FMT,
        'MyName',
        'my.name',
        '123-abc',
      )}`,
    );
  }
  return problems;
}

/** `validation.IsValidLabelValue`. */
export function labelValueProblems(value: string): string[] {
  const problems: string[] = [];
  if (value.length > 63) problems.push('must be no more than 63 characters');
  if (!new RegExp(`^${LABEL_VALUE_FMT}$`).test(value)) {
    problems.push(
      regexError(
        LABEL_VALUE_MESSAGE,
        LABEL_VALUE_FMT,
        'MyValue',
        'my_value',
        '12345',
      ),
    );
  }
  return problems;
}

/** `metav1validation.ValidateLabels` (keys in sorted order; Go's map order is random). */
function labelErrors(labels: unknown, field: string): FieldError[] {
  const errors: FieldError[] = [];
  if (!labels || typeof labels !== 'object') return errors;
  for (const key of Object.keys(labels).sort()) {
    for (const detail of qualifiedNameProblems(key)) {
      errors.push({ type: 'FieldValueInvalid', field, value: key, detail });
    }
    const value = String((labels as Record<string, unknown>)[key] ?? '');
    for (const detail of labelValueProblems(value)) {
      errors.push({ type: 'FieldValueInvalid', field, value, detail });
    }
  }
  return errors;
}

/** `apimachinery ValidateAnnotations`: qualified keys (case-insensitive), 256 KiB in total. */
function annotationErrors(annotations: unknown, field: string): FieldError[] {
  const errors: FieldError[] = [];
  if (!annotations || typeof annotations !== 'object') return errors;
  let size = 0;
  for (const key of Object.keys(annotations).sort()) {
    for (const detail of qualifiedNameProblems(key.toLowerCase())) {
      errors.push({ type: 'FieldValueInvalid', field, value: key, detail });
    }
    const value = String((annotations as Record<string, unknown>)[key] ?? '');
    size += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) {
    errors.push({
      type: 'FieldValueTooLong',
      field,
      detail: `may not be more than ${TOTAL_ANNOTATION_SIZE_LIMIT} bytes`,
    });
  }
  return errors;
}

/** Labels and annotations of an object's (or a template's) metadata. */
function metadataErrors(metadata: any, path: string): FieldError[] {
  return [
    ...labelErrors(metadata?.labels, `${path}.labels`),
    ...annotationErrors(metadata?.annotations, `${path}.annotations`),
  ];
}

const STANDARD_RESOURCES = new Set([
  'cpu',
  'memory',
  'requests.cpu',
  'requests.memory',
  'requests.storage',
  'limits.cpu',
  'limits.memory',
  'ephemeral-storage',
  'requests.ephemeral-storage',
  'limits.ephemeral-storage',
  'pods',
  'quota',
  'services',
  'replicationcontrollers',
  'secrets',
  'persistentvolumeclaims',
  'storage',
  'configmaps',
  'services.nodeports',
  'services.loadbalancers',
  'resourcequotas',
]);
const STANDARD_QUOTA_RESOURCES = new Set([
  'pods',
  'services',
  'replicationcontrollers',
  'resourcequotas',
  'secrets',
  'configmaps',
  'persistentvolumeclaims',
  'services.nodeports',
  'services.loadbalancers',
  'cpu',
  'memory',
  'requests.cpu',
  'requests.memory',
  'requests.storage',
  'requests.ephemeral-storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
  'ephemeral-storage',
]);
const INTEGER_RESOURCES = new Set([
  'pods',
  'quota',
  'services',
  'replicationcontrollers',
  'resourcequotas',
  'secrets',
  'configmaps',
  'persistentvolumeclaims',
  'services.nodeports',
  'services.loadbalancers',
]);
const STANDARD_CONTAINER_RESOURCES = new Set([
  'cpu',
  'memory',
  'ephemeral-storage',
]);

function isHugePages(name: string): boolean {
  return /^(requests\.|limits\.)?hugepages-/.test(name);
}

/** `validateResourceName`: qualified, and standard unless it has a domain. */
function resourceNameErrors(name: string, field: string): FieldError[] {
  const errors: FieldError[] = qualifiedNameProblems(name).map(detail => ({
    type: 'FieldValueInvalid',
    field,
    value: name,
    detail,
  }));
  if (errors.length > 0) return errors;
  if (
    !name.includes('/') &&
    !STANDARD_RESOURCES.has(name) &&
    !isHugePages(name)
  ) {
    errors.push({
      type: 'FieldValueInvalid',
      field,
      value: name,
      detail: 'must be a standard resource type or fully qualified',
    });
  }
  return errors;
}

/** `validateContainerResourceName`. */
function containerResourceNameErrors(
  name: string,
  field: string,
): FieldError[] {
  const errors = resourceNameErrors(name, field);
  if (
    !name.includes('/') &&
    !STANDARD_CONTAINER_RESOURCES.has(name) &&
    !/^hugepages-/.test(name)
  ) {
    errors.push({
      type: 'FieldValueInvalid',
      field,
      value: name,
      detail: 'must be a standard resource for containers',
    });
  }
  return errors;
}

/** `ValidateResourceQuantityValue`: not negative, whole for countable resources. */
function quantityValueErrors(
  resource: string,
  value: unknown,
  field: string,
): FieldError[] {
  const q = quantityOf(value);
  if (!q) return [];
  const text = formatQuantity(q);
  if (q.nanos < 0n) {
    return [
      {
        type: 'FieldValueInvalid',
        field,
        value: text,
        detail: 'must be greater than or equal to 0',
      },
    ];
  }
  if (
    (INTEGER_RESOURCES.has(resource) || resource.startsWith('count/')) &&
    q.nanos % 1_000_000_000n !== 0n
  ) {
    return [
      {
        type: 'FieldValueInvalid',
        field,
        value: text,
        detail: 'must be an integer',
      },
    ];
  }
  return [];
}

function quantityOf(value: unknown): Quantity | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  try {
    return parseQuantity(value);
  } catch {
    return undefined;
  }
}

/** `ValidateResourceQuotaSpec` (hard limits only; the sandbox has no scopes). */
function resourceQuotaErrors(obj: Record<string, any>): FieldError[] {
  const errors: FieldError[] = [];
  const hard = obj.spec?.hard ?? {};
  for (const key of Object.keys(hard).sort()) {
    const field = `spec.hard[${key}]`;
    errors.push(...resourceNameErrors(key, field));
    if (
      !key.includes('/') &&
      !STANDARD_QUOTA_RESOURCES.has(key) &&
      !isHugePages(key)
    ) {
      errors.push({
        type: 'FieldValueInvalid',
        field,
        value: key,
        detail: 'must be a standard resource for quota',
      });
    }
    errors.push(...quantityValueErrors(key, hard[key], field));
  }
  return errors;
}

/** The limit types `helper.IsStandardLimitRangeType` knows. */
export const LIMIT_RANGE_TYPES = ['Pod', 'Container', 'PersistentVolumeClaim'];

/** `ValidateLimitRange`, with the real texts. */
function limitRangeErrors(obj: Record<string, any>): FieldError[] {
  const errors: FieldError[] = [];
  const limits: any[] = Array.isArray(obj.spec?.limits) ? obj.spec.limits : [];
  const seen = new Set<string>();
  limits.forEach((limit, i) => {
    const path = `spec.limits[${i}]`;
    const type = String(limit?.type ?? '');
    const typeProblems = qualifiedNameProblems(type);
    for (const detail of typeProblems) {
      errors.push({
        type: 'FieldValueInvalid',
        field: `${path}.type`,
        value: type,
        detail,
      });
    }
    if (
      typeProblems.length === 0 &&
      !type.includes('/') &&
      !LIMIT_RANGE_TYPES.includes(type)
    ) {
      errors.push({
        type: 'FieldValueInvalid',
        field: `${path}.type`,
        value: type,
        detail: 'must be a standard limit type or fully qualified',
      });
    }
    if (seen.has(type)) {
      errors.push({
        type: 'FieldValueDuplicate',
        field: `${path}.type`,
        value: type,
        detail: '',
      });
    }
    seen.add(type);
    const nameErrors = (name: string, field: string) =>
      type === 'Pod' || type === 'Container'
        ? containerResourceNameErrors(name, field)
        : resourceNameErrors(name, field);
    const lists: Record<string, Record<string, Quantity>> = {};
    const read = (member: string) => {
      const list: Record<string, Quantity> = {};
      for (const key of Object.keys(limit?.[member] ?? {}).sort()) {
        errors.push(...nameErrors(key, `${path}.${member}[${key}]`));
        const q = quantityOf(limit[member][key]);
        if (q) list[key] = q;
      }
      lists[member] = list;
    };
    read('max');
    read('min');
    if (type === 'Pod') {
      for (const member of ['default', 'defaultRequest']) {
        if (Object.keys(limit?.[member] ?? {}).length > 0) {
          errors.push({
            type: 'FieldValueForbidden',
            field: `${path}.${member}`,
            detail: "may not be specified when `type` is 'Pod'",
          });
        }
      }
      lists.default = {};
      lists.defaultRequest = {};
    } else {
      read('default');
      read('defaultRequest');
    }
    if (
      type === 'PersistentVolumeClaim' &&
      !lists.min.storage &&
      !lists.max.storage
    ) {
      errors.push({
        type: 'FieldValueRequired',
        field: `${path}.limits`,
        detail:
          'either minimum or maximum storage value is required, but neither was provided',
      });
    }
    read('maxLimitRequestRatio');
    const keys = new Set(Object.values(lists).flatMap(l => Object.keys(l)));
    for (const key of [...keys].sort()) {
      const min = lists.min[key];
      const max = lists.max[key];
      const def = lists.default[key];
      const defReq = lists.defaultRequest[key];
      const text = (q: Quantity) => formatQuantity(q);
      const check = (
        bad: boolean,
        member: string,
        value: Quantity,
        detail: string,
      ) => {
        if (bad) {
          errors.push({
            type: 'FieldValueInvalid',
            field: `${path}.${member}[${key}]`,
            value: text(value),
            detail,
          });
        }
      };
      if (min && max) {
        check(
          compareQuantities(min, max) > 0,
          'min',
          min,
          `min value ${text(min)} is greater than max value ${text(max)}`,
        );
      }
      if (defReq && min) {
        check(
          compareQuantities(min, defReq) > 0,
          'defaultRequest',
          defReq,
          `min value ${text(min)} is greater than default request value ${text(
            defReq,
          )}`,
        );
      }
      if (defReq && max) {
        check(
          compareQuantities(defReq, max) > 0,
          'defaultRequest',
          defReq,
          `default request value ${text(
            defReq,
          )} is greater than max value ${text(max)}`,
        );
      }
      if (defReq && def) {
        check(
          compareQuantities(defReq, def) > 0,
          'defaultRequest',
          defReq,
          `default request value ${text(
            defReq,
          )} is greater than default limit value ${text(def)}`,
        );
      }
      if (def && min) {
        check(
          compareQuantities(min, def) > 0,
          'default',
          min,
          `min value ${text(min)} is greater than default value ${text(def)}`,
        );
      }
      if (def && max) {
        check(
          compareQuantities(def, max) > 0,
          'default',
          max,
          `default value ${text(def)} is greater than max value ${text(max)}`,
        );
      }
      const ratio = lists.maxLimitRequestRatio[key];
      if (ratio) {
        check(
          compareQuantities(ratio, parseQuantity('1')) < 0,
          'maxLimitRequestRatio',
          ratio,
          `ratio ${text(ratio)} is less than 1`,
        );
      }
    }
  });
  return errors;
}

/** Where quantities live in the objects the sandbox stores. */
function quantityMaps(
  type: ResourceType,
  obj: Record<string, any>,
): Array<Record<string, unknown>> {
  const maps: Array<Record<string, unknown> | undefined> = [];
  switch (type.resource) {
    case 'deployments': {
      const podSpec = obj.spec?.template?.spec;
      for (const list of [podSpec?.containers, podSpec?.initContainers]) {
        if (!Array.isArray(list)) continue;
        for (const c of list) {
          maps.push(c?.resources?.limits, c?.resources?.requests);
        }
      }
      break;
    }
    case 'resourcequotas':
      maps.push(obj.spec?.hard, obj.status?.hard, obj.status?.used);
      break;
    case 'limitranges':
      for (const limit of Array.isArray(obj.spec?.limits)
        ? obj.spec.limits
        : []) {
        for (const member of [
          'max',
          'min',
          'default',
          'defaultRequest',
          'maxLimitRequestRatio',
        ]) {
          maps.push(limit?.[member]);
        }
      }
      break;
    default:
      break;
  }
  return maps.filter(
    (m): m is Record<string, unknown> =>
      !!m && typeof m === 'object' && !Array.isArray(m),
  );
}

/**
 * Rewrites every resource quantity of an object in canonical form, as the real server stores
 * them (`0.5` → `500m`, `1024Mi` → `1Gi`). A value that is not a quantity fails decoding: a
 * 400 like the real server's.
 */
export function canonicalizeQuantities(
  type: ResourceType,
  obj: Record<string, any>,
) {
  for (const map of quantityMaps(type, obj)) {
    for (const [key, value] of Object.entries(map)) {
      try {
        if (typeof value !== 'string' && typeof value !== 'number') {
          throw new QuantityError();
        }
        map[key] = formatQuantity(parseQuantity(value));
      } catch (e) {
        throw badRequest(
          `${type.kind} in version "${type.version}" cannot be handled as a ${
            type.kind
          }: ${(e as Error).message}`,
        );
      }
    }
  }
}

function labelSelectorMatches(
  matchLabels: Record<string, string> | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  return Object.entries(matchLabels ?? {}).every(
    ([k, v]) => (labels ?? {})[k] === v,
  );
}

/**
 * Validates an object about to be stored. Throws a 422 Invalid `KubeApiError`
 * listing every field error, like the real server.
 */
export function validateObject(type: ResourceType, obj: Record<string, any>) {
  const errors: FieldError[] = [];
  const name: string = obj.metadata?.name ?? '';
  if (!name) {
    errors.push({
      type: 'FieldValueRequired',
      field: 'metadata.name',
      detail: 'name or generateName is required',
    });
  } else {
    for (const detail of nameProblems(name, type.nameRule)) {
      errors.push({
        type: 'FieldValueInvalid',
        field: 'metadata.name',
        value: name,
        detail,
      });
    }
  }
  errors.push(...metadataErrors(obj.metadata, 'metadata'));

  if (type.resource === 'resourcequotas')
    errors.push(...resourceQuotaErrors(obj));
  if (type.resource === 'limitranges') errors.push(...limitRangeErrors(obj));

  if (type.resource === 'configmaps') {
    for (const field of ['data', 'binaryData']) {
      for (const key of Object.keys(obj[field] ?? {})) {
        if (!new RegExp(`^${CONFIG_KEY_FMT}$`).test(key)) {
          errors.push({
            type: 'FieldValueInvalid',
            field: `${field}[${key}]`,
            value: key,
            detail: regexError(
              "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
              CONFIG_KEY_FMT,
              'key.name',
              'KEY_NAME',
              'key-name',
            ),
          });
        }
      }
    }
  }

  if (type.resource === 'deployments') {
    const spec = obj.spec ?? {};
    if (
      spec.replicas !== undefined &&
      (typeof spec.replicas !== 'number' || spec.replicas < 0)
    ) {
      errors.push({
        type: 'FieldValueInvalid',
        field: 'spec.replicas',
        value: spec.replicas,
        detail: 'must be greater than or equal to 0',
      });
    }
    const matchLabels = spec.selector?.matchLabels;
    const hasSelector =
      spec.selector &&
      (Object.keys(matchLabels ?? {}).length > 0 ||
        (spec.selector.matchExpressions ?? []).length > 0);
    if (!hasSelector) {
      errors.push({
        type: 'FieldValueRequired',
        field: 'spec.selector',
        detail: '',
      });
    } else if (
      !labelSelectorMatches(matchLabels, spec.template?.metadata?.labels)
    ) {
      errors.push({
        type: 'FieldValueInvalid',
        field: 'spec.template.metadata.labels',
        value: spec.template?.metadata?.labels ?? {},
        detail: '`selector` does not match template `labels`',
      });
    }
    errors.push(
      ...metadataErrors(spec.template?.metadata, 'spec.template.metadata'),
    );
    const containers = spec.template?.spec?.containers;
    if (!Array.isArray(containers) || containers.length === 0) {
      errors.push({
        type: 'FieldValueRequired',
        field: 'spec.template.spec.containers',
        detail: '',
      });
    }
  }

  if (errors.length > 0) throw invalid(type, name, errors);
}

let nextClusterIp = 1;

/** Fills in the defaults the real server adds (spec fields, service IPs, ...). */
export function applyDefaults(type: ResourceType, obj: Record<string, any>) {
  canonicalizeQuantities(type, obj);
  switch (type.resource) {
    case 'limitranges': {
      obj.spec ??= {};
      for (const limit of Array.isArray(obj.spec.limits)
        ? obj.spec.limits
        : []) {
        if (limit && typeof limit === 'object') defaultLimitRangeItem(limit);
      }
      break;
    }
    case 'namespaces': {
      obj.metadata.labels = {
        ...(obj.metadata.labels ?? {}),
        'kubernetes.io/metadata.name': obj.metadata.name,
      };
      obj.spec = { finalizers: ['kubernetes'], ...(obj.spec ?? {}) };
      break;
    }
    case 'deployments': {
      const spec = (obj.spec ??= {});
      spec.replicas ??= 1;
      spec.revisionHistoryLimit ??= 10;
      spec.progressDeadlineSeconds ??= 600;
      const strategy = (spec.strategy ??= {});
      strategy.type ??= 'RollingUpdate';
      if (strategy.type === 'RollingUpdate') {
        const rolling = (strategy.rollingUpdate ??= {});
        rolling.maxUnavailable ??= '25%';
        rolling.maxSurge ??= '25%';
      }
      const podSpec = spec.template?.spec;
      if (podSpec) {
        podSpec.restartPolicy ??= 'Always';
        podSpec.terminationGracePeriodSeconds ??= 30;
        podSpec.dnsPolicy ??= 'ClusterFirst';
        podSpec.schedulerName ??= 'default-scheduler';
        podSpec.securityContext ??= {};
        for (const c of podSpec.containers ?? []) {
          if (!c || typeof c !== 'object') continue;
          c.terminationMessagePath ??= '/dev/termination-log';
          c.terminationMessagePolicy ??= 'File';
          c.imagePullPolicy ??=
            typeof c.image === 'string' &&
            (c.image.endsWith(':latest') || !/:[^/]+$/.test(c.image))
              ? 'Always'
              : 'IfNotPresent';
          c.resources ??= {};
          for (const p of c.ports ?? []) {
            if (p && typeof p === 'object') p.protocol ??= 'TCP';
          }
        }
      }
      obj.status ??= {};
      break;
    }
    case 'services': {
      const spec = (obj.spec ??= {});
      spec.type ??= 'ClusterIP';
      spec.sessionAffinity ??= 'None';
      if (spec.type !== 'ExternalName') {
        if (!spec.clusterIP) {
          const n = nextClusterIp++;
          spec.clusterIP = `10.96.${Math.floor(n / 250) % 250}.${
            (n % 250) + 1
          }`;
        }
        spec.clusterIPs ??= [spec.clusterIP];
        spec.ipFamilies ??= ['IPv4'];
        spec.ipFamilyPolicy ??= 'SingleStack';
        spec.internalTrafficPolicy ??= 'Cluster';
      }
      for (const p of spec.ports ?? []) {
        if (!p || typeof p !== 'object') continue;
        p.protocol ??= 'TCP';
        p.targetPort ??= p.port;
      }
      obj.status ??= { loadBalancer: {} };
      break;
    }
    case 'networkpolicies': {
      const spec = (obj.spec ??= {});
      spec.podSelector ??= {};
      if (!spec.policyTypes) {
        spec.policyTypes = ['Ingress'];
        if (spec.egress) spec.policyTypes.push('Egress');
      }
      break;
    }
    case 'ingresses': {
      obj.spec ??= {};
      obj.status ??= { loadBalancer: {} };
      break;
    }
    default:
      break;
  }
}

/**
 * `SetDefaults_LimitRangeItem`: for Container limits, a missing default limit is the max, a
 * missing default request is the default limit, else the min. Empty maps are left out.
 */
function defaultLimitRangeItem(limit: Record<string, any>) {
  if (limit.type !== 'Container') return;
  const defaults: Record<string, unknown> = { ...(limit.default ?? {}) };
  const requests: Record<string, unknown> = { ...(limit.defaultRequest ?? {}) };
  for (const [key, value] of Object.entries(limit.max ?? {})) {
    if (!(key in defaults)) defaults[key] = value;
  }
  for (const [key, value] of Object.entries(defaults)) {
    if (!(key in requests)) requests[key] = value;
  }
  for (const [key, value] of Object.entries(limit.min ?? {})) {
    if (!(key in requests)) requests[key] = value;
  }
  if (Object.keys(defaults).length > 0) limit.default = defaults;
  if (Object.keys(requests).length > 0) limit.defaultRequest = requests;
}
