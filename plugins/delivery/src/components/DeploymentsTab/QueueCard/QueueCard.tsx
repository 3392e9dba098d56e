import { useEffect, useState } from 'react';
import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { Entity, getCompoundEntityRef } from '@backstage/catalog-model';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import { DeploymentsResponse } from '@internal/plugin-delivery-common';
import { deliveryApiRef } from '../../../api';
import { DeliveryPermissions } from '../../../hooks/useDeliveryPermissions';
import { DeploymentDetails } from '../Deployment';
import { errorMessage } from '../shared';
import { LockBanner } from './LockBanner';
import { LockControls } from './LockControls';
import { QueueTable } from './QueueTable';

/**
 * The service's queue with Start/Cancel, the queue lock, and the stepper of the running
 * deployment (or of the one opened from the queue). A deployment watched while running
 * stays open after it finishes, so its outcome shows.
 */
export function QueueCard({
  entity,
  deployments,
  user,
  permissions,
  onChanged,
}: {
  entity: Entity;
  deployments: {
    value?: DeploymentsResponse;
    loading: boolean;
    error?: Error;
  };
  user?: string;
  permissions: DeliveryPermissions;
  onChanged: () => void;
}) {
  const api = useApi(deliveryApiRef);
  const { kind, namespace, name } = getCompoundEntityRef(entity);
  const [opened, setOpened] = useState<string>();
  const [watched, setWatched] = useState<string>();
  const queue = deployments.value?.queue ?? [];
  const runningToken = queue.find(d => d.status === 'running')?.token;
  useEffect(() => {
    if (runningToken) setWatched(runningToken);
  }, [runningToken]);

  const [action, run] = useAsyncFn(
    async (call: () => Promise<unknown>) => {
      await call();
      onChanged();
    },
    [onChanged],
  );

  if (deployments.error && !deployments.value) {
    return (
      <ResponseErrorPanel
        error={deployments.error}
        title="Could not read the deployment queue"
      />
    );
  }

  const lock = deployments.value?.lock;
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
            onLock={reason =>
              api.lockQueue({ kind, namespace, name }, reason).then(onChanged)
            }
            onUnlock={() =>
              run(() => api.unlockQueue({ kind, namespace, name }))
            }
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
          queue={queue}
          user={user}
          canCancelAny={permissions.cancel}
          busy={action.loading}
          onOpen={setOpened}
          onStart={token => run(() => api.startDeployment(token))}
          onCancel={token => run(() => api.cancelDeployment(token))}
        />
      )}
      {shown && (
        <DeploymentDetails
          token={shown}
          refreshKey={deployments.value}
          user={user}
          permissions={permissions}
          onChanged={onChanged}
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
