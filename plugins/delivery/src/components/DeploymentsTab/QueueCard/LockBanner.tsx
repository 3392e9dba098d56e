import Alert from '@material-ui/lab/Alert';
import AlertTitle from '@material-ui/lab/AlertTitle';
import { QueueLock } from '@internal/plugin-delivery-common';
import { formatTime, formatUser } from '../shared';

/** Who locked the queue, when and why. */
export function LockBanner({ lock }: { lock: QueueLock }) {
  return (
    <Alert severity="warning" aria-label="Queue locked">
      <AlertTitle>
        Queue locked by {formatUser(lock.lockedBy)} since{' '}
        {formatTime(lock.lockedAt)}
      </AlertTitle>
      {lock.reason}
    </Alert>
  );
}
