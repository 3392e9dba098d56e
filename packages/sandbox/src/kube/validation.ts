/*
 * Validation (with the real API server's field error texts) and defaulting of
 * the objects the sandbox stores.
 */
import { FieldError, invalid } from './errors';
import { ResourceType } from './resources';

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1035_LABEL_FMT = '[a-z]([-a-z0-9]*[a-z0-9])?';
const CONFIG_KEY_FMT = '[-._a-zA-Z0-9]+';

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
  switch (type.resource) {
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
