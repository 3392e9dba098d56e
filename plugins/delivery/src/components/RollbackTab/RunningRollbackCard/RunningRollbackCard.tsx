import { InfoCard } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import LinearProgress from '@material-ui/core/LinearProgress';
import Typography from '@material-ui/core/Typography';
import { Rollback } from '@internal/plugin-delivery-common';
import { useRollbackContext } from '../../../hooks/RollbackContext';
import { useRollback } from '../../../hooks/useRollbacks';
import { DeploymentStepper } from '../../DeploymentsTab/Deployment/DeploymentStepper';
import {
  formatDuration,
  formatTime,
  formatUser,
} from '../../DeploymentsTab/shared';
import { levelLabel } from '../shared';

/**
 * The rollback running now (or the one just started, until the list shows it) with its stages
 * in the pipeline's stepper: live through the rollback signal and polling, with their logs.
 */
export function RunningRollbackCard({ started }: { started?: Rollback }) {
  const { running, rollbacks } = useRollbackContext();
  const listed = started && rollbacks.value?.find(r => r.id === started.id);
  // The list is the live source; what the start answered fills the gap until it lists it. The
  // rollback this user started stays, with its outcome, once it has finished.
  const current = running ?? listed ?? started;
  // Each read of the list (signal or poll) reads the rollback again, for its logs.
  const detail = useRollback(current?.id, rollbacks.value);
  if (!current) return null;
  // The detail is read after each read of the list, so it is at least as new.
  const rollback = detail.value?.id === current.id ? detail.value : current;
  const isRunning = rollback.status === 'running';
  const elapsed =
    (rollback.finishedAt ? Date.parse(rollback.finishedAt) : Date.now()) -
    Date.parse(rollback.createdAt);
  return (
    <InfoCard
      title={`Rollback ${rollback.status} in ${rollback.environment}`}
      subheader={`${rollback.id} · ${levelLabel(rollback.level)}`}
    >
      <Box data-testid="running-rollback">
        {isRunning && <LinearProgress aria-label="Rollback in progress" />}
        {!isRunning && rollback.outcomeReason && (
          <Typography
            variant="body2"
            color={rollback.status === 'failed' ? 'error' : 'textPrimary'}
          >
            {rollback.outcomeReason}
          </Typography>
        )}
        <Typography variant="body2" style={{ marginTop: 8 }}>
          Started {formatTime(rollback.createdAt)} (
          {isRunning ? 'running for' : 'took'} {formatDuration(elapsed)}) by{' '}
          {rollback.automated
            ? 'the decision engine'
            : formatUser(rollback.requestedBy)}
          : {rollback.reason}
        </Typography>
        {rollback.targetVersion && (
          <Typography variant="body2">
            Returning to {rollback.targetVersion.slice(0, 7)}
          </Typography>
        )}
        {rollback.flags && rollback.flags.length > 0 && (
          <Typography variant="body2">
            Flags: {rollback.flags.join(', ')}
          </Typography>
        )}
        <DeploymentStepper stages={rollback.stages} />
      </Box>
    </InfoCard>
  );
}
