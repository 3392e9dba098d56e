export { GuardedButton } from './GuardedButton';
export { ReasonDialog } from './ReasonDialog';
export { errorMessage, isUnprocessable } from './errors';
export {
  formatAge,
  formatCountdown,
  formatDuration,
  formatTime,
  formatUser,
  shortSha,
} from './format';
export { CARD_TABLE_OPTIONS } from './tableOptions';
