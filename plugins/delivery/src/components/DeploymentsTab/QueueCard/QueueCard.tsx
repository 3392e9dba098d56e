import { useEffect, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import { useDeliveryContext } from '../../../hooks/DeliveryContext';
import { useDeliveryActions } from '../../../hooks/useDeliveryActions';
import { DeploymentDetails } from '../Deployment';
import { errorMessage, formatUser, ReasonDialog } from '../shared';
import { LockBanner } from './LockBanner';
import { LockControls } from './LockControls';
import { QueueTable } from './QueueTable';

/**
 * The service's queue with Start/Cancel, the queue lock, and the stepper of the running
 * deployment (or of the one opened from the queue, or linked with `?token=`). A deployment
 * watched while running stays open after it finishes, so its outcome shows.
 */
export function QueueCard() {
  const { deployments, permissions } = useDeliveryContext();
  const { startDeployment, cancelDeployment, lockQueue, unlockQueue } =
    useDeliveryActions();
  // A link to a deployment (a notification's, DORA's drill-down) opens it: `?token=DEP-…`.
  const [params] = useSearchParams();
  const linked = params.get('token') ?? undefined;
  const [opened, setOpened] = useState<string | undefined>(
    linked && /^DEP-\d{13}-\d{6}$/.test(linked) ? linked : undefined,
  );
  const [watched, setWatched] = useState<string>();
  const [aborting, setAborting] = useState<string>();
  const queue = deployments.value?.queue ?? [];
  const runningToken = queue.find(d => d.status === 'running')?.token;
  useEffect(() => {
    if (runningToken) setWatched(runningToken);
  }, [runningToken]);

  // Start, Cancel and Unlock share one busy state and one error.
  const [action, run] = useAsyncFn(async (call: () => Promise<unknown>) => {
    await call();
  }, []);

  if (deployments.error && !deployments.value) {
    return (
      <ResponseErrorPanel
        error={deployments.error}
        title="Could not read the deployment queue"
      />
    );
  }

  const lock = deployments.value?.lock;
  const abortedOne = queue.find(d => d.token === aborting);
  const shown = opened ?? runningToken ?? watched;
  let lockBlocker: string | undefined;
  if (permissions.loading) lockBlocker = 'Checking your permissions…';
  else if (!permissions.lock)
    lockBlocker =
      'You do not have permission to lock or unlock this queue (its owners do).';

  return (
    <InfoCard
      title="Deployment queue"
      action={
        <Box mt={1} mr={1}>
          <LockControls
            lock={lock}
            disabledReason={lockBlocker}
            busy={action.loading}
            onLock={lockQueue}
            onUnlock={() => run(unlockQueue)}
          />
        </Box>
      }
    >
      {lock && <LockBanner lock={lock} />}
      {action.error && (
        <Alert severity="error">{errorMessage(action.error)}</Alert>
      )}
      {!deployments.value && <Progress />}
      {deployments.value && queue.length === 0 && (
        <Typography variant="body2" color="textSecondary">
          Nothing is queued or running.
        </Typography>
      )}
      {queue.length > 0 && (
        <QueueTable
          busy={action.loading}
          onOpen={setOpened}
          onStart={token => run(() => startDeployment(token))}
          onCancel={token => run(() => cancelDeployment(token))}
          onAbort={setAborting}
        />
      )}
      <ReasonDialog
        id="delivery-abort"
        open={aborting !== undefined}
        title={`Abort ${aborting ?? ''}`}
        text={`${
          abortedOne ? formatUser(abortedOne.requestedBy) : 'Its requester'
        } is told why. A running deployment stops at its current stage and that environment returns to its previous version.`}
        helperText="Sent to the requester and the team's chat."
        submitLabel="Abort"
        onClose={() => setAborting(undefined)}
        onSubmit={reason => cancelDeployment(aborting!, reason)}
      />
      {shown && (
        <DeploymentDetails
          token={shown}
          onClose={
            shown === runningToken
              ? undefined
              : () => {
                  setOpened(undefined);
                  setWatched(undefined);
                }
          }
        />
      )}
    </InfoCard>
  );
}
