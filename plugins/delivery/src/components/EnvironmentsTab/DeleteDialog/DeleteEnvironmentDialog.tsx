import { useState } from 'react';
import Dialog from '@material-ui/core/Dialog';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import { EphemeralEnvironment } from '@internal/plugin-delivery-common';
import { useEphemeralActions } from '../../../hooks/useEphemeralActions';
import {
  DangerButton,
  DialogFooter,
  DialogProgress,
} from '../../FlagsTab/shared';

/**
 * Asks before an environment is deleted, naming its namespace and cluster, and deletes it;
 * the backend's refusal stays in the dialog.
 */
export function DeleteEnvironmentDialog({
  env,
  onClose,
  onDeleted,
}: {
  env: EphemeralEnvironment;
  onClose: () => void;
  onDeleted: (env: EphemeralEnvironment) => void;
}) {
  const { remove } = useEphemeralActions();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      onDeleted(await remove(env.id));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const id = 'delivery-delete-environment';
  return (
    <Dialog open onClose={onClose} aria-labelledby={`${id}-title`}>
      <DialogTitle id={`${id}-title`}>Delete {env.branch}?</DialogTitle>
      <DialogContent>
        <DialogContentText>
          This deletes the namespace <code>{env.namespace}</code> on{' '}
          <code>{env.cluster}</code> now, with everything running in it
          {env.status === 'creating' || env.status === 'updating'
            ? ', and stops its creation'
            : ''}
          . The branch stays: push it again to get a new environment.
        </DialogContentText>
        <DialogProgress busy={busy} error={error} />
      </DialogContent>
      <DialogFooter
        blockerTestId="delete-environment-blocker"
        onCancel={onClose}
      >
        <DangerButton variant="contained" busy={busy} onClick={submit}>
          Delete namespace
        </DangerButton>
      </DialogFooter>
    </Dialog>
  );
}
