import { useState } from 'react';
import Dialog from '@material-ui/core/Dialog';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import TextField from '@material-ui/core/TextField';
import { EphemeralEnvironment } from '@internal/plugin-delivery-common';
import { useEphemeralContext } from '../../../hooks/EphemeralContext';
import { useEphemeralActions } from '../../../hooks/useEphemeralActions';
import { GuardedButton } from '../../DeploymentsTab/shared';
import { DialogFooter, DialogProgress } from '../../FlagsTab/shared';
import {
  branchProblem,
  createBlocker,
  formatMinutes,
  isDeleted,
  lifetimeChoices,
} from '../shared';

/**
 * Creates the environment of a `deploy/*` branch, as pushing it would: the branch (checked as
 * you type with the API's and Git's rules) and a lifetime from the default up to the maximum.
 * The backend's refusal (a 409 for a branch that has one, a 422) stays in the dialog.
 */
export function CreateEnvironmentDialog({
  open,
  onClose,
  onCreated,
}: {
  open: boolean;
  onClose: () => void;
  onCreated: (env: EphemeralEnvironment) => void;
}) {
  const { environments, permissions } = useEphemeralContext();
  const { create } = useEphemeralActions();
  const settings = environments.value?.settings;
  const prefix = settings?.branchPrefix ?? 'deploy/';
  const [branch, setBranch] = useState(prefix);
  const [ttl, setTtl] = useState<number>();
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  const trimmed = branch.trim();
  const problem = branchProblem(trimmed, prefix);
  const existing = environments.value?.items.find(
    e => !isDeleted(e) && e.branch === trimmed,
  );
  const lifetime = ttl ?? settings?.ttlMinutes;

  let blocker = createBlocker(settings, permissions);
  if (!blocker && problem) blocker = problem;
  if (!blocker && existing) {
    blocker = `${trimmed} already has an environment: push the branch to update it.`;
  }

  const close = () => {
    setBranch(prefix);
    setTtl(undefined);
    setTouched(false);
    setError(undefined);
    onClose();
  };
  const submit = async () => {
    if (!settings) return;
    setBusy(true);
    setError(undefined);
    try {
      const env = await create({
        branch: trimmed,
        ...(lifetime !== undefined && lifetime !== settings.ttlMinutes
          ? { ttlMinutes: lifetime }
          : {}),
      });
      setBranch(prefix);
      setTtl(undefined);
      setTouched(false);
      onCreated(env);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const id = 'delivery-new-environment';
  const shownProblem = touched ? problem : undefined;
  return (
    <Dialog
      open={open}
      onClose={close}
      aria-labelledby={`${id}-title`}
      maxWidth="sm"
      fullWidth
    >
      <DialogTitle id={`${id}-title`}>Create from branch</DialogTitle>
      <DialogContent>
        {settings && (
          <DialogContentText>
            The same as pushing the branch: it is built and deployed to a
            namespace of its own
            {settings.cluster ? ` on ${settings.cluster}` : ''}, starting with
            the workload and flags of {settings.copyFrom}. The sweep deletes it
            once its lifetime is over.
          </DialogContentText>
        )}
        <TextField
          id={`${id}-branch`}
          label="Branch"
          required
          fullWidth
          margin="dense"
          value={branch}
          error={Boolean(shownProblem)}
          onChange={e => {
            setTouched(true);
            setBranch(e.target.value);
          }}
          inputProps={{ spellCheck: false, style: { fontFamily: 'monospace' } }}
          helperText={
            shownProblem ??
            `An existing branch of the service's repository, starting with ${prefix}`
          }
        />
        {settings && (
          <TextField
            id={`${id}-lifetime`}
            select
            label="Lifetime"
            margin="dense"
            value={String(lifetime)}
            onChange={e => setTtl(Number(e.target.value))}
            SelectProps={{ native: true }}
            InputLabelProps={{ shrink: true }}
            helperText={`Extend it later, up to ${formatMinutes(
              settings.maxLifetimeMinutes,
            )} from its creation`}
          >
            {lifetimeChoices(settings).map(minutes => (
              <option key={minutes} value={minutes}>
                {formatMinutes(minutes)}
                {minutes === settings.ttlMinutes ? ' (default)' : ''}
              </option>
            ))}
          </TextField>
        )}
        <DialogProgress busy={busy} error={error} />
      </DialogContent>
      <DialogFooter
        blocker={blocker === shownProblem ? undefined : blocker}
        blockerTestId="create-environment-blocker"
        onCancel={close}
      >
        <GuardedButton
          variant="contained"
          color="primary"
          disabledReason={blocker}
          busy={busy}
          onClick={submit}
        >
          Create
        </GuardedButton>
      </DialogFooter>
    </Dialog>
  );
}
