import Box from '@material-ui/core/Box';
import LinearProgress from '@material-ui/core/LinearProgress';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { EphemeralQuotaUse } from '@internal/plugin-delivery-common';

const useStyles = makeStyles(theme => ({
  bar: { height: 6, borderRadius: 3 },
  warning: { backgroundColor: theme.palette.warning.main },
  full: { backgroundColor: theme.palette.error.main },
}));

/** Share of a quota used from which its bar turns warning-coloured, then red. */
const WARN_RATIO = 0.75;
const FULL_RATIO = 0.9;

function barClass(
  ratio: number,
  classes: ReturnType<typeof useStyles>,
): string | undefined {
  if (ratio >= FULL_RATIO) return classes.full;
  if (ratio >= WARN_RATIO) return classes.warning;
  return undefined;
}

/**
 * The namespace's quota use, one small bar per resource with `used / hard`. A resource whose
 * quantities the backend could not compare (no `ratio`) shows its numbers only.
 */
export function QuotaBars({
  quota,
  label,
}: {
  quota: EphemeralQuotaUse[];
  /** Names the group for screen readers, e.g. the branch's resource use. */
  label: string;
}) {
  const classes = useStyles();
  if (quota.length === 0) {
    return (
      <Typography
        variant="caption"
        color="textSecondary"
        title="The namespace's quota could not be read (or it does not exist yet)"
      >
        —
      </Typography>
    );
  }
  return (
    <Box role="group" aria-label={label} minWidth={150}>
      {quota.map(q => (
        <Box key={q.resource} mb={0.5}>
          <Box display="flex" justifyContent="space-between" style={{ gap: 8 }}>
            <Typography
              variant="caption"
              color="textSecondary"
              style={{ whiteSpace: 'nowrap' }}
            >
              {q.resource}
            </Typography>
            <Typography variant="caption" style={{ whiteSpace: 'nowrap' }}>
              {q.used} / {q.hard}
            </Typography>
          </Box>
          {q.ratio !== undefined && (
            <LinearProgress
              variant="determinate"
              value={Math.min(100, Math.max(0, q.ratio * 100))}
              aria-label={`${q.resource}: ${q.used} of ${q.hard}`}
              className={classes.bar}
              classes={{ barColorPrimary: barClass(q.ratio, classes) }}
            />
          )}
        </Box>
      ))}
    </Box>
  );
}
