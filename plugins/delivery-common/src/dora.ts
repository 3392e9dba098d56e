/**
 * DORA's metrics, as pure rules: the events every source is turned into, nearest-rank
 * percentiles, DORA's deployment-frequency buckets, tiers and our process's targets. The backend
 * aggregates in SQL and hands the counts to these; the frontend only shows what they give.
 *
 * Tiers follow the latest DORA report that publishes them (Accelerate State of DevOps 2024);
 * targets are our process's own (../shared/PROCESS.md, "Metrics and KPIs"). Both are config.
 */

import type { DoraTarget, DoraTier } from './types';

/** The source a DORA event came from. */
export type DoraSource = 'portal' | 'github';

/** A commit and the time it was made (its author's timestamp, as GitHub's push event gives). */
export interface DoraCommitTime {
  sha: string;
  /** Milliseconds since the epoch (UTC). */
  committedAt: number;
}

/**
 * What every source is turned into before it is stored: one ingestion path, idempotent on
 * `sourceId` (a replayed webhook or a re-ingested portal deployment is stored once).
 */
export type DoraEvent =
  | {
      type: 'deployment';
      sourceId: string;
      source: DoraSource;
      entityRef: string;
      sha: string;
      /** Milliseconds since the epoch: when it finished. */
      at: number;
      status: 'success' | 'failure';
      /** Whether it changed production (a portal run that failed in UAT did not). */
      production: boolean;
      /** The portal's token. */
      token?: string;
      url?: string;
      /**
       * The commits it carried since the previous production version, with their times; when
       * absent, the commits pushed before it that no deployment carried yet.
       */
      commits?: DoraCommitTime[];
    }
  | {
      type: 'push';
      sourceId: string;
      source: DoraSource;
      entityRef: string;
      /** Milliseconds since the epoch: when it was pushed. */
      at: number;
      commits: DoraCommitTime[];
    }
  | {
      type: 'incident';
      sourceId: string;
      source: DoraSource;
      entityRef: string;
      /** The incident's own id (an update of it carries the same id and a new sourceId). */
      incidentId: string;
      title: string;
      startedAt: number;
      resolvedAt?: number;
      /**
       * When the source last changed it (GitHub's `updated_at`): a redelivered older state that
       * arrives after a newer one (an 'opened' after the 'closed') does not reopen it.
       */
      updatedAt?: number;
      /** The deployment that caused it: the portal's token, or a sha the report names. */
      token?: string;
      sha?: string;
      url?: string;
    };

/** A metric's DORA tier boundaries: the value for elite, high and medium; beyond is low. */
export interface DoraTierBounds {
  elite: number;
  high: number;
  medium: number;
}

/** `delivery.dora.tiers`: DORA 2024's performance levels as boundaries. */
export interface DoraTiers {
  /** Deployments per day per service, at least. */
  deploymentFrequency: DoraTierBounds;
  /** Median lead time in milliseconds, at most. */
  leadTime: DoraTierBounds;
  /** Change failure rate, at most. */
  changeFailureRate: DoraTierBounds;
  /** Median failed-deployment recovery time in milliseconds, at most. */
  recoveryTime: DoraTierBounds;
}

/** `delivery.dora.targets`: our process's own. */
export interface DoraTargets {
  /** Successful production deployments per day per team, at least: 5. */
  deploymentsPerDayPerTeam: number;
  /** Median lead time in milliseconds, below: 2 h. */
  leadTime: number;
  /** Change failure rate, below: 5 %. */
  changeFailureRate: number;
  /** Median recovery time in milliseconds, below: 5 min. */
  recoveryTime: number;
  /** Deployment success rate, above: 95 %. */
  successRate: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** DORA 2024's levels: elite deploys on demand (daily or more), high daily to weekly, medium weekly to monthly. */
export const DEFAULT_DORA_TIERS: DoraTiers = {
  deploymentFrequency: { elite: 1, high: 1 / 7, medium: 1 / 30 },
  leadTime: { elite: DAY, high: 7 * DAY, medium: 30 * DAY },
  changeFailureRate: { elite: 0.05, high: 0.1, medium: 0.2 },
  recoveryTime: { elite: HOUR, high: DAY, medium: 7 * DAY },
};

/** ../shared/PROCESS.md, "Deployment Metrics". */
export const DEFAULT_DORA_TARGETS: DoraTargets = {
  deploymentsPerDayPerTeam: 5,
  leadTime: 2 * HOUR,
  changeFailureRate: 0.05,
  recoveryTime: 5 * 60_000,
  successRate: 0.95,
};

const MINUTE = 60_000;

/**
 * The step a duration falls in at the resolution the cards show: whole minutes under a day,
 * whole hours up to 30 days, whole days beyond. Steps are consecutive integers that sort as the
 * durations do; percentiles are counted per step (exact at that resolution, and the same in
 * SQLite and PostgreSQL, whose SQL computes the same steps).
 */
export function durationStep(ms: number): number {
  if (ms < DAY) return Math.floor(ms / MINUTE);
  if (ms < 30 * DAY) return 1416 + Math.floor(ms / HOUR);
  return 2106 + Math.floor(ms / DAY);
}

/** The shortest duration of a step (the value a percentile in that step is reported as). */
export function durationOfStep(step: number): number {
  if (step < 1440) return step * MINUTE;
  if (step < 2136) return (step - 1416) * HOUR;
  return (step - 2106) * DAY;
}

/**
 * The nearest-rank percentile of a distribution given as (value, count) pairs sorted by value:
 * the smallest value with at least `p` of the items at or below it; undefined when empty.
 */
export function percentileOfCounts(
  sorted: ReadonlyArray<readonly [value: number, count: number]>,
  p: number,
): number | undefined {
  const total = sorted.reduce((sum, [, count]) => sum + count, 0);
  if (total === 0) return undefined;
  const rank = Math.max(1, Math.ceil(p * total));
  let seen = 0;
  for (const [value, count] of sorted) {
    seen += count;
    if (seen >= rank) return value;
  }
  return sorted[sorted.length - 1][0];
}

/** DORA's deployment-frequency buckets, from deployments per day of one service. */
export type DeploymentFrequencyBucket =
  | 'onDemand'
  | 'daily'
  | 'weekly'
  | 'monthly'
  | 'fewer'
  | 'none';

/**
 * Several a day is on demand; between once a day and once a week is daily; once a week to
 * once a month weekly; once a month to once in six months monthly; below that, fewer.
 */
export function deploymentFrequencyBucket(
  perDay: number,
): DeploymentFrequencyBucket {
  if (perDay <= 0) return 'none';
  if (perDay > 1) return 'onDemand';
  if (perDay >= 1 / 7) return 'daily';
  if (perDay >= 1 / 30) return 'weekly';
  if (perDay >= 1 / 182) return 'monthly';
  return 'fewer';
}

/** The tier of a value where higher is better (deployment frequency). */
export function tierAtLeast(value: number, bounds: DoraTierBounds): DoraTier {
  if (value >= bounds.elite) return 'elite';
  if (value >= bounds.high) return 'high';
  if (value >= bounds.medium) return 'medium';
  return 'low';
}

/** The tier of a value where lower is better (lead time, failure rate, recovery time). */
export function tierAtMost(value: number, bounds: DoraTierBounds): DoraTier {
  if (value <= bounds.elite) return 'elite';
  if (value <= bounds.high) return 'high';
  if (value <= bounds.medium) return 'medium';
  return 'low';
}

/** A target where the value must reach it (`atLeast`) or stay below it (`atMost`). */
export function target(
  value: number | undefined,
  goal: number,
  comparison: 'atLeast' | 'atMost',
  note?: string,
): DoraTarget {
  let met: boolean | undefined;
  if (value !== undefined) {
    met = comparison === 'atLeast' ? value >= goal : value < goal;
  }
  return {
    value: goal,
    comparison,
    ...(met === undefined ? {} : { met }),
    ...(note ? { note } : {}),
  };
}

/** How many values, and their nearest-rank median and 90th percentile. */
export interface DoraDistribution {
  count: number;
  p50?: number;
  p90?: number;
}

/** The counts one period (or one interval of the trend) is made of, as SQL gives them. */
export interface DoraCounts {
  /** Length of the period in milliseconds. */
  periodMs: number;
  /** Services and teams in scope (frequency is per service for the tier, per team for the target). */
  services: number;
  teams: number;
  /** Successful production deployments. */
  deployments: number;
  /** Production deployments, successful or not: change failure rate's denominator. */
  productionDeployments: number;
  /** Production deployments linked to an incident or a rollback, or that failed in production. */
  failedDeployments: number;
  /** Deployment attempts that finished, and those that succeeded. */
  attempts: number;
  succeeded: number;
  /** Production deployments made while an incident of the service was open. */
  rework: number;
  /**
   * Lead times of the commits first deployed in the period: how many, and their nearest-rank
   * median and 90th percentile in milliseconds (the smallest value with at least half, or 90 %,
   * of the items at or below it), at the cards' resolution ({@link durationStep}).
   */
  leadTime: DoraDistribution;
  /** Recovery times of the incidents started in the period and resolved since. */
  recoveryTime: DoraDistribution;
  /** Incidents started in the period (resolved or not). */
  incidents: number;
}

/** A metric as the API gives it (the OpenAPI `DoraMetric`). */
export interface DoraMetricValue {
  value?: number;
  unit: 'perDay' | 'milliseconds' | 'ratio';
  count: number;
  numerator?: number;
  p90?: number;
  perWeek?: number;
  bucket?: DeploymentFrequencyBucket;
  tier?: DoraTier;
  target?: DoraTarget;
}

/** The six metrics of one period, with tiers and targets. */
export interface DoraMetricValues {
  deploymentFrequency: DoraMetricValue;
  leadTime: DoraMetricValue;
  changeFailureRate: DoraMetricValue;
  recoveryTime: DoraMetricValue;
  successRate: DoraMetricValue;
  reworkRate: DoraMetricValue;
}

function ratio(numerator: number, denominator: number): number | undefined {
  return denominator > 0 ? numerator / denominator : undefined;
}

/**
 * The metrics of one period from its counts. Deployment frequency's tier is per service (DORA
 * measures an application); its target is per team (the process says "per team"), so a single
 * service's card shows the target without judging it.
 */
export function doraMetrics(
  counts: DoraCounts,
  options: {
    tiers: DoraTiers;
    targets: DoraTargets;
    scope: 'entity' | 'group';
  },
): DoraMetricValues {
  const { tiers, targets } = options;
  const days = counts.periodMs / DAY;
  const perDay = days > 0 ? counts.deployments / days : 0;
  const perServicePerDay = counts.services > 0 ? perDay / counts.services : 0;
  const perTeamPerDay = counts.teams > 0 ? perDay / counts.teams : undefined;
  const leadMedian = counts.leadTime.p50;
  const leadP90 = counts.leadTime.p90;
  const leadCount = counts.leadTime.count;
  const recoveryMedian = counts.recoveryTime.p50;
  const recovered = counts.recoveryTime.count;
  const cfr = ratio(counts.failedDeployments, counts.productionDeployments);
  const success = ratio(counts.succeeded, counts.attempts);
  const rework = ratio(counts.rework, counts.productionDeployments);
  const frequencyTarget =
    options.scope === 'entity' || perTeamPerDay === undefined
      ? target(
          undefined,
          targets.deploymentsPerDayPerTeam,
          'atLeast',
          'The target is per team: see the owner’s page.',
        )
      : target(
          perTeamPerDay,
          targets.deploymentsPerDayPerTeam,
          'atLeast',
          counts.teams > 1
            ? `Per team: ${counts.teams} teams, ${round(
                perTeamPerDay,
              )} a day each on average.`
            : undefined,
        );
  return {
    deploymentFrequency: {
      value: perDay,
      unit: 'perDay',
      count: counts.deployments,
      perWeek: perDay * 7,
      bucket: deploymentFrequencyBucket(perServicePerDay),
      tier: tierAtLeast(perServicePerDay, tiers.deploymentFrequency),
      target: frequencyTarget,
    },
    leadTime: {
      ...(leadMedian === undefined ? {} : { value: leadMedian }),
      ...(leadP90 === undefined ? {} : { p90: leadP90 }),
      unit: 'milliseconds',
      count: leadCount,
      ...(leadMedian === undefined
        ? {}
        : { tier: tierAtMost(leadMedian, tiers.leadTime) }),
      target: target(leadMedian, targets.leadTime, 'atMost'),
    },
    changeFailureRate: {
      ...(cfr === undefined ? {} : { value: cfr }),
      unit: 'ratio',
      count: counts.productionDeployments,
      numerator: counts.failedDeployments,
      ...(cfr === undefined
        ? {}
        : { tier: tierAtMost(cfr, tiers.changeFailureRate) }),
      target: target(cfr, targets.changeFailureRate, 'atMost'),
    },
    recoveryTime: {
      ...(recoveryMedian === undefined ? {} : { value: recoveryMedian }),
      unit: 'milliseconds',
      count: recovered,
      numerator: counts.incidents,
      ...(recoveryMedian === undefined
        ? {}
        : { tier: tierAtMost(recoveryMedian, tiers.recoveryTime) }),
      target: target(recoveryMedian, targets.recoveryTime, 'atMost'),
    },
    successRate: {
      ...(success === undefined ? {} : { value: success }),
      unit: 'ratio',
      count: counts.attempts,
      numerator: counts.succeeded,
      target: target(success, targets.successRate, 'atLeast'),
    },
    reworkRate: {
      ...(rework === undefined ? {} : { value: rework }),
      unit: 'ratio',
      count: counts.productionDeployments,
      numerator: counts.rework,
    },
  };
}

function round(n: number): string {
  return n >= 10 ? n.toFixed(0) : n.toFixed(1);
}

/** Where a DORA event's text names a commit: 7 to 40 hexadecimal digits, as a word. */
export function shasNamedIn(text: string): string[] {
  return [
    ...new Set(text.toLowerCase().match(/\b[0-9a-f]{7,40}\b/g) ?? []),
  ].filter(s => /[a-f]/.test(s) && /[0-9]/.test(s));
}
