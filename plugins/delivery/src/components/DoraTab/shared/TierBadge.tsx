import Chip from '@material-ui/core/Chip';
import Tooltip from '@material-ui/core/Tooltip';
import { makeStyles } from '@material-ui/core/styles';
import { DoraTier } from '@internal/plugin-delivery-common';

const useStyles = makeStyles(theme => ({
  badge: { fontWeight: 600, textTransform: 'capitalize' },
  elite: {
    backgroundColor: theme.palette.success.dark,
    color: theme.palette.success.contrastText,
  },
  high: {
    backgroundColor: theme.palette.success.main,
    color: theme.palette.success.contrastText,
  },
  medium: {
    backgroundColor: theme.palette.warning.main,
    color: theme.palette.warning.contrastText,
  },
  low: {
    backgroundColor: theme.palette.error.main,
    color: theme.palette.error.contrastText,
  },
}));

const MEANING: Record<DoraTier, string> = {
  elite: 'Elite: the best of DORA’s four performance levels',
  high: 'High: the second of DORA’s four performance levels',
  medium: 'Medium: the third of DORA’s four performance levels',
  low: 'Low: the last of DORA’s four performance levels',
};

/** A metric's DORA tier as a coloured badge: elite dark green, high green, medium amber, low red. */
export function TierBadge({ tier }: { tier: DoraTier }) {
  const classes = useStyles();
  return (
    <Tooltip title={MEANING[tier]}>
      <Chip
        size="small"
        label={tier}
        className={`${classes.badge} ${classes[tier]}`}
        data-testid="tier"
        data-tier={tier}
      />
    </Tooltip>
  );
}
