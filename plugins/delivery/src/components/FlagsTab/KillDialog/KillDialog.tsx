import { useState } from 'react';
import Dialog from '@material-ui/core/Dialog';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { ServiceFlag } from '@internal/plugin-delivery-common';
import { useFlagsContext } from '../../../hooks/FlagsContext';
import { useFlagActions } from '../../../hooks/useFlagActions';
import {
  DangerButton,
  killBlocker,
  Outcome,
  DialogFooter,
  DialogProgress,
  EnvironmentSelect,
} from '../shared';

const ALL = '';

/** The backend's minimum for a kill reason (`KillFlagRequest.reason`). */
export const KILL_REASON_MIN = 3;

/**
 * The kill switch: turns a flag off at once in one environment or all of them, never waiting
 * for approval and superseding pending changes. A reason is required; it goes into the
 * history and the audit log.
 */
export function KillDialog({
  flag,
  onClose,
  onDone,
}: {
  flag: ServiceFlag;
  onClose: () => void;
  onDone: (outcome: Outcome) => void;
}) {
  const { flags, permissions } = useFlagsContext();
  const { killFlag } = useFlagActions();
  const environments = flags.value?.environments ?? [];
  const [environment, setEnvironment] = useState(ALL);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const trimmed = reason.trim();

  let blocker = killBlocker(flag, permissions);
  if (!blocker && trimmed.length < KILL_REASON_MIN) {
    blocker = 'A reason is required (at least 3 characters).';
  }

  const isOn = (name: string) =>
    flag.environments.find(e => e.environment === name)?.on ?? false;
  const where = environment === ALL ? 'every environment' : environment;

  const kill = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await killFlag(flag.key, {
        ...(environment === ALL ? {} : { environment }),
        reason: trimmed,
      });
      onDone({
        severity: 'success',
        title: `Killed ${flag.key} in ${where}`,
        message: `It serves “${flag.offVariant}” there now; pending changes were superseded.`,
      });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const id = 'delivery-flag-kill';
  return (
    <Dialog open onClose={onClose} aria-labelledby={`${id}-title`}>
      <DialogTitle id={`${id}-title`}>Kill {flag.key}</DialogTitle>
      <DialogContent>
        <DialogContentText>
          Turns {flag.key} off at once — everyone gets “{flag.offVariant}” —
          without waiting for approval, and supersedes changes waiting for it.
        </DialogContentText>
        {permissions.killAsOnCall && (
          <Typography variant="caption" color="textSecondary" component="p">
            You may kill it as a member of the on-call group.
          </Typography>
        )}
        <EnvironmentSelect
          id={`${id}-environment`}
          label="Where"
          fullWidth
          margin="normal"
          value={environment}
          environments={environments}
          onChange={setEnvironment}
          describe={e => (isOn(e) ? ' (on)' : ' (off)')}
        >
          <option value={ALL}>All environments</option>
        </EnvironmentSelect>
        <TextField
          id={`${id}-reason`}
          label="Reason"
          required
          fullWidth
          value={reason}
          onChange={e => setReason(e.target.value)}
          helperText="E.g. “INC-42: checkout errors at 4 %”. Recorded in the history and the audit log."
        />
        <DialogProgress busy={busy} error={error} />
      </DialogContent>
      <DialogFooter
        blocker={blocker}
        blockerTestId="kill-blocker"
        onCancel={onClose}
      >
        <DangerButton
          variant="contained"
          disabledReason={blocker}
          busy={busy}
          onClick={kill}
        >
          Kill in {where}
        </DangerButton>
      </DialogFooter>
    </Dialog>
  );
}
