import {
  businessDrop,
  DEFAULT_DECISION_THRESHOLDS,
  DecisionThresholds,
  HealthFigures,
} from '@internal/plugin-delivery-common';

/** The thresholds a health read was judged by: the response's, else the process's defaults. */
export function thresholdsOf(
  thresholds: Record<string, number> | undefined,
): DecisionThresholds {
  return { ...DEFAULT_DECISION_THRESHOLDS, ...(thresholds ?? {}) };
}

/** `0.0123` → `1.23 %`; small shares get two decimals, larger ones one. */
export function formatPercent(share: number): string {
  return `${(share * 100).toFixed(share < 0.1 ? 2 : 1)} %`;
}

/** `1.234` → `1.23 s`, below a second in milliseconds. */
export function formatSeconds(seconds: number): string {
  return seconds < 1
    ? `${Math.round(seconds * 1000)} ms`
    : `${seconds.toFixed(2)} s`;
}

/** One figure of a health card: its name, its value in words, and whether it breaches. */
export interface Figure {
  id: string;
  label: string;
  value: string;
  /** The threshold in words (`max 1.00 %`). */
  limit?: string;
  breach: boolean;
}

/** The figures of a health read in display order; unknown ones read `unknown`. */
export function figuresOf(
  figures: HealthFigures,
  t: DecisionThresholds,
): Figure[] {
  const unknown = 'unknown';
  const list: Figure[] = [
    {
      id: 'up',
      label: 'Status',
      value: figures.up ? 'up' : 'down',
      breach: !figures.up,
    },
    {
      id: 'errorRate',
      label: 'Error rate',
      value:
        figures.errorRate === undefined
          ? unknown
          : formatPercent(figures.errorRate),
      limit: `max ${formatPercent(t.errorRate)}`,
      breach: (figures.errorRate ?? 0) > t.errorRate,
    },
    {
      id: 'p95',
      label: 'p95 latency',
      value:
        figures.p95Seconds === undefined
          ? unknown
          : formatSeconds(figures.p95Seconds),
      limit: `max ${formatSeconds(t.p95Seconds)}`,
      breach: (figures.p95Seconds ?? 0) > t.p95Seconds,
    },
    {
      id: 'cpu',
      label: 'CPU',
      value: figures.cpu === undefined ? unknown : formatPercent(figures.cpu),
      limit: `max ${formatPercent(t.cpu)}`,
      breach: (figures.cpu ?? 0) > t.cpu,
    },
    {
      id: 'memory',
      label: 'Memory',
      value:
        figures.memory === undefined ? unknown : formatPercent(figures.memory),
      limit: `max ${formatPercent(t.memory)}`,
      breach: (figures.memory ?? 0) > t.memory,
    },
    {
      id: 'restarts',
      label: 'Restarts / min',
      value:
        figures.restartsPerMinute === undefined
          ? unknown
          : String(Math.round(figures.restartsPerMinute * 100) / 100),
      limit: `max ${t.restartsPerMinute}`,
      breach: (figures.restartsPerMinute ?? 0) > t.restartsPerMinute,
    },
  ];
  const business = figures.business;
  const drop = businessDrop(figures);
  list.push({
    id: 'business',
    label: 'Business metric',
    value: business
      ? `${round(business.value)} vs ${round(business.baseline)} baseline${
          drop !== undefined && drop > 0 ? ` (−${formatPercent(drop)})` : ''
        }`
      : unknown,
    limit: `max drop ${formatPercent(t.businessDrop)}`,
    breach: drop !== undefined && drop > t.businessDrop,
  });
  return list;
}

function round(n: number): string {
  return String(Math.round(n * 1000) / 1000);
}
