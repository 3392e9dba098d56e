import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
  Table,
  TableColumn,
  StatusOK,
  StatusPending,
  StatusError,
  StatusAborted,
} from '@backstage/core-components';
import IconButton from '@material-ui/core/IconButton';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import RefreshIcon from '@material-ui/icons/Refresh';
import { EnvironmentStatus } from '@internal/plugin-delivery-common';
import { useDeliveryContext } from '../../../hooks/DeliveryContext';
import { formatAge, CARD_TABLE_OPTIONS } from '../shared';

function RolloutCell({ env }: { env: EnvironmentStatus }) {
  const { ready, desired } = env.replicas;
  const text = `${ready}/${desired} ready`;
  switch (env.rollout) {
    case 'complete':
      return <StatusOK>{text}</StatusOK>;
    case 'progressing':
      return <StatusPending>Rolling out · {text}</StatusPending>;
    case 'scaled-down':
      return <StatusAborted>Scaled to zero</StatusAborted>;
    default:
      return <StatusError>Not deployed</StatusError>;
  }
}

function VersionCell({ env }: { env: EnvironmentStatus }) {
  if (!env.version) return <Typography variant="body2">—</Typography>;
  return (
    <Tooltip title={env.version.image}>
      <span>
        <Typography
          variant="body2"
          component="span"
          style={{ fontFamily: 'monospace' }}
        >
          {env.version.imageTag ?? env.version.image}
        </Typography>
        {env.version.commitSha && (
          <Typography variant="caption" component="div" color="textSecondary">
            commit {env.version.commitSha.slice(0, 7)}
          </Typography>
        )}
      </span>
    </Tooltip>
  );
}

function StableCell({ env }: { env: EnvironmentStatus }) {
  if (env.stable.state !== 'recorded') {
    return (
      <Typography variant="body2" color="textSecondary">
        unknown
      </Typography>
    );
  }
  const version =
    env.stable.version ?? env.stable.commitSha?.slice(0, 7) ?? 'recorded';
  const current =
    env.stable.commitSha !== undefined &&
    env.stable.commitSha === env.version?.commitSha;
  return (
    <Typography variant="body2" style={{ fontFamily: 'monospace' }}>
      {version}
      {current ? ' (running)' : ''}
    </Typography>
  );
}

const columns: TableColumn<EnvironmentStatus>[] = [
  {
    title: 'Environment',
    field: 'environment',
    render: env => (
      <>
        <Typography variant="body2">{env.environment}</Typography>
        <Typography variant="caption" color="textSecondary">
          {env.cluster} / {env.namespace}
        </Typography>
      </>
    ),
  },
  { title: 'Version', render: env => <VersionCell env={env} /> },
  { title: 'Readiness', render: env => <RolloutCell env={env} /> },
  { title: 'Stable version', render: env => <StableCell env={env} /> },
  {
    title: 'Age',
    render: env =>
      env.deployedAt ? (
        <Tooltip title={new Date(env.deployedAt).toLocaleString()}>
          <span>{formatAge(env.deployedAt)}</span>
        </Tooltip>
      ) : (
        '—'
      ),
  },
];

/**
 * The service in each environment: version, readiness, stable version and age. The tab reads
 * the environments once (the commits card uses them too) and shares them through its context.
 */
export function EnvironmentsCard() {
  const { value, loading, error, retry } = useDeliveryContext().environments;
  if (error)
    return (
      <ResponseErrorPanel
        error={error}
        title="Could not read the environments"
      />
    );
  return (
    <InfoCard
      title="Environments"
      action={
        <IconButton aria-label="Refresh environments" onClick={retry}>
          <RefreshIcon />
        </IconButton>
      }
      noPadding
    >
      {loading && !value ? (
        <Progress />
      ) : (
        <Table<EnvironmentStatus>
          options={CARD_TABLE_OPTIONS}
          columns={columns}
          data={value?.environments ?? []}
        />
      )}
    </InfoCard>
  );
}
