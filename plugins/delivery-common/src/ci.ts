import { CiCheck, CiState } from './types';

/**
 * Combines CI checks the way GitHub's branch protection reads them: any failure fails, else any
 * pending keeps it pending, else success; no checks at all is `none`.
 */
export function combineCiStates(checks: Pick<CiCheck, 'state'>[]): CiState {
  if (checks.length === 0) return 'none';
  if (checks.some(c => c.state === 'failure')) return 'failure';
  if (checks.some(c => c.state === 'pending')) return 'pending';
  if (checks.every(c => c.state === 'success')) return 'success';
  return 'pending';
}

/** Maps a GitHub check run (status + conclusion) to a CI state. */
export function checkRunState(
  status: string,
  conclusion: string | null | undefined,
): CiState {
  if (status !== 'completed') return 'pending';
  switch (conclusion) {
    case 'success':
    case 'neutral':
    case 'skipped':
      return 'success';
    case 'failure':
    case 'timed_out':
    case 'cancelled':
    case 'action_required':
    case 'startup_failure':
    case 'stale':
      return 'failure';
    default:
      return 'pending';
  }
}

/** Maps a GitHub commit status state (success, failure, error, pending) to a CI state. */
export function commitStatusState(state: string): CiState {
  if (state === 'success') return 'success';
  if (state === 'failure' || state === 'error') return 'failure';
  return 'pending';
}
