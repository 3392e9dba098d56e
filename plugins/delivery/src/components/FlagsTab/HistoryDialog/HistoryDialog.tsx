import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import { Progress, ResponseErrorPanel } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import {
  FlagHistoryEntry,
  ServiceFlag,
} from '@internal/plugin-delivery-common';
import useAsync from 'react-use/esm/useAsync';
import { deliveryApiRef } from '../../../api';
import { useFlagsContext } from '../../../hooks/FlagsContext';
import { formatTime, formatUser } from '../../DeploymentsTab/shared';
import { summarizeRecorded } from '../shared';

/** Newest first, whatever order they came in (ISO timestamps sort as text). */
export function newestFirst(entries: FlagHistoryEntry[]): FlagHistoryEntry[] {
  return [...entries].sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
}

function Recorded({ value }: { value?: { [key: string]: unknown } }) {
  const text = summarizeRecorded(value);
  if (!value) return <>{text}</>;
  return (
    <Tooltip title={<pre>{JSON.stringify(value, null, 2)}</pre>}>
      <span>{text}</span>
    </Tooltip>
  );
}

/** Every recorded change of a flag: who, when, where, what, before → after, why. */
export function HistoryDialog({
  flag,
  onClose,
}: {
  flag: ServiceFlag;
  onClose: () => void;
}) {
  const api = useApi(deliveryApiRef);
  const { entityRef } = useFlagsContext();
  const history = useAsync(
    () => api.getFlagHistory(entityRef, flag.key),
    [api, entityRef, flag.key],
  );
  const id = 'delivery-flag-history';
  return (
    <Dialog
      open
      onClose={onClose}
      aria-labelledby={`${id}-title`}
      maxWidth="lg"
      fullWidth
    >
      <DialogTitle id={`${id}-title`}>History of {flag.key}</DialogTitle>
      <DialogContent>
        {history.loading && <Progress />}
        {history.error && (
          <ResponseErrorPanel
            error={history.error}
            title="Could not read the history"
          />
        )}
        {history.value && history.value.length === 0 && (
          <Typography variant="body2" color="textSecondary">
            Nothing recorded yet.
          </Typography>
        )}
        {history.value && history.value.length > 0 && (
          <Table size="small" aria-label={`History of ${flag.key}`}>
            <TableHead>
              <TableRow>
                <TableCell>When</TableCell>
                <TableCell>Who</TableCell>
                <TableCell>Environment</TableCell>
                <TableCell>Action</TableCell>
                <TableCell>Before → after</TableCell>
                <TableCell>Reason</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {newestFirst(history.value).map(entry => (
                <TableRow key={entry.id}>
                  <TableCell>{formatTime(entry.at)}</TableCell>
                  <TableCell title={entry.actor}>
                    {formatUser(entry.actor)}
                  </TableCell>
                  <TableCell>{entry.environment ?? 'all'}</TableCell>
                  <TableCell>
                    {entry.action}
                    {entry.deployment && (
                      <Typography
                        variant="caption"
                        color="textSecondary"
                        component="div"
                      >
                        by {entry.deployment}
                      </Typography>
                    )}
                  </TableCell>
                  <TableCell>
                    <Recorded value={entry.before} /> →{' '}
                    <Recorded value={entry.after} />
                  </TableCell>
                  <TableCell>{entry.reason ?? ''}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Close</Button>
      </DialogActions>
    </Dialog>
  );
}
