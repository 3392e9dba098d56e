import { ReactNode } from 'react';
import Button from '@material-ui/core/Button';
import DialogActions from '@material-ui/core/DialogActions';
import LinearProgress from '@material-ui/core/LinearProgress';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { errorMessage } from '../../DeploymentsTab/shared';

/** The end of a flag dialog's content: a progress bar while it works, the backend's error. */
export function DialogProgress({
  busy,
  error,
}: {
  busy: boolean;
  error?: unknown;
}) {
  return (
    <>
      {busy && <LinearProgress />}
      {error !== undefined && (
        <Alert severity="error">{errorMessage(error)}</Alert>
      )}
    </>
  );
}

/**
 * A flag dialog's actions: why its action is not possible yet (next to it, as every disabled
 * control says why), Cancel, and the action itself.
 */
export function DialogFooter({
  blocker,
  blockerTestId,
  onCancel,
  children,
}: {
  blocker?: string;
  blockerTestId: string;
  onCancel: () => void;
  children: ReactNode;
}) {
  return (
    <DialogActions>
      {blocker && (
        <Typography
          variant="caption"
          color="textSecondary"
          data-testid={blockerTestId}
        >
          {blocker}
        </Typography>
      )}
      <Button onClick={onCancel}>Cancel</Button>
      {children}
    </DialogActions>
  );
}
