import Box from '@material-ui/core/Box';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import { makeStyles } from '@material-ui/core/styles';
import Typography from '@material-ui/core/Typography';
import { EphemeralEnvironment } from '@internal/plugin-delivery-common';
import { formatTime, formatUser } from '../../DeploymentsTab/shared';
import { EnvironmentActionHandlers } from './EnvironmentActions';
import { EnvironmentRow, LIVE_COLUMNS } from './EnvironmentRow';

const useStyles = makeStyles({
  // Seven columns in a card next to the sidebar: narrower gutters than MUI's dense ones.
  compact: {
    '& > thead > tr > th, & > tbody > tr > td': { padding: '6px 8px' },
  },
});

/** The live environments, newest first, each row opening on its details. */
export function LiveEnvironmentsTable({
  items,
  opened,
  busy,
  sweepIntervalMinutes,
  onToggle,
  ...handlers
}: EnvironmentActionHandlers & {
  items: EphemeralEnvironment[];
  /** Ids of the rows opened. */
  opened: ReadonlySet<string>;
  /** Ids of the environments with an action in flight. */
  busy: ReadonlySet<string>;
  sweepIntervalMinutes: number;
  onToggle: (id: string) => void;
}) {
  const classes = useStyles();
  return (
    <Box style={{ overflowX: 'auto' }}>
      <Table
        size="small"
        aria-label="Live environments"
        className={classes.compact}
      >
        <TableHead>
          <TableRow>
            {LIVE_COLUMNS.map(c => (
              <TableCell
                key={c}
                align={c === 'Actions' ? 'right' : undefined}
                style={{ whiteSpace: 'nowrap' }}
              >
                {c}
              </TableCell>
            ))}
          </TableRow>
        </TableHead>
        <TableBody>
          {items.map(env => (
            <EnvironmentRow
              key={env.id}
              env={env}
              open={opened.has(env.id)}
              busy={busy.has(env.id)}
              sweepIntervalMinutes={sweepIntervalMinutes}
              onToggle={() => onToggle(env.id)}
              {...handlers}
            />
          ))}
        </TableBody>
      </Table>
    </Box>
  );
}

/** Who deleted an environment, in words: a person, or the portal (the sweep, a branch event). */
function deletedBy(ref?: string): string {
  if (!ref) return '';
  return ref === 'delivery' ? ' by the portal' : ` by ${formatUser(ref)}`;
}

/** The last deleted environments, greyed, with when, by whom and why. */
export function DeletedEnvironmentsTable({
  items,
}: {
  items: EphemeralEnvironment[];
}) {
  return (
    <Box style={{ overflowX: 'auto' }}>
      <Table size="small" aria-label="Deleted environments">
        <TableHead>
          <TableRow>
            <TableCell>Branch</TableCell>
            <TableCell>Namespace</TableCell>
            <TableCell>Created</TableCell>
            <TableCell>Deleted</TableCell>
            <TableCell>Why</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {items.map(env => (
            <TableRow
              key={env.id}
              data-testid={`deleted-${env.branch}`}
              style={{ opacity: 0.6 }}
            >
              <TableCell style={{ fontFamily: 'monospace' }}>
                {env.branch}
              </TableCell>
              <TableCell style={{ fontFamily: 'monospace' }}>
                {env.namespace}
              </TableCell>
              <TableCell>
                {formatTime(env.createdAt)} by{' '}
                <span title={env.createdBy}>{formatUser(env.createdBy)}</span>
              </TableCell>
              <TableCell>
                {formatTime(env.deletedAt)}
                <span title={env.deletedBy}>{deletedBy(env.deletedBy)}</span>
              </TableCell>
              <TableCell>
                <Typography variant="body2">
                  {env.statusReason ?? '—'}
                </Typography>
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </Box>
  );
}
