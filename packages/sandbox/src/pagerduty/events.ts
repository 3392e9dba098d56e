/*
 * The PagerDuty Events API v2 wire format: the alert events `POST /v2/enqueue` accepts, the
 * change events `POST /v2/change/enqueue` accepts, and the problems PagerDuty names in a 400's
 * `errors` when an event is not valid. Pure: no state, no HTTP.
 */

/** How impacted the affected system is (PD-CEF `severity`). */
export const PAGERDUTY_SEVERITIES = [
  'critical',
  'error',
  'warning',
  'info',
] as const;
export type PagerDutySeverity = (typeof PAGERDUTY_SEVERITIES)[number];

export const PAGERDUTY_EVENT_ACTIONS = [
  'trigger',
  'acknowledge',
  'resolve',
] as const;
export type PagerDutyEventAction = (typeof PAGERDUTY_EVENT_ACTIONS)[number];

/** Integration keys are 32 characters. */
export const ROUTING_KEY_LENGTH = 32;
export const MAX_SUMMARY_LENGTH = 1024;
export const MAX_DEDUP_KEY_LENGTH = 255;

export interface PagerDutyLink {
  href: string;
  text?: string;
}

export interface PagerDutyImage {
  src: string;
  href?: string;
  alt?: string;
}

/** An alert's PD-CEF payload. */
export interface PagerDutyPayload {
  summary: string;
  source: string;
  severity: PagerDutySeverity;
  timestamp?: string;
  component?: string;
  group?: string;
  class?: string;
  customDetails?: Record<string, unknown>;
}

/** A valid alert event (`/v2/enqueue`). */
export interface PagerDutyAlertEvent {
  routingKey: string;
  action: PagerDutyEventAction;
  /** Absent only on a trigger, which then gets a generated one. */
  dedupKey?: string;
  /** Trigger events only (PagerDuty ignores it on acknowledge and resolve). */
  payload?: PagerDutyPayload;
  links: PagerDutyLink[];
  images: PagerDutyImage[];
  client?: string;
  clientUrl?: string;
}

/** A valid change event (`/v2/change/enqueue`): context for responders, never an alert. */
export interface PagerDutyChangeEvent {
  routingKey: string;
  payload: {
    summary: string;
    source?: string;
    timestamp?: string;
    customDetails?: Record<string, unknown>;
  };
  links: PagerDutyLink[];
}

export type Parsed<T> =
  | { event: T; errors?: never }
  | { event?: never; errors: string[] };

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isBlank(value: unknown): boolean {
  return (
    value === undefined ||
    value === null ||
    (typeof value === 'string' && value.trim() === '')
  );
}

/** ISO 8601 date and time, e.g. `2015-07-17T08:42:58.315+0000` (PagerDuty's own example). */
const ISO_8601 =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

function isTimestamp(value: string): boolean {
  if (!ISO_8601.test(value)) return false;
  const normalized = value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  return !Number.isNaN(Date.parse(normalized));
}

/** Problems with a routing key's form (whether PagerDuty knows it is checked elsewhere). */
function routingKeyErrors(value: unknown): string[] {
  if (isBlank(value)) return ["'routing_key' is missing or blank"];
  if (typeof value !== 'string') return ["'routing_key' must be a string"];
  const errors: string[] = [];
  if (value.length !== ROUTING_KEY_LENGTH) {
    errors.push(
      `Length of 'routing_key' is incorrect (should be ${ROUTING_KEY_LENGTH} characters)`,
    );
  }
  if (!/^[A-Za-z0-9]*$/.test(value)) {
    errors.push("'routing_key' cannot contain non-alphanumeric characters.");
  }
  return errors;
}

/** An optional string field; records an error when it is there but not a string. */
function optionalString(
  body: Json,
  key: string,
  name: string,
  errors: string[],
): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    errors.push(`'${name}' must be a string`);
    return undefined;
  }
  return value;
}

function summaryOf(payload: Json, errors: string[]): string {
  const summary = payload.summary;
  if (isBlank(summary)) {
    errors.push("'payload.summary' is missing or blank");
    return '';
  }
  if (typeof summary !== 'string') {
    errors.push("'payload.summary' must be a string");
    return '';
  }
  if (summary.length > MAX_SUMMARY_LENGTH) {
    errors.push(
      `Length of 'payload.summary' is too long (maximum is ${MAX_SUMMARY_LENGTH} characters)`,
    );
  }
  return summary;
}

function timestampOf(payload: Json, errors: string[]): string | undefined {
  const timestamp = optionalString(
    payload,
    'timestamp',
    'payload.timestamp',
    errors,
  );
  if (timestamp !== undefined && !isTimestamp(timestamp)) {
    errors.push(
      `'payload.timestamp' is not an ISO 8601 date and time: '${timestamp}'`,
    );
  }
  return timestamp;
}

function customDetailsOf(
  payload: Json,
  errors: string[],
): Record<string, unknown> | undefined {
  const details = payload.custom_details;
  if (details === undefined || details === null) return undefined;
  if (!isObject(details)) {
    errors.push("'payload.custom_details' must be an object");
    return undefined;
  }
  return details;
}

function linksOf(body: Json, errors: string[]): PagerDutyLink[] {
  const links = body.links;
  if (links === undefined || links === null) return [];
  if (!Array.isArray(links)) {
    errors.push("'links' must be an array");
    return [];
  }
  const result: PagerDutyLink[] = [];
  links.forEach((link, i) => {
    if (!isObject(link) || isBlank(link.href)) {
      errors.push(`'links[${i}].href' is missing or blank`);
      return;
    }
    const before = errors.length;
    const href = optionalString(link, 'href', `links[${i}].href`, errors);
    const text = optionalString(link, 'text', `links[${i}].text`, errors);
    if (errors.length === before && href !== undefined) {
      result.push({ href, ...(text !== undefined ? { text } : {}) });
    }
  });
  return result;
}

function imagesOf(body: Json, errors: string[]): PagerDutyImage[] {
  const images = body.images;
  if (images === undefined || images === null) return [];
  if (!Array.isArray(images)) {
    errors.push("'images' must be an array");
    return [];
  }
  const result: PagerDutyImage[] = [];
  images.forEach((image, i) => {
    if (!isObject(image) || isBlank(image.src)) {
      errors.push(`'images[${i}].src' is missing or blank`);
      return;
    }
    const before = errors.length;
    const src = optionalString(image, 'src', `images[${i}].src`, errors);
    const href = optionalString(image, 'href', `images[${i}].href`, errors);
    const alt = optionalString(image, 'alt', `images[${i}].alt`, errors);
    if (errors.length === before && src !== undefined) {
      result.push({
        src,
        ...(href !== undefined ? { href } : {}),
        ...(alt !== undefined ? { alt } : {}),
      });
    }
  });
  return result;
}

function payloadOf(body: Json, errors: string[]): PagerDutyPayload | undefined {
  const payload = body.payload;
  if (!isObject(payload)) {
    errors.push("'payload' is missing or not an object");
    return undefined;
  }
  const summary = summaryOf(payload, errors);
  let source = '';
  if (isBlank(payload.source)) {
    errors.push("'payload.source' is missing or blank");
  } else if (typeof payload.source !== 'string') {
    errors.push("'payload.source' must be a string");
  } else {
    source = payload.source;
  }
  let severity: PagerDutySeverity = 'info';
  if (isBlank(payload.severity)) {
    errors.push("'payload.severity' is missing or blank");
  } else if (
    !(PAGERDUTY_SEVERITIES as readonly unknown[]).includes(payload.severity)
  ) {
    errors.push(
      `'payload.severity' is invalid (must be one of ${PAGERDUTY_SEVERITIES.map(
        s => `'${s}'`,
      ).join(', ')}): ${JSON.stringify(payload.severity)}`,
    );
  } else {
    severity = payload.severity as PagerDutySeverity;
  }
  const timestamp = timestampOf(payload, errors);
  const component = optionalString(
    payload,
    'component',
    'payload.component',
    errors,
  );
  const group = optionalString(payload, 'group', 'payload.group', errors);
  const klass = optionalString(payload, 'class', 'payload.class', errors);
  const customDetails = customDetailsOf(payload, errors);
  return {
    summary,
    source,
    severity,
    ...(timestamp !== undefined ? { timestamp } : {}),
    ...(component !== undefined ? { component } : {}),
    ...(group !== undefined ? { group } : {}),
    ...(klass !== undefined ? { class: klass } : {}),
    ...(customDetails !== undefined ? { customDetails } : {}),
  };
}

/**
 * Reads an alert event. Every problem is named, not only the first, as PagerDuty does. The
 * payload, links, images, client and client URL are read on triggers only: PagerDuty ignores
 * them on acknowledge and resolve.
 */
export function parseAlertEvent(body: Json): Parsed<PagerDutyAlertEvent> {
  const errors = routingKeyErrors(body.routing_key);
  let action: PagerDutyEventAction | undefined;
  if (isBlank(body.event_action)) {
    errors.push("'event_action' is missing or blank");
  } else if (
    !(PAGERDUTY_EVENT_ACTIONS as readonly unknown[]).includes(body.event_action)
  ) {
    errors.push(
      `'event_action' is invalid (must be one of ${PAGERDUTY_EVENT_ACTIONS.map(
        a => `'${a}'`,
      ).join(', ')}): ${JSON.stringify(body.event_action)}`,
    );
  } else {
    action = body.event_action as PagerDutyEventAction;
  }

  let dedupKey: string | undefined;
  if (isBlank(body.dedup_key)) {
    if (action === 'acknowledge' || action === 'resolve') {
      errors.push(
        `'dedup_key' is missing or blank (required to ${action} an alert)`,
      );
    }
  } else if (typeof body.dedup_key !== 'string') {
    errors.push("'dedup_key' must be a string");
  } else if (body.dedup_key.length > MAX_DEDUP_KEY_LENGTH) {
    errors.push(
      `Length of 'dedup_key' is too long (maximum is ${MAX_DEDUP_KEY_LENGTH} characters)`,
    );
  } else {
    dedupKey = body.dedup_key;
  }

  let payload: PagerDutyPayload | undefined;
  let links: PagerDutyLink[] = [];
  let images: PagerDutyImage[] = [];
  let client: string | undefined;
  let clientUrl: string | undefined;
  if (action === 'trigger') {
    payload = payloadOf(body, errors);
    links = linksOf(body, errors);
    images = imagesOf(body, errors);
    client = optionalString(body, 'client', 'client', errors);
    clientUrl = optionalString(body, 'client_url', 'client_url', errors);
  }
  if (errors.length > 0 || !action) return { errors };
  return {
    event: {
      routingKey: body.routing_key as string,
      action,
      ...(dedupKey !== undefined ? { dedupKey } : {}),
      ...(payload ? { payload } : {}),
      links,
      images,
      ...(client !== undefined ? { client } : {}),
      ...(clientUrl !== undefined ? { clientUrl } : {}),
    },
  };
}

/** Reads a change event: a summary (≤ 1024 characters) is all it needs besides the key. */
export function parseChangeEvent(body: Json): Parsed<PagerDutyChangeEvent> {
  const errors = routingKeyErrors(body.routing_key);
  const payload = body.payload;
  let parsed: PagerDutyChangeEvent['payload'] | undefined;
  if (!isObject(payload)) {
    errors.push("'payload' is missing or not an object");
  } else {
    const summary = summaryOf(payload, errors);
    const source = optionalString(payload, 'source', 'payload.source', errors);
    const timestamp = timestampOf(payload, errors);
    const customDetails = customDetailsOf(payload, errors);
    parsed = {
      summary,
      ...(source !== undefined ? { source } : {}),
      ...(timestamp !== undefined ? { timestamp } : {}),
      ...(customDetails !== undefined ? { customDetails } : {}),
    };
  }
  const links = linksOf(body, errors);
  if (errors.length > 0 || !parsed) return { errors };
  return {
    event: { routingKey: body.routing_key as string, payload: parsed, links },
  };
}
