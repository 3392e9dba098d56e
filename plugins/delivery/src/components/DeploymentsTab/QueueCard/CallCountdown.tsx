import Typography from '@material-ui/core/Typography';
import { useCountdown } from '../../../hooks/useCountdown';
import { formatCountdown } from '../shared';

/** Live time left for a called token to be started. */
export function CallCountdown({ expiresAt }: { expiresAt?: string }) {
  const left = useCountdown(expiresAt);
  if (left === undefined) return null;
  return (
    <Typography
      variant="caption"
      color={left > 60_000 ? 'textSecondary' : 'error'}
      component="div"
      role="timer"
    >
      {left > 0 ? `call expires in ${formatCountdown(left)}` : 'call expired'}
    </Typography>
  );
}
