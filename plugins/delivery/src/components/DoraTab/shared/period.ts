/** A period the DORA views can show, in weeks back from today. */
export interface DoraPeriodOption {
  weeks: number;
  label: string;
  /** The trend's intervals: days for the shortest period, weeks otherwise. */
  interval: 'day' | 'week';
}

export const PERIOD_OPTIONS: DoraPeriodOption[] = [
  { weeks: 4, label: '4 weeks', interval: 'day' },
  { weeks: 12, label: '12 weeks', interval: 'week' },
  { weeks: 26, label: '26 weeks', interval: 'week' },
  { weeks: 52, label: '52 weeks', interval: 'week' },
];

export const DEFAULT_WEEKS = 12;

/** The period a DORA view asks for: `from` a local midnight, until now. */
export interface DoraPeriod {
  weeks: number;
  interval: 'day' | 'week';
  /** ISO 8601 with the user's offset, e.g. `2026-09-04T00:00:00+02:00`. */
  from: string;
  /** `last 12 weeks`. */
  label: string;
}

/** A date-time as ISO 8601 in local time with the offset: `2026-09-04T00:00:00+02:00`. */
export function localIso(date: Date): string {
  const offset = -date.getTimezoneOffset();
  // The local wall-clock time, read with the UTC getters.
  const local = new Date(date.getTime() + offset * 60_000);
  const pad = (n: number) => String(Math.floor(Math.abs(n))).padStart(2, '0');
  const sign = offset >= 0 ? '+' : '-';
  return `${local.toISOString().slice(0, 19)}${sign}${pad(offset / 60)}:${pad(
    offset % 60,
  )}`;
}

/**
 * The last `weeks` weeks up to now, today included: from the local midnight `7 × weeks − 1`
 * days ago, so the trend has `weeks` weekly intervals (or `7 × weeks` daily ones), the last one
 * running until now, and daily intervals are the user's own days.
 */
export function periodOf(weeks: number, now: Date = new Date()): DoraPeriod {
  const option =
    PERIOD_OPTIONS.find(o => o.weeks === weeks) ??
    PERIOD_OPTIONS.find(o => o.weeks === DEFAULT_WEEKS)!;
  const start = new Date(
    now.getFullYear(),
    now.getMonth(),
    now.getDate() - (7 * option.weeks - 1),
  );
  return {
    weeks: option.weeks,
    interval: option.interval,
    from: localIso(start),
    label: `last ${option.label}`,
  };
}
