import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import {
  FlagEnvironmentChangeRequest,
  ServiceFlag,
} from '@internal/plugin-delivery-common';
import { useFlagsContext } from '../../../hooks/FlagsContext';
import { formatAge, formatUser } from '../../DeploymentsTab/shared';
import { approvalNote, changeBlocker, pendingFor } from '../shared';
import { FlagActions, FlagDialog } from './FlagActions';
import { FlagCell } from './FlagCell';

/** Identifies a flag in an environment, e.g. for the changes in flight. */
export const cellId = (key: string, environment: string) =>
  `${key}\u0000${environment}`;

function FlagName({ flag }: { flag: ServiceFlag }) {
  return (
    <>
      <Box display="flex" alignItems="center">
        <Typography
          variant="body2"
          component="span"
          style={{ fontFamily: 'monospace', fontWeight: 600 }}
        >
          {flag.key}
        </Typography>
        <Box ml={1}>
          <Chip size="small" variant="outlined" label={flag.type} />
        </Box>
      </Box>
      {flag.description && (
        <Typography variant="body2" color="textSecondary">
          {flag.description}
        </Typography>
      )}
      <Typography variant="caption" color="textSecondary" component="div">
        {flag.change ? `${flag.change} · ` : ''}
        {flag.archivedAt
          ? `archived ${formatAge(flag.archivedAt)}${
              flag.archivedBy ? ` by ${formatUser(flag.archivedBy)}` : ''
            }: served nowhere, read-only`
          : `off = ${flag.offVariant}, on = ${flag.onVariant}`}
      </Typography>
    </>
  );
}

/**
 * The flags × environments table, environments in pipeline order: each cell shows the state
 * with a toggle, the rollout percentage and pending approvals; each row ends with its actions.
 */
export function FlagsTable({
  inFlight,
  onChange,
  onOpen,
}: {
  /** The cells ({@link cellId}) whose change is in flight. */
  inFlight: ReadonlySet<string>;
  onChange: (
    flag: ServiceFlag,
    environment: string,
    change: FlagEnvironmentChangeRequest,
  ) => void;
  onOpen: (flag: ServiceFlag, dialog: FlagDialog) => void;
}) {
  const { flags, permissions } = useFlagsContext();
  const value = flags.value;
  if (!value) return null;
  return (
    <Table size="small" aria-label="Feature flags">
      <TableHead>
        <TableRow>
          <TableCell>Flag</TableCell>
          {value.environments.map(environment => (
            <TableCell key={environment}>
              {environment}
              {value.approvalRequired.includes(environment) && (
                <Tooltip title={approvalNote(environment)}>
                  <Typography
                    variant="caption"
                    color="textSecondary"
                    component="div"
                  >
                    needs approval to turn on
                  </Typography>
                </Tooltip>
              )}
            </TableCell>
          ))}
          <TableCell align="right">Actions</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {value.flags.map(flag => {
          const blocker = changeBlocker(flag, permissions);
          return (
            <TableRow key={flag.key} data-testid={`flag-${flag.key}`}>
              <TableCell>
                <FlagName flag={flag} />
              </TableCell>
              {value.environments.map(environment => {
                const settings = flag.environments.find(
                  e => e.environment === environment,
                );
                if (!settings) {
                  return (
                    <TableCell key={environment}>
                      <Typography variant="body2" color="textSecondary">
                        —
                      </Typography>
                    </TableCell>
                  );
                }
                return (
                  <TableCell key={environment}>
                    <FlagCell
                      flag={flag}
                      settings={settings}
                      approvalRequired={value.approvalRequired.includes(
                        environment,
                      )}
                      pending={pendingFor(value, flag.key, environment)}
                      disabledReason={blocker}
                      busy={inFlight.has(cellId(flag.key, environment))}
                      onToggle={enabled =>
                        onChange(flag, environment, {
                          action: 'toggle',
                          enabled,
                        })
                      }
                      onRollout={percent =>
                        onChange(flag, environment, {
                          action: 'rollout',
                          percent,
                        })
                      }
                    />
                  </TableCell>
                );
              })}
              <TableCell align="right">
                <FlagActions
                  flag={flag}
                  onOpen={dialog => onOpen(flag, dialog)}
                />
              </TableCell>
            </TableRow>
          );
        })}
      </TableBody>
    </Table>
  );
}
