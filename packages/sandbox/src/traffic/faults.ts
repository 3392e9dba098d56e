/*
 * How a version of a simulated service misbehaves (its fault), and the endpoints each service
 * answers on. Faults come from the seed (a commit's `fault`) or are injected at run time
 * (`POST /_sandbox/faults`).
 */

/**
 * What goes wrong with a version. Every figure has a default, so `{ kind: 'slow' }` is enough.
 *
 * - `endpoint-errors`: 5xx on the given endpoints only (a change behind a flag: its endpoints).
 * - `errors`: 5xx spread over every endpoint.
 * - `unhealthy`: 5xx spread over every endpoint and slow (the sandbox's original unhealthy).
 * - `slow`: every endpoint slow (p95 about `p95Seconds`), few errors.
 * - `memory-leak`: memory use (share of the limit) rising since the version started, crossing
 *   85 % after `crossAfterSeconds`.
 * - `cpu-hot`: CPU use at about `cpu` of the limit.
 * - `crash-loop`: each pod's container restarts `restartsPerMinute` times a minute.
 * - `down`: no pod is ready: every request fails (503) and the health endpoint is down.
 * - `business-drop`: technically healthy, but the order completion rate drops by `drop`.
 * - `none`: healthy, whatever the seed says (to silence a seeded fault).
 */
export type VersionFault =
  | { kind: 'endpoint-errors'; endpoints: string[]; errorRate?: number }
  | { kind: 'errors'; errorRate?: number }
  | { kind: 'unhealthy' }
  | { kind: 'slow'; p95Seconds?: number }
  | { kind: 'memory-leak'; crossAfterSeconds?: number }
  | { kind: 'cpu-hot'; cpu?: number }
  | { kind: 'crash-loop'; restartsPerMinute?: number }
  | { kind: 'down' }
  | { kind: 'business-drop'; drop?: number }
  | { kind: 'none' };

export type FaultKind = VersionFault['kind'];

export const FAULT_KINDS: readonly FaultKind[] = [
  'endpoint-errors',
  'errors',
  'unhealthy',
  'slow',
  'memory-leak',
  'cpu-hot',
  'crash-loop',
  'down',
  'business-drop',
  'none',
];

/**
 * A fault and which requests it hits: all of them, or (a change behind a flag) the ones `hits`
 * picks. `hits` is called once per request with the simulator's PRNG, e.g. to draw the
 * request's user and look up whether the flag is on for them.
 */
export interface FaultVerdict {
  fault: VersionFault;
  hits?: (random: () => number) => boolean;
}

/** Share of 5xx answers of a healthy version. */
export const HEALTHY_ERROR_RATE = 0.002;
/** p95 latency of a healthy version, in seconds. */
export const HEALTHY_P95_SECONDS = 0.2;
/** CPU and memory use of a healthy version, as shares of the limits. */
export const HEALTHY_CPU = 0.3;
export const HEALTHY_MEMORY = 0.45;
/** Order completion rate of a healthy version. */
export const HEALTHY_COMPLETION_RATE = 0.9;

/** The defaults of each fault's figures. */
export const FAULT_DEFAULTS = {
  endpointErrorRate: 0.3,
  errorRate: 0.08,
  p95Seconds: 2.5,
  crossAfterSeconds: 600,
  cpu: 0.92,
  restartsPerMinute: 6,
  drop: 0.35,
  /** Memory share of the limit a leak reaches at `crossAfterSeconds`. */
  leakThreshold: 0.85,
  /** Memory share a leak stops at (just under the OOM kill). */
  leakCeiling: 0.98,
} as const;

/** A route template and its share of a service's requests. */
export interface EndpointWeight {
  endpoint: string;
  weight: number;
}

/**
 * The endpoints of the demo services (route templates, probes excluded) and their share of
 * the traffic, by Deployment name.
 */
export const SERVICE_ENDPOINTS: Record<string, EndpointWeight[]> = {
  'payments-api': [
    { endpoint: '/payments', weight: 0.45 },
    { endpoint: '/payments/:id', weight: 0.35 },
    { endpoint: '/refunds', weight: 0.2 },
  ],
  'checkout-web': [
    { endpoint: '/', weight: 0.3 },
    { endpoint: '/cart', weight: 0.3 },
    { endpoint: '/checkout', weight: 0.25 },
    { endpoint: '/orders/:id', weight: 0.15 },
  ],
  'inventory-service': [
    { endpoint: '/items', weight: 0.4 },
    { endpoint: '/items/:sku', weight: 0.4 },
    { endpoint: '/reservations', weight: 0.2 },
  ],
};

/** The endpoints of a workload the sandbox does not know. */
export const DEFAULT_ENDPOINTS: EndpointWeight[] = [
  { endpoint: '/api/items', weight: 0.6 },
  { endpoint: '/api/items/:id', weight: 0.4 },
];

/** The endpoints of a Deployment, by its name. */
export function endpointsOf(deployment: string): EndpointWeight[] {
  return SERVICE_ENDPOINTS[deployment] ?? DEFAULT_ENDPOINTS;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function optionalNumber(
  body: Record<string, unknown>,
  key: string,
  ok: (n: number) => boolean,
  rule: string,
): string | undefined {
  if (body[key] === undefined) return undefined;
  const n = body[key];
  return typeof n === 'number' && Number.isFinite(n) && ok(n)
    ? undefined
    : `fault.${key} must be ${rule}`;
}

/**
 * Reads a fault from JSON: the fault, or a message naming what is wrong. Unknown keys are
 * refused, so a typo does not silently fall back to a default.
 */
export function parseFault(
  value: unknown,
): { fault: VersionFault } | { error: string } {
  if (typeof value === 'string') return parseFault({ kind: value });
  if (!isRecord(value)) {
    return { error: 'fault must be an object with a kind, or a kind' };
  }
  const kind = value.kind as FaultKind;
  if (!FAULT_KINDS.includes(kind)) {
    return {
      error: `fault.kind must be one of ${FAULT_KINDS.join(
        ', ',
      )}, got ${JSON.stringify(value.kind)}`,
    };
  }
  const allowed: Record<FaultKind, string[]> = {
    'endpoint-errors': ['endpoints', 'errorRate'],
    errors: ['errorRate'],
    unhealthy: [],
    slow: ['p95Seconds'],
    'memory-leak': ['crossAfterSeconds'],
    'cpu-hot': ['cpu'],
    'crash-loop': ['restartsPerMinute'],
    down: [],
    'business-drop': ['drop'],
    none: [],
  };
  const unknown = Object.keys(value).filter(
    k => k !== 'kind' && !allowed[kind].includes(k),
  );
  if (unknown.length > 0) {
    return {
      error: `fault.${unknown[0]} is not a figure of a ${kind} fault${
        allowed[kind].length > 0 ? ` (${allowed[kind].join(', ')})` : ''
      }`,
    };
  }
  const share = (n: number) => n >= 0 && n <= 1;
  const positive = (n: number) => n > 0;
  const problem =
    optionalNumber(value, 'errorRate', share, 'a number from 0 to 1') ??
    optionalNumber(value, 'p95Seconds', positive, 'a positive number') ??
    optionalNumber(value, 'crossAfterSeconds', positive, 'a positive number') ??
    optionalNumber(value, 'cpu', share, 'a number from 0 to 1') ??
    optionalNumber(value, 'restartsPerMinute', positive, 'a positive number') ??
    optionalNumber(value, 'drop', share, 'a number from 0 to 1');
  if (problem) return { error: problem };
  if (kind === 'endpoint-errors') {
    const endpoints = value.endpoints;
    if (
      !Array.isArray(endpoints) ||
      endpoints.length === 0 ||
      !endpoints.every(e => typeof e === 'string' && e.startsWith('/'))
    ) {
      return {
        error:
          'fault.endpoints must be a non-empty array of route templates such as "/payments"',
      };
    }
  }
  return { fault: { ...value } as VersionFault };
}
