import Alert from '@material-ui/lab/Alert';
import AlertTitle from '@material-ui/lab/AlertTitle';
import { FlagChangeOutcome } from '../../../api';
import { errorMessage } from '../../DeploymentsTab/shared';
import { describeSettings } from './settings';

/** What came of an action, as the card shows it above the table. */
export interface Outcome {
  severity: 'success' | 'info' | 'error';
  title: string;
  message?: string;
}

/** The outcome of a change in an environment: applied (and what it serves now) or pending. */
export function changeOutcome(
  key: string,
  environment: string,
  { result, pending }: FlagChangeOutcome,
): Outcome {
  if (pending) {
    return {
      severity: 'info',
      title: `Waiting for approval: ${key} in ${environment}`,
      message: `${
        result.pending?.summary ?? 'The change'
      } applies once someone else approves it (see Pending approvals). Nothing changed yet.`,
    };
  }
  const now = result.flag.environments.find(e => e.environment === environment);
  return {
    severity: 'success',
    title: `${key} in ${environment}: ${
      now ? describeSettings(now, result.flag).label : 'changed'
    }`,
  };
}

/** A refused or failed action, with the backend's message. */
export function failureOutcome(title: string, error: unknown): Outcome {
  return { severity: 'error', title, message: errorMessage(error) };
}

/** The last outcome, closable. */
export function OutcomeAlert({
  outcome,
  onClose,
}: {
  outcome?: Outcome;
  onClose: () => void;
}) {
  if (!outcome) return null;
  return (
    <Alert severity={outcome.severity} onClose={onClose}>
      <AlertTitle>{outcome.title}</AlertTitle>
      {outcome.message && (
        <span style={{ whiteSpace: 'pre-line' }}>{outcome.message}</span>
      )}
    </Alert>
  );
}
