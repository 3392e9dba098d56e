import { ReactNode, useState } from 'react';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import LinearProgress from '@material-ui/core/LinearProgress';
import TextField from '@material-ui/core/TextField';
import Alert from '@material-ui/lab/Alert';
import { errorMessage } from './errors';

/**
 * Asks for the required reason of an action (a queue lock, an abort), submits it, and stays
 * open with the backend's message when that fails.
 */
export function ReasonDialog({
  id,
  open,
  title,
  text,
  helperText,
  submitLabel,
  onClose,
  onSubmit,
}: {
  /** Prefix of the element ids. */
  id: string;
  open: boolean;
  title: string;
  text: ReactNode;
  helperText: string;
  submitLabel: string;
  onClose: () => void;
  onSubmit: (reason: string) => Promise<unknown>;
}) {
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const trimmed = reason.trim();

  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await onSubmit(trimmed);
      setReason('');
      onClose();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog open={open} onClose={onClose} aria-labelledby={`${id}-title`}>
      <DialogTitle id={`${id}-title`}>{title}</DialogTitle>
      <DialogContent>
        <DialogContentText>{text}</DialogContentText>
        <TextField
          id={`${id}-reason`}
          label="Reason"
          required
          fullWidth
          value={reason}
          onChange={e => setReason(e.target.value)}
          helperText={helperText}
        />
        {busy && <LinearProgress />}
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
          {submitLabel}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
