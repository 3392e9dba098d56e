export { KpiCard } from './KpiCard';
export { TrendChart } from './TrendChart';
