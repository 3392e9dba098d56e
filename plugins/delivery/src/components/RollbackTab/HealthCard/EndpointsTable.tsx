import Chip from '@material-ui/core/Chip';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { EndpointErrors, FlagOfChange } from '@internal/plugin-delivery-common';
import { formatPercent } from '../shared';

const useStyles = makeStyles(theme => ({
  flagged: { backgroundColor: theme.palette.action.selected },
  breach: { color: theme.palette.error.main, fontWeight: 'bold' },
}));

/**
 * Requests and 5xx errors per endpoint, most errors first; the endpoints served by the newest
 * change's flags are highlighted and name their flag, and an error rate over the threshold is red.
 */
export function EndpointsTable({
  environment,
  endpoints,
  flags,
  errorRateLimit,
}: {
  environment: string;
  endpoints: EndpointErrors[];
  flags: FlagOfChange[];
  errorRateLimit: number;
}) {
  const classes = useStyles();
  if (endpoints.length === 0) {
    return (
      <Typography variant="body2" color="textSecondary">
        No per-endpoint figures in this window.
      </Typography>
    );
  }
  const flagsOf = (endpoint: string) =>
    flags.filter(f => f.endpoints.includes(endpoint));
  const rows = [...endpoints].sort((a, b) => b.errors - a.errors);
  return (
    <Table size="small" aria-label={`Errors per endpoint in ${environment}`}>
      <TableHead>
        <TableRow>
          <TableCell>Endpoint</TableCell>
          <TableCell align="right">Requests</TableCell>
          <TableCell align="right">Errors</TableCell>
          <TableCell align="right">Error rate</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {rows.map(e => {
          const ofFlags = flagsOf(e.endpoint);
          const rate = e.requests > 0 ? e.errors / e.requests : 0;
          const breach = rate > errorRateLimit;
          return (
            <TableRow
              key={e.endpoint}
              className={ofFlags.length > 0 ? classes.flagged : undefined}
              data-flagged={ofFlags.length > 0 ? 'true' : 'false'}
            >
              <TableCell>
                <span style={{ fontFamily: 'monospace' }}>{e.endpoint}</span>{' '}
                {ofFlags.map(f => (
                  <Chip
                    key={f.key}
                    size="small"
                    variant="outlined"
                    label={`flag ${f.key}${f.on ? '' : ' (off)'}`}
                  />
                ))}
              </TableCell>
              <TableCell align="right">{e.requests}</TableCell>
              <TableCell align="right">{e.errors}</TableCell>
              <TableCell
                align="right"
                className={breach ? classes.breach : undefined}
              >
                {e.requests > 0 ? formatPercent(rate) : '—'}
              </TableCell>
            </TableRow>
          );
        })}
      </TableBody>
    </Table>
  );
}
