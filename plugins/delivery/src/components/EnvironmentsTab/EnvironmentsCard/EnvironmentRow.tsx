import { Fragment } from 'react';
import Box from '@material-ui/core/Box';
import Collapse from '@material-ui/core/Collapse';
import IconButton from '@material-ui/core/IconButton';
import Link from '@material-ui/core/Link';
import TableCell from '@material-ui/core/TableCell';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import KeyboardArrowDownIcon from '@material-ui/icons/KeyboardArrowDown';
import KeyboardArrowUpIcon from '@material-ui/icons/KeyboardArrowUp';
import {
  EphemeralBuild,
  EphemeralEnvironment,
  ephemeralFlagSummary,
} from '@internal/plugin-delivery-common';
import { formatAge, formatUser, shortSha } from '../../DeploymentsTab/shared';
import {
  CopyButton,
  EnvironmentStatus,
  ExpiryCountdown,
  kubectlHint,
  QuotaBars,
} from '../shared';
import {
  EnvironmentActionHandlers,
  EnvironmentActions,
} from './EnvironmentActions';
import { EnvironmentDetails } from './EnvironmentDetails';

/** How many flags a row lists before "+ n more" (the details list them all). */
const FLAGS_SHOWN = 3;

/** The flags an environment started with, the first few of them (the details list all). */
function FlagsSummary({ env }: { env: EphemeralEnvironment }) {
  if (env.flags.length === 0) return null;
  const extra = env.flags.length - FLAGS_SHOWN;
  return (
    <Box mt={0.5} aria-label={`Flags of ${env.branch}`} role="list">
      {env.flags.slice(0, FLAGS_SHOWN).map(f => (
        <Typography
          key={f.key}
          variant="caption"
          component="div"
          role="listitem"
        >
          <code style={{ whiteSpace: 'nowrap' }}>{f.key}</code>{' '}
          {ephemeralFlagSummary(f)}
        </Typography>
      ))}
      {extra > 0 && (
        <Typography variant="caption" color="textSecondary">
          + {extra} more
        </Typography>
      )}
    </Box>
  );
}

/** The columns of the live environments' table. */
export const LIVE_COLUMNS = [
  'Branch',
  'Status',
  'Expires',
  'Namespace and links',
  'Resources',
  'Actions',
];

function BuildLink({ build }: { build: EphemeralBuild }) {
  let state = build.result ?? 'queued';
  if (build.building) state = 'building';
  const text =
    build.number === undefined
      ? `Build ${state}`
      : `Build #${build.number} ${state}`;
  return build.url ? (
    <Link
      href={build.url}
      target="_blank"
      rel="noopener"
      style={{ whiteSpace: 'nowrap' }}
    >
      {text}
    </Link>
  ) : (
    <Typography variant="body2" component="span">
      {text}
    </Typography>
  );
}

/**
 * A live environment: the branch and who created it, its status with the stage it is at, the
 * countdown, the namespace with a kubectl command to copy and the links (app, dashboard, build),
 * the quota use and its actions, and under the branch the flags it started with; opened, its
 * details and stages below.
 */
export function EnvironmentRow({
  env,
  open,
  busy,
  sweepIntervalMinutes,
  onToggle,
  ...handlers
}: EnvironmentActionHandlers & {
  env: EphemeralEnvironment;
  open: boolean;
  busy: boolean;
  sweepIntervalMinutes: number;
  onToggle: () => void;
}) {
  return (
    <Fragment>
      <TableRow data-testid={`env-${env.branch}`}>
        <TableCell style={{ minWidth: 170 }}>
          <Box display="flex" alignItems="center">
            <IconButton
              size="small"
              aria-expanded={open}
              aria-label={`${open ? 'Hide' : 'Show'} details of ${env.branch}`}
              onClick={onToggle}
            >
              {open ? <KeyboardArrowUpIcon /> : <KeyboardArrowDownIcon />}
            </IconButton>
            <Typography
              variant="body2"
              component="span"
              style={{
                fontFamily: 'monospace',
                fontWeight: 600,
                overflowWrap: 'anywhere',
              }}
            >
              {env.branch}
            </Typography>
          </Box>
          <Typography variant="caption" color="textSecondary" component="div">
            {shortSha(env.commitSha)} · by{' '}
            <span title={env.createdBy}>{formatUser(env.createdBy)}</span>{' '}
            {formatAge(env.createdAt)}
          </Typography>
          <FlagsSummary env={env} />
        </TableCell>
        <TableCell>
          <EnvironmentStatus env={env} />
        </TableCell>
        <TableCell>
          <ExpiryCountdown
            env={env}
            sweepIntervalMinutes={sweepIntervalMinutes}
          />
        </TableCell>
        <TableCell style={{ minWidth: 160 }}>
          <Box display="flex" alignItems="center">
            <Typography
              variant="body2"
              component="span"
              style={{ fontFamily: 'monospace', overflowWrap: 'anywhere' }}
            >
              {env.namespace}
            </Typography>
            <CopyButton
              text={kubectlHint(env)}
              label={`Copy the kubectl command for ${env.branch}`}
            />
          </Box>
          <Typography variant="caption" color="textSecondary" component="div">
            on {env.cluster}
          </Typography>
          <Box display="flex" flexWrap="wrap" style={{ columnGap: 12 }}>
            {env.appUrl && (
              <Link href={env.appUrl} target="_blank" rel="noopener">
                App
              </Link>
            )}
            {env.dashboardUrl && (
              <Link href={env.dashboardUrl} target="_blank" rel="noopener">
                Dashboard
              </Link>
            )}
            {env.build && <BuildLink build={env.build} />}
          </Box>
        </TableCell>
        <TableCell>
          <QuotaBars quota={env.quota} label={`Resources of ${env.branch}`} />
        </TableCell>
        <TableCell align="right">
          <EnvironmentActions env={env} busy={busy} {...handlers} />
        </TableCell>
      </TableRow>
      <TableRow>
        <TableCell
          colSpan={LIVE_COLUMNS.length}
          style={{ paddingTop: 0, paddingBottom: 0 }}
        >
          <Collapse in={open} unmountOnExit>
            <EnvironmentDetails env={env} />
          </Collapse>
        </TableCell>
      </TableRow>
    </Fragment>
  );
}
