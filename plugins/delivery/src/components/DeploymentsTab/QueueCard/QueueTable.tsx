import Button from '@material-ui/core/Button';
import Link from '@material-ui/core/Link';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import { useDeliveryContext } from '../../../hooks/DeliveryContext';
import { CallCountdown } from './CallCountdown';
import { DeploymentStatusLabel } from '../Deployment';
import { formatUser, shortSha } from '../shared';

/**
 * The queue in backend order (running first) with Start and Cancel on the user's own tokens,
 * and Abort (with a reason) on others' for the service's owners and on-call.
 */
export function QueueTable({
  busy,
  onOpen,
  onStart,
  onCancel,
  onAbort,
}: {
  busy: boolean;
  onOpen: (token: string) => void;
  onStart: (token: string) => void;
  onCancel: (token: string) => void;
  onAbort: (token: string) => void;
}) {
  const { deployments, user, permissions } = useDeliveryContext();
  const queue = deployments.value?.queue ?? [];
  return (
    <Table size="small" aria-label="Deployment queue">
      <TableHead>
        <TableRow>
          <TableCell>Position</TableCell>
          <TableCell>Token</TableCell>
          <TableCell>Commit</TableCell>
          <TableCell>Requester</TableCell>
          <TableCell>Status</TableCell>
          <TableCell align="right">Actions</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {queue.map(d => {
          const mine = user !== undefined && d.requestedBy === user;
          return (
            <TableRow key={d.token}>
              <TableCell>{d.queuePosition ?? '—'}</TableCell>
              <TableCell>
                <Link
                  component="button"
                  variant="body2"
                  onClick={() => onOpen(d.token)}
                  aria-label={`Show ${d.token}`}
                >
                  {d.token}
                </Link>
              </TableCell>
              <TableCell style={{ fontFamily: 'monospace' }}>
                {shortSha(d.commitSha)}
              </TableCell>
              <TableCell title={d.requestedBy}>
                {formatUser(d.requestedBy)}
              </TableCell>
              <TableCell>
                <DeploymentStatusLabel status={d.status} />
                {d.status === 'called' && (
                  <CallCountdown expiresAt={d.callExpiresAt} />
                )}
              </TableCell>
              <TableCell align="right">
                {d.status === 'called' && mine && (
                  <Button
                    size="small"
                    variant="contained"
                    color="primary"
                    disabled={busy}
                    aria-label={`Start ${d.token}`}
                    onClick={() => onStart(d.token)}
                  >
                    Start
                  </Button>
                )}
                {mine && (
                  <Button
                    size="small"
                    disabled={busy}
                    aria-label={`Cancel ${d.token}`}
                    onClick={() => onCancel(d.token)}
                  >
                    Cancel
                  </Button>
                )}
                {!mine && permissions.abort && (
                  <Button
                    size="small"
                    disabled={busy}
                    aria-label={`Abort ${d.token}`}
                    title={`Stop ${formatUser(
                      d.requestedBy,
                    )}'s deployment; they are told your reason`}
                    onClick={() => onAbort(d.token)}
                  >
                    Abort
                  </Button>
                )}
              </TableCell>
            </TableRow>
          );
        })}
      </TableBody>
    </Table>
  );
}
