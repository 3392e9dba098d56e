import { useState } from 'react';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { SweepResponse } from '@internal/plugin-delivery-common';
import { useEphemeralActions } from '../../../hooks/useEphemeralActions';
import { formatDuration } from '../../DeploymentsTab/shared';
import { DialogProgress } from '../../FlagsTab/shared';
import { formatMinutes } from '../shared';

function SweepResult({ result }: { result: SweepResponse }) {
  return (
    <div aria-label="Sweep result" role="region">
      <Alert severity={result.failed.length > 0 ? 'warning' : 'success'}>
        Swept in {formatDuration(result.durationMs)}:{' '}
        {result.deleted.length === 1
          ? '1 namespace deleted'
          : `${result.deleted.length} namespaces deleted`}
        {result.failed.length > 0 &&
          `, ${result.failed.length} could not be deleted (the next sweep tries again)`}
        .
      </Alert>
      {result.deleted.length > 0 && (
        <>
          <Typography variant="subtitle2">Deleted</Typography>
          <ul>
            {result.deleted.map(ns => (
              <li key={ns}>
                <code>{ns}</code>
              </li>
            ))}
          </ul>
        </>
      )}
      {result.failed.length > 0 && (
        <>
          <Typography variant="subtitle2">Not deleted</Typography>
          <ul>
            {result.failed.map(f => (
              <li key={f.namespace}>
                <code>{f.namespace}</code>: {f.reason}
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

/**
 * The admins' Sweep now: says what the sweep deletes (for every service, not only this one),
 * runs it and shows what it did.
 */
export function SweepDialog({
  open,
  sweepIntervalMinutes,
  onClose,
}: {
  open: boolean;
  sweepIntervalMinutes?: number;
  onClose: () => void;
}) {
  const { sweep } = useEphemeralActions();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [result, setResult] = useState<SweepResponse>();
  const close = () => {
    setError(undefined);
    setResult(undefined);
    onClose();
  };
  const run = async () => {
    setBusy(true);
    setError(undefined);
    try {
      setResult(await sweep());
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const id = 'delivery-sweep';
  return (
    <Dialog open={open} onClose={close} aria-labelledby={`${id}-title`}>
      <DialogTitle id={`${id}-title`}>Sweep now</DialogTitle>
      <DialogContent>
        <DialogContentText>
          The sweep deletes the namespaces of every service’s expired
          environments (persistent ones stay) and labelled namespaces no live
          environment owns.
          {sweepIntervalMinutes
            ? ` It also runs on its own every ${formatMinutes(
                sweepIntervalMinutes,
              )}.`
            : ''}
        </DialogContentText>
        {result && <SweepResult result={result} />}
        <DialogProgress busy={busy} error={error} />
      </DialogContent>
      <DialogActions>
        <Button onClick={close}>{result ? 'Close' : 'Cancel'}</Button>
        {!result && (
          <Button
            color="primary"
            variant="contained"
            disabled={busy}
            onClick={run}
          >
            Run the sweep
          </Button>
        )}
      </DialogActions>
    </Dialog>
  );
}
