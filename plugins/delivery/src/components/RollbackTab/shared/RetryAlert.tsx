import Button from '@material-ui/core/Button';
import Alert from '@material-ui/lab/Alert';
import AlertTitle from '@material-ui/lab/AlertTitle';
import { ResponseError } from '@backstage/errors';
import { errorMessage } from '../../DeploymentsTab/shared';

/** A failed read with the backend's message, its status and a Retry button. */
export function RetryAlert({
  title,
  error,
  onRetry,
}: {
  title: string;
  error: unknown;
  onRetry: () => void;
}) {
  const status = ResponseError.is(error) ? ` (${error.statusCode})` : '';
  return (
    <Alert
      severity="error"
      action={
        <Button color="inherit" size="small" onClick={onRetry}>
          Retry
        </Button>
      }
    >
      <AlertTitle>
        {title}
        {status}
      </AlertTitle>
      {errorMessage(error)}
    </Alert>
  );
}
