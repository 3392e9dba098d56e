import Alert from '@material-ui/lab/Alert';
import AlertTitle from '@material-ui/lab/AlertTitle';
import { RequestDeploymentResponse } from '@internal/plugin-delivery-common';
import { errorMessage, isUnprocessable, shortSha } from '../shared';

/** What came of the last Deploy click: the token and queue position, or why it was refused. */
export function RequestOutcome({
  commitSha,
  result,
  error,
  onClose,
}: {
  commitSha: string;
  result?: RequestDeploymentResponse;
  error?: Error;
  onClose: () => void;
}) {
  if (error) {
    return (
      <Alert severity="error" onClose={onClose}>
        <AlertTitle>
          {isUnprocessable(error)
            ? `${shortSha(commitSha)} cannot be deployed`
            : 'The deployment could not be requested'}
        </AlertTitle>
        <span style={{ whiteSpace: 'pre-line' }}>{errorMessage(error)}</span>
      </Alert>
    );
  }
  if (!result) return null;
  return (
    <Alert severity="success" onClose={onClose}>
      Requested {shortSha(result.deployment.commitSha)}: token{' '}
      <strong>{result.deployment.token}</strong>, position{' '}
      <strong>{result.queuePosition}</strong> in the queue.
    </Alert>
  );
}
