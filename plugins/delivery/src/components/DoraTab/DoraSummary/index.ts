export { DoraSummaryCard, KeyMetric, KeyMetrics } from './DoraSummary';
