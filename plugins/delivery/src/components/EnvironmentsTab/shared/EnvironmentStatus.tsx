import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import CircularProgress from '@material-ui/core/CircularProgress';
import LinearProgress from '@material-ui/core/LinearProgress';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import {
  EphemeralEnvironment,
  EphemeralEnvironmentStatus,
} from '@internal/plugin-delivery-common';
import { stageLabel } from '../../DeploymentsTab/Deployment/stages';
import { currentStage, stagesProgress } from './rules';

const useStyles = makeStyles(theme => ({
  ready: {
    backgroundColor: theme.palette.success.main,
    color: theme.palette.success.contrastText,
  },
  failed: {
    backgroundColor: theme.palette.error.main,
    color: theme.palette.error.contrastText,
  },
  creating: {
    backgroundColor: theme.palette.info.main,
    color: theme.palette.info.contrastText,
  },
  updating: {
    backgroundColor: theme.palette.info.main,
    color: theme.palette.info.contrastText,
  },
  deleting: {
    backgroundColor: theme.palette.warning.main,
    color: theme.palette.warning.contrastText,
  },
  deleted: {},
  spinner: { color: 'inherit' },
}));

/** An environment's status as a coloured chip, spinning while it moves. */
export function EnvironmentStatusChip({
  status,
}: {
  status: EphemeralEnvironmentStatus;
}) {
  const classes = useStyles();
  const moving =
    status === 'creating' || status === 'updating' || status === 'deleting';
  return (
    <Chip
      size="small"
      label={status}
      className={classes[status]}
      variant={status === 'deleted' ? 'outlined' : 'default'}
      icon={
        moving ? (
          <CircularProgress size={12} className={classes.spinner} />
        ) : undefined
      }
    />
  );
}

/**
 * The status chip, and while it moves the stage it is at (the Deployments tab's stage names)
 * with a progress bar; why it failed when it did.
 */
export function EnvironmentStatus({ env }: { env: EphemeralEnvironment }) {
  const at = currentStage(env.stages);
  let progress = null;
  if (env.status === 'deleting') {
    progress = (
      <>
        <LinearProgress aria-label={`Deleting ${env.branch}`} />
        <Typography variant="caption" color="textSecondary">
          Deleting the namespace
        </Typography>
      </>
    );
  } else if (env.status === 'creating' || env.status === 'updating') {
    progress = (
      <>
        <LinearProgress
          variant={at ? 'determinate' : 'indeterminate'}
          value={stagesProgress(env.stages)}
          aria-label={`${env.status === 'creating' ? 'Creating' : 'Updating'} ${
            env.branch
          }`}
        />
        <Typography
          variant="caption"
          color="textSecondary"
          data-testid={`stage-${env.branch}`}
        >
          {at
            ? `${stageLabel(at.stage)} (${at.index + 1}/${env.stages.length})`
            : 'Waiting to start'}
        </Typography>
      </>
    );
  }
  return (
    <Box minWidth={120}>
      <EnvironmentStatusChip status={env.status} />
      {progress && <Box mt={0.5}>{progress}</Box>}
      {env.status === 'failed' && env.statusReason && (
        <Typography variant="caption" color="error" component="div">
          {env.statusReason}
        </Typography>
      )}
    </Box>
  );
}
