import {
  DoraMetric,
  DoraTarget,
  DoraTier,
} from '@internal/plugin-delivery-common';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** A number with at most one decimal, without a trailing `.0`: `4.2`, `12`, `0.3`. */
export function formatNumber(value: number): string {
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return String(Number(value.toFixed(1)));
}

/**
 * An axis tick of a rate: one decimal from 1 up, two significant digits below, so that a small
 * rate's ticks stay distinct (`0.035`, `0.07`, `0.11`, `0.14` rather than `0`, `0.1`, `0.1`).
 */
export function formatRateTick(value: number): string {
  if (value === 0 || Math.abs(value) >= 1) return formatNumber(value);
  return String(Number(value.toPrecision(2)));
}

/** A count with thousands separators: `1,234`. */
export function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}

/** `1 deployment`, `212 deployments`. */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${formatCount(count)} ${count === 1 ? one : many}`;
}

/**
 * A duration for people: `40 s`, `12 min`, `1 h 35 min`, `2 d 3 h` (rounded to the unit below
 * the largest one shown).
 */
export function formatDurationMs(ms: number): string {
  const value = Math.max(0, ms);
  const seconds = Math.round(value / SECOND);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(value / MINUTE);
  if (minutes < 60) return `${minutes} min`;
  if (minutes < 24 * 60) {
    const h = Math.floor(minutes / 60);
    const m = minutes % 60;
    return m ? `${h} h ${m} min` : `${h} h`;
  }
  const hours = Math.round(value / HOUR);
  const d = Math.floor(hours / 24);
  const h = hours % 24;
  return h ? `${d} d ${h} h` : `${d} d`;
}

/** A duration for a chart's axis, in one unit: `40 s`, `12 min`, `1.5 h`, `2.5 d`. */
export function formatDurationShort(ms: number): string {
  const value = Math.max(0, ms);
  if (value < MINUTE) return `${Math.round(value / SECOND)} s`;
  if (value < HOUR) return `${formatNumber(value / MINUTE)} min`;
  if (value < 24 * HOUR) return `${formatNumber(value / HOUR)} h`;
  return `${formatNumber(value / (24 * HOUR))} d`;
}

/** A ratio as a percentage with one decimal at most: `3.1 %`, `95 %`. */
export function formatPercent(ratio: number): string {
  return `${formatNumber(ratio * 100)} %`;
}

/**
 * Deployments per day for people: `4.2 / day` from one a day up, else per week (`3.5 / week`),
 * else per month (`0.8 / month`).
 */
export function formatRate(perDay: number): string {
  if (perDay >= 1 || perDay === 0) return `${formatNumber(perDay)} / day`;
  if (perDay * 7 >= 1) return `${formatNumber(perDay * 7)} / week`;
  return `${formatNumber(perDay * 30)} / month`;
}

/** A value in a metric's unit, formatted for people. */
export function formatValue(unit: DoraMetric['unit'], value: number): string {
  switch (unit) {
    case 'perDay':
      return formatRate(value);
    case 'milliseconds':
      return formatDurationMs(value);
    case 'ratio':
    default:
      return formatPercent(value);
  }
}

/** DORA's deployment-frequency buckets, as DORA words them. */
export const BUCKET_LABEL: Record<NonNullable<DoraMetric['bucket']>, string> = {
  onDemand: 'on demand (several a day)',
  daily: 'between once a day and once a week',
  weekly: 'between once a week and once a month',
  monthly: 'between once a month and once every six months',
  fewer: 'fewer than once every six months',
  none: 'no deployments',
};

/** The tiers, best first. */
export const TIERS: DoraTier[] = ['elite', 'high', 'medium', 'low'];

/**
 * A target as a short phrase in the metric's unit: `< 2 h`, `≥ 95 %`, `≥ 5 / day per team`.
 * `atMost` is strict (the value must stay below it), `atLeast` is not.
 */
export function formatTarget(
  unit: DoraMetric['unit'],
  target: DoraTarget,
  { perTeam = false }: { perTeam?: boolean } = {},
): string {
  const sign = target.comparison === 'atLeast' ? '≥' : '<';
  const value =
    unit === 'perDay'
      ? `${formatNumber(target.value)} / day`
      : formatValue(unit, target.value);
  return `${sign} ${value}${perTeam ? ' per team' : ''}`;
}

/** An ISO date as a short local date: `3 Sep 2026`. */
export function formatDate(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? '—'
    : date.toLocaleDateString(undefined, {
        day: 'numeric',
        month: 'short',
        year: 'numeric',
      });
}

/** An ISO date as a chart tick: `3 Sep`. */
export function formatTick(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? ''
    : date.toLocaleDateString(undefined, { day: 'numeric', month: 'short' });
}
