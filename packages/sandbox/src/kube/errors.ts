/*
 * Errors carried as Kubernetes `Status` objects, with the messages, reasons and
 * details the real API server uses (k8s.io/apimachinery/pkg/api/errors).
 */
import { ResourceType, qualifiedKind, qualifiedResource } from './resources';

/** `metav1.StatusDetails`. */
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: Array<{ reason?: string; message?: string; field?: string }>;
  retryAfterSeconds?: number;
}

/** `metav1.Status`. */
export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** An error the API server answers with a `Status` body. */
export class KubeApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details: StatusDetails | undefined;

  constructor(
    code: number,
    reason: string,
    message: string,
    details?: StatusDetails,
  ) {
    super(message);
    this.name = 'KubeApiError';
    this.code = code;
    this.reason = reason;
    this.details = details;
  }

  /** The `Status` object sent to clients. */
  toStatus(): KubeStatus {
    const status: KubeStatus = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) status.details = this.details;
    return status;
  }
}

function resourceDetails(type: ResourceType, name: string): StatusDetails {
  const details: StatusDetails = { name };
  if (type.group) details.group = type.group;
  details.kind = type.resource;
  return details;
}

/** 404: `deployments.apps "foo" not found`. */
export function notFound(type: ResourceType, name: string): KubeApiError {
  return new KubeApiError(
    404,
    'NotFound',
    `${qualifiedResource(type)} "${name}" not found`,
    resourceDetails(type, name),
  );
}

/** 404 for a path the server does not serve. */
export function pathNotFound(): KubeApiError {
  return new KubeApiError(
    404,
    'NotFound',
    'the server could not find the requested resource',
    {},
  );
}

/** 409: `deployments.apps "foo" already exists`. */
export function alreadyExists(type: ResourceType, name: string): KubeApiError {
  return new KubeApiError(
    409,
    'AlreadyExists',
    `${qualifiedResource(type)} "${name}" already exists`,
    resourceDetails(type, name),
  );
}

/** 409: the optimistic-concurrency failure of an update with a stale resourceVersion. */
export function conflict(type: ResourceType, name: string): KubeApiError {
  return new KubeApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(
      type,
    )} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    resourceDetails(type, name),
  );
}

/** One field error (`field.Error`). */
export interface FieldError {
  type:
    | 'FieldValueInvalid'
    | 'FieldValueRequired'
    | 'FieldValueNotSupported'
    | 'FieldValueTooLong'
    | 'FieldValueDuplicate'
    | 'FieldValueForbidden';
  field: string;
  /** The offending value, rendered Go-style in the message. */
  value?: unknown;
  detail: string;
}

/** Renders a value like Go's `%#v`/`%q` does in field errors. */
function goValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.keys(value as Record<string, unknown>)
      .sort()
      .map(
        k =>
          `${JSON.stringify(k)}:${JSON.stringify(
            (value as Record<string, unknown>)[k],
          )}`,
      );
    return `map[string]string{${entries.join(', ')}}`;
  }
  return JSON.stringify(value);
}

/** The message of one field error without its field path. */
export function fieldErrorBody(e: FieldError): string {
  switch (e.type) {
    case 'FieldValueRequired':
      return e.detail ? `Required value: ${e.detail}` : 'Required value';
    case 'FieldValueNotSupported':
      return `Unsupported value: ${goValue(e.value)}: ${e.detail}`;
    case 'FieldValueTooLong':
      // The value is omitted, as field.TooLong does.
      return `Too long: ${e.detail}`;
    case 'FieldValueDuplicate':
      return `Duplicate value: ${goValue(e.value)}`;
    case 'FieldValueForbidden':
      return e.detail ? `Forbidden: ${e.detail}` : 'Forbidden';
    default:
      return `Invalid value: ${goValue(e.value)}: ${e.detail}`;
  }
}

/** 422: `Deployment.apps "Bad_Name" is invalid: metadata.name: Invalid value: ...`. */
export function invalid(
  type: ResourceType,
  name: string,
  errors: FieldError[],
): KubeApiError {
  const rendered = errors.map(e => `${e.field}: ${fieldErrorBody(e)}`);
  const aggregate =
    rendered.length === 1 ? rendered[0] : `[${rendered.join(', ')}]`;
  const details: StatusDetails = { name };
  if (type.group) details.group = type.group;
  details.kind = type.kind;
  details.causes = errors.map(e => ({
    reason: e.type,
    message: fieldErrorBody(e),
    field: e.field,
  }));
  return new KubeApiError(
    422,
    'Invalid',
    `${qualifiedKind(type)} "${name}" is invalid: ${aggregate}`,
    details,
  );
}

/** 400 BadRequest with a message. */
export function badRequest(message: string): KubeApiError {
  return new KubeApiError(400, 'BadRequest', message);
}

/** 422 for a patch that cannot be applied (e.g. a failed JSON patch `test`). */
export function patchRejected(message: string): KubeApiError {
  return new KubeApiError(
    422,
    'Invalid',
    'the server rejected our request due to an error in our request',
    { causes: [{ reason: 'UnexpectedServerResponse', message }] },
  );
}

/** 405 for a verb the resource does not support. */
export function methodNotAllowed(): KubeApiError {
  return new KubeApiError(
    405,
    'MethodNotAllowed',
    'the server does not allow this method on the requested resource',
    {},
  );
}

/** 415 for a body in a format the server does not accept. */
export function unsupportedMediaType(contentType: string): KubeApiError {
  return new KubeApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json, application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml (got ${
      contentType || 'none'
    })`,
    {},
  );
}

/** 410: a watch asked for events older than the server keeps. */
export function expired(requested: string, oldest: string): KubeApiError {
  return new KubeApiError(
    410,
    'Expired',
    `too old resource version: ${requested} (${oldest})`,
  );
}

/**
 * 403 Forbidden as admission answers it: `configmaps "x" is forbidden: <reason>`
 * (`apierrors.NewForbidden`; details name the resource, not the kind).
 */
export function forbidden(
  type: ResourceType,
  name: string,
  reason: string,
  causes?: StatusDetails['causes'],
): KubeApiError {
  const resource = qualifiedResource(type);
  const message = name
    ? `${resource} "${name}" is forbidden: ${reason}`
    : `${resource} is forbidden: ${reason}`;
  const details: StatusDetails = {};
  if (name) details.name = name;
  if (type.group) details.group = type.group;
  details.kind = type.resource;
  if (causes?.length) details.causes = causes;
  return new KubeApiError(403, 'Forbidden', message, details);
}

/** The 403 for a create in a namespace that is being deleted (NamespaceLifecycle admission). */
export function namespaceTerminating(
  type: ResourceType,
  name: string,
  namespace: string,
): KubeApiError {
  return forbidden(
    type,
    name,
    `unable to create new content in namespace ${namespace} because it is being terminated`,
    [
      {
        reason: 'NamespaceTerminating',
        message: `namespace ${namespace} is being terminated`,
        field: 'metadata.namespace',
      },
    ],
  );
}

/** The 409 for deleting a namespace that is already terminating. */
export function namespaceAlreadyTerminating(
  type: ResourceType,
  name: string,
): KubeApiError {
  return new KubeApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(
      type,
    )} "${name}": The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.`,
    { name, kind: type.resource },
  );
}
