import { useState } from 'react';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { useApi } from '@backstage/core-plugin-api';
import {
  Rollback,
  RollbackLevel,
  StartRollbackRequest,
} from '@internal/plugin-delivery-common';
import { deliveryApiRef } from '../../../api';
import { useRollbackContext } from '../../../hooks/RollbackContext';
import { DialogFooter, DialogProgress } from '../../FlagsTab/shared';
import {
  flagsOn,
  LevelSituation,
  levelConsequences,
  levelLabel,
} from '../shared';

/** The backend's minimum length of a rollback's reason. */
export const MIN_REASON_LENGTH = 3;

/**
 * The confirmation of a rollback: exactly what the level will do where (environments, versions,
 * flags), the required reason, a progress bar while the request runs, and the backend's message
 * when it refuses (a 409 while another rollback runs, a 403).
 */
export function RollbackDialog({
  level,
  situation,
  onClose,
  onStarted,
}: {
  level: RollbackLevel;
  situation: LevelSituation;
  onClose: () => void;
  onStarted: (rollback: Rollback) => void;
}) {
  const api = useApi(deliveryApiRef);
  const { entityRef, permissions, refresh } = useRollbackContext();
  const { environment } = situation;
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const trimmed = reason.trim();
  const id = `rollback-${environment}-${level}`;

  let blocker: string | undefined;
  if (trimmed.length < MIN_REASON_LENGTH) {
    blocker = `A reason is required (at least ${MIN_REASON_LENGTH} characters).`;
  }

  const start = async () => {
    setBusy(true);
    setError(undefined);
    const request: StartRollbackRequest = {
      environment,
      level,
      reason: trimmed,
    };
    if (level === 1) request.flags = flagsOn(situation.health[environment]);
    try {
      const rollback = await api.startRollback(entityRef, request);
      refresh();
      onStarted(rollback);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const title = `${levelLabel(level)} in ${environment}`;
  return (
    <Dialog
      open
      onClose={busy ? undefined : onClose}
      aria-labelledby={`${id}-title`}
      fullWidth
      maxWidth="sm"
    >
      <DialogTitle id={`${id}-title`}>{title}</DialogTitle>
      <DialogContent>
        <Typography variant="subtitle2">What will happen</Typography>
        <ul data-testid="consequences">
          {levelConsequences(level, situation).map(line => (
            <li key={line}>
              <Typography variant="body2">{line}</Typography>
            </li>
          ))}
        </ul>
        {permissions.startAsOnCall && (
          <Typography variant="body2" color="textSecondary" paragraph>
            You may start it as a member of the on-call group.
          </Typography>
        )}
        <TextField
          id={`${id}-reason`}
          label="Reason"
          required
          fullWidth
          value={reason}
          onChange={e => setReason(e.target.value)}
          helperText="Said in the incident and to the people watching the service, e.g. INC-42: checkout errors at 4 %"
          inputProps={{ maxLength: 500 }}
        />
        <DialogProgress busy={busy} error={error} />
      </DialogContent>
      <DialogFooter
        blocker={blocker}
        blockerTestId="rollback-blocker"
        onCancel={onClose}
      >
        <Button
          color="secondary"
          variant="contained"
          disabled={Boolean(blocker) || busy}
          onClick={start}
        >
          Start level {level}
        </Button>
      </DialogFooter>
    </Dialog>
  );
}
