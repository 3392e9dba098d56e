export * from './settings';
export * from './problems';
export * from './outcome';
export { ProblemList } from './ProblemList';
export { DangerButton } from './DangerButton';
export { DialogFooter, DialogProgress } from './DialogParts';
export { EnvironmentSelect } from './EnvironmentSelect';
