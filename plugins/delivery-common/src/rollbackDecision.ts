/**
 * The rollback decision engine: from a service's health in one environment to the level of
 * rollback the process prescribes (../shared/PROCESS.md, "Enhanced rollback strategy"), with
 * every reason. Pure: the backend gathers the figures, stores each decision with them, and acts.
 *
 * The levels: 1 flag off (seconds, the first response when the errors sit on the new change),
 * 2 stable-version rollback (canary first), 3 reroute traffic away from the failing pods (then 5,
 * restore the environment from its pre-deployment backup), 6 escalate to a person. A business
 * metric that drops with no technical breach is held for a person to judge.
 */

import type { EndpointErrors, FlagOfChange, HealthFigures } from './types';

/** What happened lately, which changes the answer. */
export interface DecisionHistory {
  /** A rollback of the service failed and is not resolved. */
  rollbackFailed?: boolean;
  /** When the last automated action was taken, if any. */
  lastActionAt?: Date;
}

/** The process's thresholds (defaults) and the window in which a second breach escalates. */
export interface DecisionThresholds {
  /** Error rate that triggers a rollback: 1 %. */
  errorRate: number;
  /** Share of the errors on the change's endpoints that makes it the change's fault: 80 %. */
  concentration: number;
  /** p95 latency that triggers a rollback: 2 s. */
  p95Seconds: number;
  /** CPU use of the limit: 80 %. */
  cpu: number;
  /** Memory use of the limit: 85 %. */
  memory: number;
  /** Pod restarts per minute: 5. */
  restartsPerMinute: number;
  /** Drop of the business metric against its baseline: 20 %. */
  businessDrop: number;
  /** A breach within this long after an automated action escalates: 10 minutes. */
  secondBreachWindowMs: number;
}

export const DEFAULT_DECISION_THRESHOLDS: DecisionThresholds = {
  errorRate: 0.01,
  concentration: 0.8,
  p95Seconds: 2,
  cpu: 0.8,
  memory: 0.85,
  restartsPerMinute: 5,
  businessDrop: 0.2,
  secondBreachWindowMs: 10 * 60_000,
};

/** How loud the alert is, as the process's alerting strategy has it. */
export type AlertSeverity = 'critical' | 'warning' | 'info';

/** What the engine recommends. */
export type Recommendation =
  | { level: 0; action: 'none' }
  | { level: 1; action: 'flag-off'; flags: string[] }
  | { level: 2; action: 'stable-rollback' }
  | { level: 3; action: 'reroute'; then: 5 }
  | { level: 'hold'; action: 'ask'; then: 'flag-off' | 'stable-rollback' }
  | { level: 6; action: 'escalate' };

/** A recommendation with every reason and the alert's severity. */
export type Decision = Recommendation & {
  reasons: string[];
  severity: AlertSeverity;
};

const percent = (share: number) =>
  `${(share * 100).toFixed(share < 0.1 ? 2 : 1)} %`;

/**
 * Lower bound of the one-sided 95 % Wilson score interval of a failure share: the error rate the
 * sample shows for sure, given how few requests it saw.
 */
export function errorRateLowerBound(errorRate: number, requests: number) {
  const z = 1.645;
  const z2 = z * z;
  const centre = errorRate + z2 / (2 * requests);
  const spread =
    z *
    Math.sqrt(
      (errorRate * (1 - errorRate)) / requests + z2 / (4 * requests * requests),
    );
  return Math.max(0, (centre - spread) / (1 + z2 / requests));
}

/**
 * The environments a level-2 (stable-version) rollback returns, in order, canary first: every
 * environment after the entry one (UAT) up to the failing one; the entry environment alone when
 * it is the one failing. Each is verified before the next.
 */
export function stableRollbackEnvironments(
  environment: string,
  pipeline: string[],
): string[] {
  const at = pipeline.indexOf(environment);
  return at <= 0 ? [environment] : pipeline.slice(1, at + 1);
}

/** The severity of what was seen: critical → page, warning → chat, info otherwise. */
export function alertSeverity(
  figures: HealthFigures,
  t: DecisionThresholds = DEFAULT_DECISION_THRESHOLDS,
): AlertSeverity {
  const drop = businessDrop(figures);
  if (
    !figures.up ||
    (figures.errorRate ?? 0) > 0.05 ||
    (figures.p95Seconds ?? 0) > 5 ||
    (drop ?? 0) > 0.5
  ) {
    return 'critical';
  }
  if (
    (figures.errorRate ?? 0) > t.errorRate ||
    (figures.p95Seconds ?? 0) > t.p95Seconds ||
    (drop ?? 0) > t.businessDrop ||
    (figures.cpu ?? 0) > 0.8 ||
    (figures.memory ?? 0) > 0.8
  ) {
    return 'warning';
  }
  return 'info';
}

/** How far the business metric fell below its baseline (0..1), when both are known. */
export function businessDrop(figures: HealthFigures): number | undefined {
  const b = figures.business;
  if (!b || !(b.baseline > 0)) return undefined;
  return Math.max(0, (b.baseline - b.value) / b.baseline);
}

/** The share of all errors that sit on the given endpoints (undefined without errors). */
export function errorConcentration(
  endpoints: EndpointErrors[],
  on: string[],
): number | undefined {
  const total = endpoints.reduce((sum, e) => sum + e.errors, 0);
  if (total === 0) return undefined;
  const there = endpoints
    .filter(e => on.includes(e.endpoint))
    .reduce((sum, e) => sum + e.errors, 0);
  return there / total;
}

/**
 * Decides what to do about a service in one environment, following the process's decision
 * matrix, in this order: a failed rollback or a second breach soon after an automated action →
 * escalate (6); the health endpoint down → reroute, then restore (3 → 5); infrastructure
 * degraded (CPU, memory, restarts) or p95 over its limit → stable-version rollback (2); errors
 * over their limit → flag off (1) when more than `concentration` of them sit on the endpoints of
 * flags of the newest change that are on, else rollback (2); a business metric drop alone → hold
 * and ask a person (then flag off when the change has flags on, else rollback); else nothing.
 */
export function decideRollback(input: {
  figures: HealthFigures;
  flags: FlagOfChange[];
  history?: DecisionHistory;
  now: Date;
  thresholds?: Partial<DecisionThresholds>;
}): Decision {
  const t = { ...DEFAULT_DECISION_THRESHOLDS, ...input.thresholds };
  const { figures, flags } = input;
  const severity = alertSeverity(figures, t);
  const breaches: string[] = [];
  const infrastructure: string[] = [];
  if (!figures.up) breaches.push('the health endpoint does not answer');
  if (figures.cpu !== undefined && figures.cpu > t.cpu) {
    infrastructure.push(
      `CPU at ${percent(figures.cpu)} of its limit (over ${percent(t.cpu)})`,
    );
  }
  if (figures.memory !== undefined && figures.memory > t.memory) {
    infrastructure.push(
      `memory at ${percent(figures.memory)} of its limit (over ${percent(
        t.memory,
      )})`,
    );
  }
  if (
    figures.restartsPerMinute !== undefined &&
    figures.restartsPerMinute > t.restartsPerMinute
  ) {
    infrastructure.push(
      `${figures.restartsPerMinute.toFixed(1)} pod restarts a minute (over ${
        t.restartsPerMinute
      })`,
    );
  }
  breaches.push(...infrastructure);
  const slow =
    figures.p95Seconds !== undefined && figures.p95Seconds > t.p95Seconds;
  if (slow) {
    breaches.push(
      `p95 latency ${figures.p95Seconds!.toFixed(2)} s (over ${
        t.p95Seconds
      } s)`,
    );
  }
  // Over the limit beyond chance: 2 failures in 120 requests are not a reason to act.
  const failing =
    figures.errorRate !== undefined &&
    figures.errorRate > t.errorRate &&
    (figures.requests === undefined ||
      errorRateLowerBound(figures.errorRate, figures.requests) > t.errorRate);
  if (failing) {
    breaches.push(
      `error rate ${percent(figures.errorRate!)} (over ${percent(
        t.errorRate,
      )})`,
    );
  }
  const drop = businessDrop(figures);
  const dropped = drop !== undefined && drop > t.businessDrop;
  if (dropped) {
    breaches.push(
      `business metric ${percent(drop!)} below its baseline (over ${percent(
        t.businessDrop,
      )})`,
    );
  }

  const history = input.history ?? {};
  if (breaches.length > 0 && history.rollbackFailed) {
    return {
      level: 6,
      action: 'escalate',
      severity: 'critical',
      reasons: ['a rollback of this service failed', ...breaches],
    };
  }
  if (
    breaches.length > 0 &&
    history.lastActionAt &&
    input.now.getTime() - history.lastActionAt.getTime() <
      t.secondBreachWindowMs
  ) {
    return {
      level: 6,
      action: 'escalate',
      severity: 'critical',
      reasons: [
        `still unhealthy ${Math.round(
          (input.now.getTime() - history.lastActionAt.getTime()) / 1000,
        )} s after an automated action`,
        ...breaches,
      ],
    };
  }
  if (!figures.up) {
    return {
      level: 3,
      action: 'reroute',
      then: 5,
      severity,
      reasons: breaches,
    };
  }
  if (infrastructure.length > 0 || slow) {
    return {
      level: 2,
      action: 'stable-rollback',
      severity,
      reasons: [
        ...breaches,
        infrastructure.length > 0
          ? 'the infrastructure is degraded: a flag cannot fix that'
          : 'every endpoint is slow: a flag cannot fix that',
      ],
    };
  }
  const onFlags = flags.filter(f => f.on);
  if (failing) {
    const endpoints = [...new Set(onFlags.flatMap(f => f.endpoints))];
    const share = errorConcentration(figures.endpoints, endpoints);
    if (onFlags.length > 0 && share !== undefined && share > t.concentration) {
      return {
        level: 1,
        action: 'flag-off',
        flags: onFlags.map(f => f.key),
        severity,
        reasons: [
          ...breaches,
          `${percent(
            share,
          )} of the errors are on the new change's endpoints (${endpoints.join(
            ', ',
          )}), over ${percent(t.concentration)}, with healthy infrastructure`,
        ],
      };
    }
    let why = `only ${percent(
      share ?? 0,
    )} of the errors are on the new change's endpoints: they are spread`;
    if (share === undefined)
      why = 'the metrics do not say which endpoints fail';
    if (onFlags.length === 0) why = 'no flag of the newest change is on';
    return {
      level: 2,
      action: 'stable-rollback',
      severity,
      reasons: [...breaches, why],
    };
  }
  if (dropped) {
    return {
      level: 'hold',
      action: 'ask',
      then: onFlags.length > 0 ? 'flag-off' : 'stable-rollback',
      severity,
      reasons: [
        ...breaches,
        'no technical breach: a person judges whether the change caused it',
      ],
    };
  }
  return { level: 0, action: 'none', severity, reasons: ['healthy'] };
}
