export * from './rules';
export { CopyButton } from './CopyButton';
export { EnvironmentStatus, EnvironmentStatusChip } from './EnvironmentStatus';
export { ExpiryCountdown } from './ExpiryCountdown';
export { QuotaBars } from './QuotaBars';
