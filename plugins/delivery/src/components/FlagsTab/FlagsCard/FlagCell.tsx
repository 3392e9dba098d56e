import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import CircularProgress from '@material-ui/core/CircularProgress';
import Switch from '@material-ui/core/Switch';
import Tooltip from '@material-ui/core/Tooltip';
import {
  FlagChange,
  FlagEnvironmentSettings,
  ServiceFlag,
} from '@internal/plugin-delivery-common';
import { formatAge, formatUser } from '../../DeploymentsTab/shared';
import { approvalNote, describeSettings } from '../shared';
import { RolloutControl } from './RolloutControl';

const STATE_COLORS = {
  off: 'default',
  unserved: 'default',
  on: 'primary',
  percentage: 'primary',
  targeting: 'secondary',
} as const;

/**
 * A flag in one environment: what it serves (off, on, a percentage, a targeting rule), a
 * toggle, the rollout percentage, and a badge while a change waits for approval. Disabled
 * controls say why in a tooltip.
 */
export function FlagCell({
  flag,
  settings,
  approvalRequired,
  pending,
  disabledReason,
  busy,
  onToggle,
  onRollout,
}: {
  flag: ServiceFlag;
  settings: FlagEnvironmentSettings;
  approvalRequired: boolean;
  pending: FlagChange[];
  disabledReason?: string;
  busy: boolean;
  onToggle: (enabled: boolean) => void;
  onRollout: (percent: number) => void;
}) {
  const { environment } = settings;
  const state = describeSettings(settings, flag);
  const label = `${flag.key} in ${environment}`;
  let toggleTip: string = disabledReason ?? '';
  if (!disabledReason) {
    toggleTip =
      settings.on || !approvalRequired
        ? `Turn ${label} ${settings.on ? 'off' : 'on'}`
        : `Turn ${label} on. ${approvalNote(environment)}`;
  }
  return (
    <Box display="flex" flexDirection="column" alignItems="flex-start">
      <Box display="flex" alignItems="center">
        <Tooltip
          title={`${state.label} since ${formatAge(
            settings.updatedAt,
          )}, by ${formatUser(settings.updatedBy)}`}
        >
          <Chip
            size="small"
            label={state.label}
            color={STATE_COLORS[state.kind]}
            variant={state.kind === 'off' ? 'outlined' : 'default'}
            data-testid={`state-${flag.key}-${environment}`}
          />
        </Tooltip>
        <Tooltip title={toggleTip}>
          <span>
            <Switch
              size="small"
              color="primary"
              checked={settings.on}
              disabled={Boolean(disabledReason) || busy}
              inputProps={{ 'aria-label': `Toggle ${label}` }}
              onChange={e => onToggle(e.target.checked)}
            />
          </span>
        </Tooltip>
        {busy && (
          <CircularProgress size={16} aria-label={`Changing ${label}`} />
        )}
      </Box>
      <RolloutControl
        flag={flag}
        settings={settings}
        approvalRequired={approvalRequired}
        disabledReason={disabledReason}
        busy={busy}
        onApply={onRollout}
      />
      {pending.map(change => (
        <Tooltip
          key={change.id}
          title={`${change.summary}, requested by ${formatUser(
            change.requestedBy,
          )} ${formatAge(change.requestedAt)}`}
        >
          <Chip
            size="small"
            variant="outlined"
            label="pending approval"
            aria-label={`Pending approval: ${change.summary}`}
          />
        </Tooltip>
      ))}
    </Box>
  );
}
