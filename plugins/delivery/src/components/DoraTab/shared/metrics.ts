import {
  DoraMetric,
  DoraMetrics,
  DoraResponse,
  DoraTrendPoint,
} from '@internal/plugin-delivery-common';
import { DoraDetailsKind } from '../../../api';
import { formatCount, plural } from './format';

/** One of the six metrics of a {@link DoraResponse}. */
export type DoraMetricKey = keyof DoraMetrics;

/** How the UI shows one metric: its name, definition, the list behind it and its trend. */
export interface DoraMetricDefinition {
  key: DoraMetricKey;
  title: string;
  /** What it measures, as the backend computes it (a tooltip on the card). */
  definition: string;
  /** The list behind the number, opened by clicking the card. */
  details: DoraDetailsKind;
  /** The trend point's field drawn on the card's chart. */
  trend: keyof DoraTrendPoint;
  /** A second line on the chart (lead time's p90). */
  trendSecondary?: keyof DoraTrendPoint;
  /** How many items the value comes from: `from 212 deployments`. */
  sample(metric: DoraMetric): string;
  /** Why there is no value: nothing happened to measure. */
  empty(metric: DoraMetric): string;
}

/** Whether a metric has nothing to show (no value, or no deployments at all for frequency). */
export function hasValue(metric: DoraMetric): boolean {
  return metric.value !== undefined && metric.count > 0;
}

export const DORA_METRICS: Record<DoraMetricKey, DoraMetricDefinition> = {
  deploymentFrequency: {
    key: 'deploymentFrequency',
    title: 'Deployment frequency',
    definition:
      'Successful production deployments per day over the period. Its DORA tier is per service; our target is per team.',
    details: 'deployments',
    trend: 'deploymentsPerDay',
    sample: m => `from ${plural(m.count, 'deployment')}`,
    empty: () => 'No production deployments in the period.',
  },
  leadTime: {
    key: 'leadTime',
    title: 'Lead time for changes',
    definition:
      'Time from each commit to the first production deployment that carried it: median, and the 90th percentile.',
    details: 'commits',
    trend: 'leadTimeMedian',
    trendSecondary: 'leadTimeP90',
    sample: m => `from ${plural(m.count, 'commit')}`,
    empty: () => 'No commits reached production in the period.',
  },
  changeFailureRate: {
    key: 'changeFailureRate',
    title: 'Change failure rate',
    definition:
      'Production deployments linked to an incident or a rollback, or that failed in production, out of all production deployments.',
    details: 'deployments',
    trend: 'changeFailureRate',
    sample: m =>
      `${formatCount(m.numerator ?? 0)} failed of ${plural(
        m.count,
        'deployment',
      )}`,
    empty: () => 'No production deployments in the period.',
  },
  recoveryTime: {
    key: 'recoveryTime',
    title: 'Failed-deployment recovery time',
    definition:
      'Median time from the start of an incident to its resolution, over the incidents started in the period and resolved.',
    details: 'incidents',
    trend: 'recoveryTimeMedian',
    sample: m =>
      `from ${plural(m.count, 'resolved incident')}${
        m.numerator !== undefined && m.numerator !== m.count
          ? ` (${formatCount(m.numerator)} started)`
          : ''
      }`,
    empty: m =>
      m.numerator
        ? `${plural(
            m.numerator,
            'incident',
          )} started in the period, none resolved yet.`
        : 'No incidents in the period: nothing to recover from.',
  },
  successRate: {
    key: 'successRate',
    title: 'Deployment success rate',
    definition:
      'Deployment attempts that succeeded, out of all attempts that finished.',
    details: 'deployments',
    trend: 'successRate',
    sample: m =>
      `${formatCount(m.numerator ?? 0)} succeeded of ${plural(
        m.count,
        'attempt',
      )}`,
    empty: () => 'No deployment attempts finished in the period.',
  },
  reworkRate: {
    key: 'reworkRate',
    title: 'Rework rate',
    definition:
      'Unplanned production deployments, made while an incident of the service was open, out of all production deployments.',
    details: 'deployments',
    trend: 'reworkRate',
    sample: m =>
      `${formatCount(m.numerator ?? 0)} rework of ${plural(
        m.count,
        'deployment',
      )}`,
    empty: () => 'No production deployments in the period.',
  },
};

/** The six metrics in the order the tab shows them. */
export const METRIC_ORDER: DoraMetricKey[] = [
  'deploymentFrequency',
  'leadTime',
  'changeFailureRate',
  'recoveryTime',
  'successRate',
  'reworkRate',
];

/** DORA's four keys, for the compact summary cards and the teams table. */
export const KEY_METRICS: DoraMetricKey[] = [
  'deploymentFrequency',
  'leadTime',
  'changeFailureRate',
  'recoveryTime',
];

/** Whether nothing at all happened in the period: no deployment, attempt, commit or incident. */
export function isEmptyPeriod(dora: DoraResponse): boolean {
  const m = dora.metrics;
  return (
    m.deploymentFrequency.count === 0 &&
    m.changeFailureRate.count === 0 &&
    m.successRate.count === 0 &&
    m.leadTime.count === 0 &&
    m.recoveryTime.count === 0 &&
    !m.recoveryTime.numerator
  );
}

/** `payments-api` from `component:default/payments-api`. */
export function refName(ref: string): string {
  return ref.slice(ref.lastIndexOf('/') + 1).replace(/^[^:]*:/, '');
}

/** `1 service, 2 teams`. */
export function scopeSize(dora: DoraResponse): string {
  return `${plural(dora.scope.services, 'service')}, ${plural(
    dora.scope.teams,
    'team',
  )}`;
}
