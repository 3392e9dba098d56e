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
import { Entity } from '@backstage/catalog-model';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import { CiState, CommitSummary } from '@internal/plugin-delivery-common';
import { useCommits } from '../../hooks/useDelivery';
import { formatAge } from './format';

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

const columns: TableColumn<CommitSummary>[] = [
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

/** The latest commits of the default branch with their CI state and links. */
export function CommitsCard({ entity }: { entity: Entity }) {
  const { value, loading, error } = useCommits(entity);
  if (error)
    return (
      <ResponseErrorPanel error={error} title="Could not read the commits" />
    );
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
      {loading ? (
        <Progress />
      ) : (
        <Table<CommitSummary>
          options={{
            paging: false,
            search: false,
            toolbar: false,
            padding: 'dense',
          }}
          columns={columns}
          data={value?.commits ?? []}
        />
      )}
    </InfoCard>
  );
}
