export * from './format';
export * from './metrics';
export * from './period';
export { TierBadge } from './TierBadge';
export { TargetLine } from './TargetLine';
export { saveFile } from './saveFile';
