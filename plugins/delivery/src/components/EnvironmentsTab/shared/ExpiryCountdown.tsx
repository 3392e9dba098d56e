import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { EphemeralEnvironment } from '@internal/plugin-delivery-common';
import { useCountdown } from '../../../hooks/useCountdown';
import { formatCountdown, formatTime } from '../../DeploymentsTab/shared';
import { expiryTone, formatMinutes } from './rules';

const useStyles = makeStyles(theme => ({
  ok: { color: theme.palette.text.primary, whiteSpace: 'nowrap' },
  warning: {
    color: theme.palette.warning.main,
    fontWeight: 600,
    whiteSpace: 'nowrap',
  },
  error: { color: theme.palette.error.main, fontWeight: 600 },
}));

/**
 * An environment's time left, ticking every second: warning-coloured under an hour, error under
 * 15 minutes, and what happens once it has passed; `persistent` for one the sweep leaves.
 */
export function ExpiryCountdown({
  env,
  sweepIntervalMinutes,
}: {
  env: Pick<EphemeralEnvironment, 'expiresAt' | 'persistent' | 'branch'>;
  sweepIntervalMinutes: number;
}) {
  const classes = useStyles();
  const left = useCountdown(env.persistent ? undefined : env.expiresAt);
  if (env.persistent) {
    return (
      <Tooltip title="An admin made it persistent: the sweep leaves it, and it does not expire.">
        <Typography variant="body2" data-testid={`expiry-${env.branch}`}>
          persistent
        </Typography>
      </Tooltip>
    );
  }
  if (left === undefined) return <>—</>;
  const tone = expiryTone(left);
  return (
    <Tooltip title={`Expires ${formatTime(env.expiresAt)}`}>
      <Typography
        variant="body2"
        role="timer"
        aria-label={`Time left for ${env.branch}`}
        className={classes[tone]}
        data-tone={tone}
        data-testid={`expiry-${env.branch}`}
      >
        {left > 0
          ? `${formatCountdown(left)} left`
          : `expired: deleted at the next sweep (every ${formatMinutes(
              sweepIntervalMinutes,
            )})`}
      </Typography>
    </Tooltip>
  );
}
