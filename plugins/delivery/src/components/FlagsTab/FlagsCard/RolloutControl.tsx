import { useState } from 'react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import ButtonGroup from '@material-ui/core/ButtonGroup';
import Popover from '@material-ui/core/Popover';
import Slider from '@material-ui/core/Slider';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import {
  FlagEnvironmentSettings,
  ServiceFlag,
} from '@internal/plugin-delivery-common';
import { GuardedButton } from '../../DeploymentsTab/shared';
import { approvalNote } from '../shared';

/** The quick steps of a gradual rollout. */
export const ROLLOUT_STEPS = [0, 10, 50, 100];

/** The percentage a flag stands at in an environment, when it is a plain percentage or off. */
export function currentPercent(
  settings: FlagEnvironmentSettings,
): number | undefined {
  if (settings.rolloutPercent !== undefined) return settings.rolloutPercent;
  return settings.on ? undefined : 0;
}

function RolloutEditor({
  flag,
  settings,
  approvalRequired,
  onApply,
}: {
  flag: ServiceFlag;
  settings: FlagEnvironmentSettings;
  approvalRequired: boolean;
  onApply: (percent: number) => void;
}) {
  const current = currentPercent(settings);
  const [text, setText] = useState(String(current ?? 0));
  const percent = Number(text);
  const valid =
    text.trim() !== '' &&
    Number.isInteger(percent) &&
    percent >= 0 &&
    percent <= 100;
  let blocker: string | undefined;
  if (!valid) blocker = 'A rollout is a whole percentage from 0 to 100.';
  else if (percent === current) blocker = `Already at ${percent} %.`;
  const id = `rollout-${flag.key}-${settings.environment}`;
  return (
    <Box p={2} width={400}>
      <Typography variant="subtitle2" id={`${id}-title`}>
        Roll out {flag.key} in {settings.environment}
      </Typography>
      <Typography variant="caption" color="textSecondary" component="p">
        Share of users getting “{flag.onVariant}”, split by targeting key: a
        user keeps their variant as the share grows.
        {current === undefined && ' This replaces the current targeting rule.'}
      </Typography>
      <Box px={1} mt={1}>
        <Slider
          aria-labelledby={`${id}-title`}
          value={valid ? percent : 0}
          min={0}
          max={100}
          step={1}
          marks={ROLLOUT_STEPS.map(value => ({ value, label: `${value} %` }))}
          valueLabelDisplay="auto"
          onChange={(_e, value) => setText(String(value))}
        />
      </Box>
      <Box display="flex" alignItems="flex-end" mt={1} style={{ gap: 8 }}>
        <ButtonGroup size="small" aria-label="Rollout steps">
          {ROLLOUT_STEPS.map(step => (
            <Button key={step} onClick={() => setText(String(step))}>
              {step} %
            </Button>
          ))}
        </ButtonGroup>
        <TextField
          id={`${id}-percent`}
          label="Percent"
          type="number"
          size="small"
          style={{ width: 80 }}
          value={text}
          error={!valid}
          inputProps={{ min: 0, max: 100, step: 1 }}
          onChange={e => setText(e.target.value)}
        />
      </Box>
      {approvalRequired && valid && percent > 0 && (
        <Typography variant="caption" color="textSecondary" component="p">
          {approvalNote(settings.environment)}
        </Typography>
      )}
      <Box mt={1} display="flex" alignItems="center">
        <GuardedButton
          variant="contained"
          color="primary"
          disabledReason={blocker}
          onClick={() => onApply(percent)}
        >
          {valid ? `Roll out to ${percent} %` : 'Roll out'}
        </GuardedButton>
        {blocker && (
          <Box ml={1}>
            <Typography variant="caption" color="textSecondary">
              {blocker}
            </Typography>
          </Box>
        )}
      </Box>
    </Box>
  );
}

/**
 * The rollout percentage of a flag in one environment: a button showing it, opening a slider
 * with the steps 0, 10, 50 and 100 % and a field for any whole percentage.
 */
export function RolloutControl({
  flag,
  settings,
  approvalRequired,
  disabledReason,
  busy,
  onApply,
}: {
  flag: ServiceFlag;
  settings: FlagEnvironmentSettings;
  approvalRequired: boolean;
  disabledReason?: string;
  busy: boolean;
  onApply: (percent: number) => void;
}) {
  const [anchor, setAnchor] = useState<HTMLElement | null>(null);
  return (
    <>
      <GuardedButton
        variant="text"
        aria-label={`Rollout of ${flag.key} in ${settings.environment}`}
        disabledReason={disabledReason}
        busy={busy}
        onClick={e => setAnchor(e.currentTarget)}
      >
        Rollout…
      </GuardedButton>
      <Popover
        open={anchor !== null}
        anchorEl={anchor}
        onClose={() => setAnchor(null)}
        anchorOrigin={{ vertical: 'bottom', horizontal: 'left' }}
      >
        {anchor && (
          <RolloutEditor
            flag={flag}
            settings={settings}
            approvalRequired={approvalRequired}
            onApply={percent => {
              setAnchor(null);
              onApply(percent);
            }}
          />
        )}
      </Popover>
    </>
  );
}
