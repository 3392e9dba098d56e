import Chip from '@material-ui/core/Chip';
import { makeStyles } from '@material-ui/core/styles';

const useStyles = makeStyles(theme => ({
  critical: {
    backgroundColor: theme.palette.error.main,
    color: theme.palette.error.contrastText,
  },
  warning: {
    backgroundColor: theme.palette.warning.main,
    color: theme.palette.warning.contrastText,
  },
  info: {
    backgroundColor: theme.palette.info.main,
    color: theme.palette.info.contrastText,
  },
}));

/** The severity of a decision or incident, as the alerting strategy has it: red, orange, blue. */
export function SeverityChip({
  severity,
}: {
  severity: 'critical' | 'warning' | 'info';
}) {
  const classes = useStyles();
  return (
    <Chip
      size="small"
      label={severity}
      className={classes[severity]}
      data-testid="severity"
    />
  );
}
