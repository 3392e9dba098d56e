export * from './levels';
export * from './figures';
export { SeverityChip } from './SeverityChip';
export { RetryAlert } from './RetryAlert';
