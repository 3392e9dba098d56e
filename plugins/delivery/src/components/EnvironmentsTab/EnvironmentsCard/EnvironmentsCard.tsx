import { useState } from 'react';
import { InfoCard, Progress } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import LinearProgress from '@material-ui/core/LinearProgress';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { EphemeralEnvironment } from '@internal/plugin-delivery-common';
import { useEphemeralContext } from '../../../hooks/EphemeralContext';
import { useEphemeralActions } from '../../../hooks/useEphemeralActions';
import {
  errorMessage,
  formatTime,
  GuardedButton,
} from '../../DeploymentsTab/shared';
import { failureOutcome, Outcome, OutcomeAlert } from '../../FlagsTab/shared';
import { RetryAlert } from '../../RollbackTab/shared';
import { CreateEnvironmentDialog } from '../CreateDialog';
import { DeleteEnvironmentDialog } from '../DeleteDialog';
import { createBlocker, formatMinutes, isDeleted } from '../shared';
import { SweepDialog } from '../SweepDialog';
import { EnvironmentsEmptyState, EnvironmentsNotEnabled } from './EmptyStates';
import {
  DeletedEnvironmentsTable,
  LiveEnvironmentsTable,
} from './EnvironmentsTables';

function toggled(set: ReadonlySet<string>, id: string, on: boolean) {
  const next = new Set(set);
  if (on) next.add(id);
  else next.delete(id);
  return next;
}

/**
 * The service's ephemeral environments: the live ones (opening on their stages and logs), the
 * last deleted ones greyed below, Create from branch, and for admins Sweep now. A progress bar
 * shows while an action is in flight; its outcome or the backend's refusal shows above.
 */
export function EnvironmentsCard() {
  const { environments, permissions } = useEphemeralContext();
  const { extend, setPersistent } = useEphemeralActions();
  const [creating, setCreating] = useState(false);
  const [sweeping, setSweeping] = useState(false);
  const [deleting, setDeleting] = useState<EphemeralEnvironment>();
  const [opened, setOpened] = useState<ReadonlySet<string>>(new Set());
  const [busy, setBusy] = useState<ReadonlySet<string>>(new Set());
  const [outcome, setOutcome] = useState<Outcome>();

  const value = environments.value;
  const settings = value?.settings;
  const prefix = settings?.branchPrefix ?? 'deploy/';

  const act = async (
    env: EphemeralEnvironment,
    failure: string,
    call: () => Promise<Outcome>,
  ) => {
    setBusy(ids => toggled(ids, env.id, true));
    setOutcome(undefined);
    try {
      setOutcome(await call());
    } catch (e) {
      setOutcome(failureOutcome(failure, e));
    } finally {
      setBusy(ids => toggled(ids, env.id, false));
    }
  };
  const handlers = {
    onExtend: (env: EphemeralEnvironment, minutes: number) =>
      act(env, `${env.branch} was not extended`, async () => {
        const after = await extend(env.id, minutes);
        return {
          severity: 'success',
          title: `Extended ${env.branch} by ${formatMinutes(minutes)}`,
          message: `It now expires ${formatTime(after.expiresAt)}.`,
        };
      }),
    onDelete: (env: EphemeralEnvironment) => setDeleting(env),
    onSetPersistent: (env: EphemeralEnvironment, persistent: boolean) =>
      act(env, `${env.branch} did not change`, async () => {
        await setPersistent(env.id, persistent);
        return {
          severity: 'success',
          title: persistent
            ? `${env.branch} is persistent: the sweep leaves it`
            : `${env.branch} is ephemeral again`,
        };
      }),
  };

  const blocker = createBlocker(settings, permissions);
  const createButton = (
    <GuardedButton
      variant="contained"
      color="primary"
      disabledReason={blocker}
      onClick={() => setCreating(true)}
    >
      Create from branch
    </GuardedButton>
  );

  let body;
  if (environments.error && !value) {
    body = (
      <RetryAlert
        title="Could not read the service's environments"
        error={environments.error}
        onRetry={environments.retry}
      />
    );
  } else if (!value || !settings) {
    body = <Progress />;
  } else {
    const live = value.items.filter(e => !isDeleted(e));
    const deleted = value.items.filter(isDeleted);
    let liveList;
    if (live.length > 0) {
      liveList = (
        <LiveEnvironmentsTable
          items={live}
          opened={opened}
          busy={busy}
          sweepIntervalMinutes={settings.sweepIntervalMinutes}
          onToggle={id => setOpened(ids => toggled(ids, id, !ids.has(id)))}
          {...handlers}
        />
      );
    } else if (settings.enabled) {
      liveList = (
        <EnvironmentsEmptyState settings={settings} action={createButton} />
      );
    }
    body = (
      <>
        {!settings.enabled && <EnvironmentsNotEnabled />}
        {liveList}
        {deleted.length > 0 && (
          <Box mt={3}>
            <Typography variant="subtitle2" color="textSecondary">
              Deleted recently
            </Typography>
            <DeletedEnvironmentsTable items={deleted} />
          </Box>
        )}
      </>
    );
  }

  return (
    <InfoCard
      title="Environments"
      subheader={`Ephemeral environments for ${prefix}* branches`}
      action={
        <Box
          display="flex"
          alignItems="center"
          mt={1}
          mr={1}
          style={{ gap: 8 }}
        >
          {permissions.admin && (
            <GuardedButton variant="outlined" onClick={() => setSweeping(true)}>
              Sweep now
            </GuardedButton>
          )}
          {createButton}
        </Box>
      }
    >
      {busy.size > 0 && <LinearProgress aria-label="Applying a change" />}
      <OutcomeAlert outcome={outcome} onClose={() => setOutcome(undefined)} />
      {environments.error && value && (
        <Alert severity="warning">
          Could not refresh the environments ({errorMessage(environments.error)}
          ); showing them as last read.
        </Alert>
      )}
      {body}
      {settings && (
        <CreateEnvironmentDialog
          open={creating}
          onClose={() => setCreating(false)}
          onCreated={env => {
            setCreating(false);
            setOpened(ids => toggled(ids, env.id, true));
            setOutcome({
              severity: 'success',
              title: `Creating ${env.branch}`,
              message: `In namespace ${env.namespace}: follow its stages below.`,
            });
          }}
        />
      )}
      {deleting && (
        <DeleteEnvironmentDialog
          env={deleting}
          onClose={() => setDeleting(undefined)}
          onDeleted={env => {
            setDeleting(undefined);
            setOutcome({
              severity: 'success',
              title: `Deleting ${env.branch}`,
              message: `Namespace ${env.namespace} is being deleted.`,
            });
          }}
        />
      )}
      <SweepDialog
        open={sweeping}
        sweepIntervalMinutes={settings?.sweepIntervalMinutes}
        onClose={() => setSweeping(false)}
      />
    </InfoCard>
  );
}
