import { useMemo, useState } from 'react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { rolloutSettings, ServiceFlag } from '@internal/plugin-delivery-common';
import { useFlagsContext } from '../../../hooks/FlagsContext';
import { useFlagActions } from '../../../hooks/useFlagActions';
import { GuardedButton } from '../../DeploymentsTab/shared';
import {
  approvalNote,
  changeBlocker,
  changeOutcome,
  Outcome,
  ProblemList,
  targetingProblems,
  DialogFooter,
  DialogProgress,
  EnvironmentSelect,
} from '../shared';

const pretty = (value: unknown) => JSON.stringify(value ?? {}, null, 2);

/**
 * The targeting editor: a JsonLogic rule (with flagd's `fractional`, `sem_ver`, `starts_with`,
 * `ends_with`) and the default variant of a flag in one environment, checked as you type with
 * the backend's own rules. Save stays disabled, saying why, while the rule has a problem.
 */
export function TargetingDialog({
  flag,
  onClose,
  onDone,
}: {
  flag: ServiceFlag;
  onClose: () => void;
  /** Called with the outcome once the backend applied the change or queued it for approval. */
  onDone: (outcome: Outcome) => void;
}) {
  const { flags, permissions } = useFlagsContext();
  const { changeFlag } = useFlagActions();
  const environments = flags.value?.environments ?? [];
  const approvalRequired = flags.value?.approvalRequired ?? [];
  const settingsOf = (environment: string) =>
    flag.environments.find(e => e.environment === environment);
  const [environment, setEnvironment] = useState(
    () =>
      environments.find(e => settingsOf(e)?.targeting) ?? environments[0] ?? '',
  );
  const [text, setText] = useState(() =>
    pretty(settingsOf(environment)?.targeting),
  );
  const [defaultVariant, setDefaultVariant] = useState(
    () => settingsOf(environment)?.defaultVariant ?? flag.offVariant,
  );
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  const { targeting, problems } = useMemo(
    () => targetingProblems(flag, environment, text, defaultVariant),
    [flag, environment, text, defaultVariant],
  );
  const current = settingsOf(environment);
  const unchanged =
    current !== undefined &&
    targeting !== undefined &&
    JSON.stringify(targeting) === JSON.stringify(current.targeting ?? {}) &&
    defaultVariant === current.defaultVariant;

  let blocker = changeBlocker(flag, permissions);
  if (!blocker && problems.length > 0) {
    blocker = `The rule has ${
      problems.length === 1 ? 'a problem' : `${problems.length} problems`
    }: fix ${problems.length === 1 ? 'it' : 'them'} first.`;
  }
  if (!blocker && unchanged) blocker = 'Nothing changed yet.';

  const switchEnvironment = (next: string) => {
    setEnvironment(next);
    setText(pretty(settingsOf(next)?.targeting));
    setDefaultVariant(settingsOf(next)?.defaultVariant ?? flag.offVariant);
    setError(undefined);
  };
  const insertRollout = (percent: number) => {
    const rollout = rolloutSettings(percent, {
      on: flag.onVariant,
      off: flag.offVariant,
    });
    setText(pretty(rollout.targeting));
    setDefaultVariant(rollout.defaultVariant);
  };

  const save = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const outcome = await changeFlag(flag.key, environment, {
        action: 'targeting',
        targeting: targeting ?? {},
        defaultVariant,
        ...(reason.trim() ? { reason: reason.trim() } : {}),
      });
      onDone(changeOutcome(flag.key, environment, outcome));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const id = 'delivery-flag-targeting';
  return (
    <Dialog
      open
      onClose={onClose}
      aria-labelledby={`${id}-title`}
      maxWidth="md"
      fullWidth
    >
      <DialogTitle id={`${id}-title`}>Targeting of {flag.key}</DialogTitle>
      <DialogContent>
        <Box display="flex" style={{ gap: 16 }}>
          <EnvironmentSelect
            id={`${id}-environment`}
            value={environment}
            environments={environments}
            onChange={switchEnvironment}
          />
          <TextField
            id={`${id}-default`}
            select
            label="Default variant"
            helperText="Served when no rule matches"
            value={defaultVariant}
            onChange={e => setDefaultVariant(e.target.value)}
            SelectProps={{ native: true }}
            InputLabelProps={{ shrink: true }}
          >
            {Object.keys(flag.variants).map(v => (
              <option key={v} value={v}>
                {v}
              </option>
            ))}
          </TextField>
        </Box>
        <Box my={1}>
          <Typography variant="caption" color="textSecondary">
            Start from:{' '}
          </Typography>
          <Button size="small" onClick={() => insertRollout(10)}>
            10 % rollout
          </Button>
          <Button
            size="small"
            onClick={() =>
              setText(
                pretty({
                  if: [
                    { in: [{ var: 'email' }, ['ada@example.com']] },
                    flag.onVariant,
                    flag.offVariant,
                  ],
                }),
              )
            }
          >
            a list of users
          </Button>
          <Button size="small" onClick={() => setText('{}')}>
            no rule (default variant for everyone)
          </Button>
        </Box>
        <TextField
          id={`${id}-rule`}
          label="Rule (JsonLogic)"
          multiline
          minRows={10}
          fullWidth
          variant="outlined"
          value={text}
          onChange={e => setText(e.target.value)}
          inputProps={{
            spellCheck: false,
            style: { fontFamily: 'monospace', fontSize: 13 },
          }}
          helperText={`Variants: ${Object.keys(flag.variants).join(
            ', ',
          )}. A rule returns a variant's name; {"fractional": [["${
            flag.onVariant
          }", 10], ["${flag.offVariant}", 90]]} splits users by targeting key.`}
        />
        <Box mt={1}>
          <ProblemList problems={problems} title="Problems in this rule" />
        </Box>
        <TextField
          id={`${id}-reason`}
          label="Reason (optional)"
          fullWidth
          value={reason}
          onChange={e => setReason(e.target.value)}
          helperText="Recorded in the flag's history"
        />
        {approvalRequired.includes(environment) && (
          <Typography variant="caption" color="textSecondary" component="p">
            {approvalNote(environment)}
          </Typography>
        )}
        <DialogProgress busy={busy} error={error} />
      </DialogContent>
      <DialogFooter
        blocker={blocker}
        blockerTestId="save-blocker"
        onCancel={onClose}
      >
        <GuardedButton
          variant="contained"
          color="primary"
          disabledReason={blocker}
          busy={busy}
          onClick={save}
        >
          Save
        </GuardedButton>
      </DialogFooter>
    </Dialog>
  );
}
