import { useMemo, useState } from 'react';
import {
  InfoCard,
  Link,
  Progress,
  ResponseErrorPanel,
  Table,
  TableColumn,
  StatusOK,
  StatusPending,
  StatusError,
  StatusAborted,
} from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import { CiState, CommitSummary } from '@internal/plugin-delivery-common';
import { useDeliveryContext } from '../../../hooks/DeliveryContext';
import { useDeliveryActions } from '../../../hooks/useDeliveryActions';
import { useCommits } from '../../../hooks/useDelivery';
import { useEligibility } from '../../../hooks/useEligibility';
import { formatAge, CARD_TABLE_OPTIONS } from '../shared';
import { DeployButton, deployBlocker } from './DeployButton';
import { EnvironmentChips } from './EnvironmentChips';
import { RequestOutcome } from './RequestOutcome';

const CI_LABEL: Record<CiState, string> = {
  success: 'CI passed',
  failure: 'CI failed',
  pending: 'CI running',
  none: 'No CI',
};

function CiCell({ commit }: { commit: CommitSummary }) {
  const label = CI_LABEL[commit.ci.state];
  const details =
    commit.ci.checks.map(c => `${c.name}: ${c.state}`).join(', ') ||
    'no checks';
  const status = {
    success: <StatusOK>{label}</StatusOK>,
    failure: <StatusError>{label}</StatusError>,
    pending: <StatusPending>{label}</StatusPending>,
    none: <StatusAborted>{label}</StatusAborted>,
  }[commit.ci.state];
  return (
    <Tooltip title={details}>
      <span>{status}</span>
    </Tooltip>
  );
}

const baseColumns: TableColumn<CommitSummary>[] = [
  {
    title: 'Commit',
    render: c => (
      <Link to={c.url} style={{ fontFamily: 'monospace' }}>
        {c.shortSha}
      </Link>
    ),
  },
  {
    title: 'Message',
    render: c => (
      <Typography variant="body2">{c.message.split('\n')[0]}</Typography>
    ),
  },
  { title: 'Author', render: c => c.author.login ?? c.author.name },
  {
    title: 'When',
    render: c => (
      <Tooltip title={new Date(c.committedAt).toLocaleString()}>
        <span>{formatAge(c.committedAt)}</span>
      </Tooltip>
    ),
  },
  { title: 'CI', render: c => <CiCell commit={c} /> },
];

/**
 * The latest commits of the default branch with their CI state, the environments running
 * each, and a Deploy button whose state comes from the backend's eligibility.
 */
export function CommitsCard() {
  const { entity, permissions } = useDeliveryContext();
  const actions = useDeliveryActions();
  const { value, loading, error } = useCommits(entity);
  const shas = value?.commits.map(c => c.sha) ?? [];
  const eligibility = useEligibility(entity, shas);
  const [requestedSha, setRequestedSha] = useState<string>();
  const [request, requestDeployment] = useAsyncFn(
    async (commitSha: string) => {
      setRequestedSha(commitSha);
      return actions.requestDeployment(commitSha);
    },
    [actions],
  );

  const columns = useMemo<TableColumn<CommitSummary>[]>(
    () => [
      ...baseColumns,
      {
        title: 'Running in',
        render: c => <EnvironmentChips commitSha={c.sha} />,
      },
      {
        title: 'Deploy',
        render: c => (
          <DeployButton
            shortSha={c.shortSha}
            busy={request.loading && requestedSha === c.sha}
            blocker={deployBlocker({
              allowed: permissions.deploy,
              permissionLoading: permissions.loading,
              eligibility: eligibility.value?.get(c.sha),
              eligibilityLoading: eligibility.loading,
              eligibilityError: eligibility.error,
            })}
            onDeploy={() => requestDeployment(c.sha)}
          />
        ),
      },
    ],
    [
      eligibility.value,
      eligibility.loading,
      eligibility.error,
      permissions.deploy,
      permissions.loading,
      request.loading,
      requestedSha,
      requestDeployment,
    ],
  );

  if (error)
    return (
      <ResponseErrorPanel error={error} title="Could not read the commits" />
    );
  const showOutcome = requestedSha && !request.loading;
  return (
    <InfoCard
      title="Recent commits"
      subheader={
        value ? (
          <>
            <Link to={value.repository.url}>{value.repository.slug}</Link> ·{' '}
            {value.repository.defaultBranch}
          </>
        ) : undefined
      }
      noPadding
    >
      {showOutcome && (
        <Box m={2}>
          <RequestOutcome
            commitSha={requestedSha}
            result={request.value}
            error={request.error}
            onClose={() => setRequestedSha(undefined)}
          />
        </Box>
      )}
      {loading ? (
        <Progress />
      ) : (
        <Table<CommitSummary>
          options={CARD_TABLE_OPTIONS}
          columns={columns}
          data={value?.commits ?? []}
        />
      )}
    </InfoCard>
  );
}
