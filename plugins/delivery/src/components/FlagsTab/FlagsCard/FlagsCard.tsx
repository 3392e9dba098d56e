import { useState } from 'react';
import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import LinearProgress from '@material-ui/core/LinearProgress';
import Switch from '@material-ui/core/Switch';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import {
  FlagEnvironmentChangeRequest,
  ServiceFlag,
} from '@internal/plugin-delivery-common';
import { useFlagsContext } from '../../../hooks/FlagsContext';
import { useFlagActions } from '../../../hooks/useFlagActions';
import {
  errorMessage,
  GuardedButton,
  ReasonDialog,
} from '../../DeploymentsTab/shared';
import { HistoryDialog } from '../HistoryDialog';
import { KillDialog } from '../KillDialog';
import { NewFlagDialog } from '../NewFlagDialog';
import { PreviewDialog } from '../PreviewDialog';
import { TargetingDialog } from '../TargetingDialog';
import {
  changeOutcome,
  failureOutcome,
  Outcome,
  OutcomeAlert,
} from '../shared';
import { FlagDialog } from './FlagActions';
import { FlagsEmptyState } from './FlagsEmptyState';
import { cellId, FlagsTable } from './FlagsTable';

/**
 * The service's flags across its environments, with the New flag dialog, the row actions'
 * dialogs, a progress bar while a change is in flight and the outcome of the last action.
 */
export function FlagsCard() {
  const { entity, flags, permissions, showArchived, setShowArchived } =
    useFlagsContext();
  const { changeFlag, archiveFlag } = useFlagActions();
  const [inFlight, setInFlight] = useState<ReadonlySet<string>>(new Set());
  const [outcome, setOutcome] = useState<Outcome>();
  const [opened, setOpened] = useState<{ key: string; dialog: FlagDialog }>();
  const [creating, setCreating] = useState(false);

  if (flags.error && !flags.value) {
    return (
      <ResponseErrorPanel
        error={flags.error}
        title="Could not read the feature flags"
      />
    );
  }

  const value = flags.value;
  const environments = value?.environments ?? [];
  const change = async (
    flag: ServiceFlag,
    environment: string,
    request: FlagEnvironmentChangeRequest,
  ) => {
    const id = cellId(flag.key, environment);
    setInFlight(cells => new Set(cells).add(id));
    setOutcome(undefined);
    try {
      setOutcome(
        changeOutcome(
          flag.key,
          environment,
          await changeFlag(flag.key, environment, request),
        ),
      );
    } catch (e) {
      setOutcome(
        failureOutcome(`${flag.key} in ${environment} did not change`, e),
      );
    } finally {
      setInFlight(cells => {
        const next = new Set(cells);
        next.delete(id);
        return next;
      });
    }
  };

  let createBlocker: string | undefined;
  if (permissions.loading) createBlocker = 'Checking your permissions…';
  else if (!permissions.create) {
    createBlocker =
      'You do not have permission to create flags for this service (its owners do).';
  }
  const newFlagButton = (
    <GuardedButton
      variant="contained"
      color="primary"
      disabledReason={createBlocker}
      onClick={() => setCreating(true)}
    >
      New flag
    </GuardedButton>
  );

  const openedFlag = opened && value?.flags.find(f => f.key === opened.key);
  const close = () => setOpened(undefined);
  const done = (result: Outcome) => {
    setOpened(undefined);
    setOutcome(result);
  };
  const empty = value && value.flags.length === 0 && !showArchived;

  return (
    <InfoCard
      title="Feature flags"
      subheader={
        environments.length > 0
          ? `Environments in pipeline order: ${environments.join(' → ')}`
          : undefined
      }
      action={
        <Box display="flex" alignItems="center" mt={1} mr={1}>
          <FormControlLabel
            control={
              <Switch
                size="small"
                checked={showArchived}
                onChange={e => setShowArchived(e.target.checked)}
              />
            }
            label="Show archived"
          />
          {newFlagButton}
        </Box>
      }
    >
      {inFlight.size > 0 && <LinearProgress aria-label="Applying a change" />}
      <OutcomeAlert outcome={outcome} onClose={() => setOutcome(undefined)} />
      {flags.error && value && (
        <Alert severity="warning">
          Could not refresh the flags ({errorMessage(flags.error)}); showing
          them as last read.
        </Alert>
      )}
      {!permissions.loading && !permissions.update && value && !empty && (
        <Typography variant="body2" color="textSecondary">
          Read-only: you do not have permission to change this service’s flags
          (its owners do).
          {permissions.kill && ' You may use the kill switch.'}
        </Typography>
      )}
      {!value && <Progress />}
      {empty && (
        <FlagsEmptyState
          service={entity.metadata.name}
          environments={environments}
          action={newFlagButton}
        />
      )}
      {value && !empty && (
        <FlagsTable
          inFlight={inFlight}
          onChange={change}
          onOpen={(flag, dialog) => setOpened({ key: flag.key, dialog })}
        />
      )}
      {value && (
        <NewFlagDialog
          open={creating}
          onClose={() => setCreating(false)}
          onCreated={flag => {
            setCreating(false);
            setOutcome({
              severity: 'success',
              title: `Created ${flag.key}`,
              message: `Off (“${flag.offVariant}”) in every environment. Turn it on per environment here.`,
            });
          }}
        />
      )}
      {openedFlag && opened.dialog === 'targeting' && (
        <TargetingDialog flag={openedFlag} onClose={close} onDone={done} />
      )}
      {openedFlag && opened.dialog === 'preview' && (
        <PreviewDialog flag={openedFlag} onClose={close} />
      )}
      {openedFlag && opened.dialog === 'history' && (
        <HistoryDialog flag={openedFlag} onClose={close} />
      )}
      {openedFlag && opened.dialog === 'kill' && (
        <KillDialog flag={openedFlag} onClose={close} onDone={done} />
      )}
      {openedFlag && (
        <ReasonDialog
          id="delivery-flag-archive"
          open={opened.dialog === 'archive'}
          title={`Archive ${openedFlag.key}`}
          text="An archived flag is no longer served: applications reading it get their code default. Remove it from the code first. The flag and its history stay readable under Show archived."
          helperText="Why, e.g. “shipped to everyone, removed from the code in PAY-150”."
          submitLabel="Archive"
          onClose={close}
          onSubmit={async reason => {
            await archiveFlag(openedFlag.key, reason);
            setOutcome({
              severity: 'success',
              title: `Archived ${openedFlag.key}`,
            });
          }}
        />
      )}
    </InfoCard>
  );
}
