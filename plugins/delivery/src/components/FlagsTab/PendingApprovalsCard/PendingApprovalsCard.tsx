import { useState } from 'react';
import { InfoCard } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import LinearProgress from '@material-ui/core/LinearProgress';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { FlagChange } from '@internal/plugin-delivery-common';
import { useFlagsContext } from '../../../hooks/FlagsContext';
import { useFlagActions } from '../../../hooks/useFlagActions';
import { FlagPermissions } from '../../../hooks/useFlagPermissions';
import {
  formatAge,
  formatUser,
  GuardedButton,
  ReasonDialog,
} from '../../DeploymentsTab/shared';
import {
  failureOutcome,
  Outcome,
  OutcomeAlert,
  sameUser,
  summarizeRecorded,
} from '../shared';

/** Why the user may not approve (or reject) a change; undefined when they may. */
export function decisionBlocker(
  change: FlagChange,
  user: string | undefined,
  permissions: FlagPermissions,
): string | undefined {
  if (permissions.loading || !user) return 'Checking your permissions…';
  if (sameUser(user, change.requestedBy)) {
    return 'You requested this change: someone else must approve it.';
  }
  if (!permissions.approve) {
    return 'You do not have permission to approve flag changes of this service.';
  }
  return undefined;
}

/**
 * Changes waiting for a second person (production, where the service requires it): approve
 * applies one at once, reject drops it with a reason. The requester cannot approve their own
 * change, but may withdraw it.
 */
export function PendingApprovalsCard() {
  const { flags, user, permissions } = useFlagsContext();
  const { approveFlagChange, rejectFlagChange } = useFlagActions();
  const [busy, setBusy] = useState<string>();
  const [outcome, setOutcome] = useState<Outcome>();
  const [rejecting, setRejecting] = useState<FlagChange>();
  const pending = (flags.value?.pending ?? []).filter(
    c => c.status === 'pending',
  );
  if (pending.length === 0 && !outcome) return null;

  const decide = async (
    change: FlagChange,
    call: () => Promise<unknown>,
    done: string,
  ) => {
    setBusy(change.id);
    setOutcome(undefined);
    try {
      await call();
      setOutcome({
        severity: 'success',
        title: `${done}: ${change.flagKey} in ${change.environment}`,
        message: change.summary,
      });
    } catch (e) {
      setOutcome(
        failureOutcome(
          `${change.flagKey} in ${
            change.environment
          }: not ${done.toLocaleLowerCase('en-US')}`,
          e,
        ),
      );
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <InfoCard title="Pending approvals">
      {busy && <LinearProgress aria-label="Deciding a change" />}
      <OutcomeAlert outcome={outcome} onClose={() => setOutcome(undefined)} />
      {pending.length === 0 ? (
        <Typography variant="body2" color="textSecondary">
          Nothing waits for approval.
        </Typography>
      ) : (
        <Table size="small" aria-label="Pending approvals">
          <TableHead>
            <TableRow>
              <TableCell>Flag</TableCell>
              <TableCell>Environment</TableCell>
              <TableCell>Change</TableCell>
              <TableCell>Requested</TableCell>
              <TableCell>Reason</TableCell>
              <TableCell align="right">Decision</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {pending.map(change => {
              const mine = sameUser(user, change.requestedBy);
              const blocker = decisionBlocker(change, user, permissions);
              return (
                <TableRow key={change.id}>
                  <TableCell style={{ fontFamily: 'monospace' }}>
                    {change.flagKey}
                  </TableCell>
                  <TableCell>{change.environment}</TableCell>
                  <TableCell>
                    {change.summary}
                    <Typography
                      variant="caption"
                      color="textSecondary"
                      component="div"
                    >
                      {summarizeRecorded(change.before)} →{' '}
                      {summarizeRecorded(change.after)}
                    </Typography>
                  </TableCell>
                  <TableCell title={change.requestedBy}>
                    {formatUser(change.requestedBy)},{' '}
                    {formatAge(change.requestedAt)}
                  </TableCell>
                  <TableCell>{change.reason ?? ''}</TableCell>
                  <TableCell align="right">
                    <Box
                      display="flex"
                      justifyContent="flex-end"
                      style={{ gap: 8 }}
                    >
                      <GuardedButton
                        variant="contained"
                        color="primary"
                        aria-label={`Approve ${change.flagKey} in ${change.environment}`}
                        disabledReason={blocker}
                        busy={busy === change.id}
                        onClick={() =>
                          decide(
                            change,
                            () => approveFlagChange(change.id),
                            'Approved',
                          )
                        }
                      >
                        Approve
                      </GuardedButton>
                      {mine ? (
                        <GuardedButton
                          variant="outlined"
                          aria-label={`Withdraw ${change.flagKey} in ${change.environment}`}
                          busy={busy === change.id}
                          onClick={() =>
                            decide(
                              change,
                              () =>
                                rejectFlagChange(
                                  change.id,
                                  'Withdrawn by the requester',
                                ),
                              'Withdrawn',
                            )
                          }
                        >
                          Withdraw
                        </GuardedButton>
                      ) : (
                        <GuardedButton
                          variant="outlined"
                          aria-label={`Reject ${change.flagKey} in ${change.environment}`}
                          disabledReason={blocker}
                          busy={busy === change.id}
                          onClick={() => setRejecting(change)}
                        >
                          Reject
                        </GuardedButton>
                      )}
                    </Box>
                    {blocker && (
                      <Typography variant="caption" color="textSecondary">
                        {blocker}
                      </Typography>
                    )}
                  </TableCell>
                </TableRow>
              );
            })}
          </TableBody>
        </Table>
      )}
      <ReasonDialog
        id="delivery-flag-reject"
        open={rejecting !== undefined}
        title={`Reject ${rejecting?.flagKey ?? ''} in ${
          rejecting?.environment ?? ''
        }`}
        text={`${
          rejecting ? formatUser(rejecting.requestedBy) : 'The requester'
        } sees why in the flag's history. Nothing changes in ${
          rejecting?.environment ?? 'the environment'
        }.`}
        helperText="Why not, e.g. “not during the sale”."
        submitLabel="Reject"
        onClose={() => setRejecting(undefined)}
        onSubmit={async reason => {
          const change = rejecting!;
          await rejectFlagChange(change.id, reason);
          setOutcome({
            severity: 'success',
            title: `Rejected: ${change.flagKey} in ${change.environment}`,
            message: change.summary,
          });
        }}
      />
    </InfoCard>
  );
}
