import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { DoraMetric } from '@internal/plugin-delivery-common';
import { formatTarget } from './format';

const useStyles = makeStyles(theme => ({
  met: { color: theme.palette.success.dark },
  missed: { color: theme.palette.error.main },
  open: { color: theme.palette.text.secondary },
}));

/**
 * Our process's target for a metric: `✓ Target < 2 h` in green when met, `✗ Target < 2 h` in
 * red when missed, plain grey without a verdict (no value, or a target that does not apply to
 * this scope), with the backend's note (why it does not apply, or how it is scaled to the scope).
 */
export function TargetLine({
  metric,
  perTeam,
  showNote = true,
}: {
  metric: DoraMetric;
  perTeam?: boolean;
  showNote?: boolean;
}) {
  const classes = useStyles();
  const { target } = metric;
  if (!target) return null;
  const text = formatTarget(metric.unit, target, { perTeam });
  let verdict = '';
  let className = classes.open;
  let label = `Target ${text}`;
  if (target.met !== undefined) {
    verdict = target.met ? '✓ ' : '✗ ';
    className = target.met ? classes.met : classes.missed;
    label = `Target ${text} ${target.met ? 'met' : 'missed'}`;
  }
  return (
    <div data-testid="target" data-met={String(target.met ?? 'n/a')}>
      <Typography
        variant="body2"
        component="span"
        className={className}
        title={label}
      >
        {verdict}Target {text}
      </Typography>
      {showNote && target.note && (
        <Typography
          variant="caption"
          color="textSecondary"
          component="div"
          data-testid="target-note"
        >
          {target.note}
        </Typography>
      )}
    </div>
  );
}
