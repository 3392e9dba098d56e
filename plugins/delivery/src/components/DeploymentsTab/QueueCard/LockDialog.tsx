import { useState } from 'react';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import TextField from '@material-ui/core/TextField';
import Alert from '@material-ui/lab/Alert';
import { errorMessage } from '../shared';

/** Asks for the (required) reason of a queue lock and submits it. */
export function LockDialog({
  open,
  onClose,
  onLock,
}: {
  open: boolean;
  onClose: () => void;
  onLock: (reason: string) => Promise<unknown>;
}) {
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const trimmed = reason.trim();

  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await onLock(trimmed);
      setReason('');
      onClose();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog open={open} onClose={onClose} aria-labelledby="delivery-lock-title">
      <DialogTitle id="delivery-lock-title">
        Lock the deployment queue
      </DialogTitle>
      <DialogContent>
        <DialogContentText>
          No deployment is called while the queue is locked; a running one
          continues.
        </DialogContentText>
        <TextField
          id="delivery-lock-reason"
          label="Reason"
          required
          fullWidth
          value={reason}
          onChange={e => setReason(e.target.value)}
          helperText="Shown to everyone who opens the queue."
        />
        {error !== undefined && (
          <Alert severity="error">{errorMessage(error)}</Alert>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Button
          color="primary"
          variant="contained"
          disabled={!trimmed || busy}
          onClick={submit}
        >
          Lock
        </Button>
      </DialogActions>
    </Dialog>
  );
}
