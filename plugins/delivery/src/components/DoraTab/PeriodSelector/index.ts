export { PeriodSelector } from './PeriodSelector';
