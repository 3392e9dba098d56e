import { ReactNode, useMemo } from 'react';
import {
  InfoCard,
  Progress,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import {
  DoraGroup,
  DoraReadPeriod,
  TeamDora,
  useTeamsDora,
} from '../../../hooks/useDora';
import { CARD_TABLE_OPTIONS, errorMessage } from '../../DeploymentsTab/shared';
import { RetryAlert } from '../../RollbackTab/shared';
import {
  DORA_METRICS,
  DoraMetricKey,
  KEY_METRICS,
  TierBadge,
  formatValue,
  hasValue,
  refName,
  scopeSize,
} from '../shared';

interface TeamRow {
  id: string;
  ref: string;
  title: string;
  read: TeamDora;
}

function metricCell(row: TeamRow, key: DoraMetricKey): ReactNode {
  const metric = row.read.value?.metrics[key];
  if (!metric || !hasValue(metric) || metric.value === undefined) return '—';
  return (
    <Box
      display="flex"
      alignItems="center"
      style={{ gap: 6 }}
      data-testid={`${key}-${row.ref}`}
    >
      <span>{formatValue(metric.unit, metric.value)}</span>
      {metric.tier && <TierBadge tier={metric.tier} />}
    </Box>
  );
}

/**
 * The teams of a group (its direct sub-groups), each with DORA's four keys and their tiers over
 * the period, rolled up over what each team and its own sub-teams own; each row links to the
 * team's page.
 */
export function TeamsTable({
  group,
  groups,
  period,
}: {
  group: DoraGroup;
  groups: DoraGroup[];
  period: DoraReadPeriod;
}) {
  const teams = useMemo(() => group.children, [group.children]);
  const reads = useTeamsDora(teams, period);
  const byRef = useMemo(
    () => new Map(groups.map(g => [g.ref.toLocaleLowerCase('en-US'), g])),
    [groups],
  );

  const columns: TableColumn<TeamRow>[] = useMemo(
    () => [
      {
        title: 'Team',
        render: row => (
          <Box>
            <EntityRefLink entityRef={row.ref} title={row.title} />
            {row.read.error && (
              <Typography variant="caption" color="error" component="div">
                Could not read: {errorMessage(row.read.error)}
              </Typography>
            )}
          </Box>
        ),
      },
      {
        title: 'Covers',
        render: row => {
          if (!row.read.value) return '—';
          return row.read.value.scope.services === 0
            ? 'no services'
            : scopeSize(row.read.value);
        },
      },
      ...KEY_METRICS.map(
        (key): TableColumn<TeamRow> => ({
          title: DORA_METRICS[key].title,
          render: row => metricCell(row, key),
        }),
      ),
    ],
    [],
  );

  let content: ReactNode;
  if (teams.length === 0) {
    content = (
      <Box p={2}>
        <Typography color="textSecondary">
          {group.title} has no sub-teams.
        </Typography>
      </Box>
    );
  } else if (reads.error) {
    content = (
      <Box p={2}>
        <RetryAlert
          title="Could not read the teams' metrics"
          error={reads.error}
          onRetry={reads.retry}
        />
      </Box>
    );
  } else if (!reads.value) {
    content = <Progress />;
  } else {
    // Teams that own services first, then by name.
    const owns = (row: TeamRow) => (row.read.value?.scope.services ? 0 : 1);
    const rows: TeamRow[] = reads.value
      .map(read => {
        const known = byRef.get(read.ref.toLocaleLowerCase('en-US'));
        return {
          id: read.ref,
          ref: read.ref,
          title: known?.title ?? read.value?.scope.title ?? refName(read.ref),
          read,
        };
      })
      .sort(
        (a, b) => owns(a) - owns(b) || a.title.localeCompare(b.title, 'en'),
      );
    content = (
      <Box role="region" aria-label={`Teams of ${group.title}`}>
        {reads.loading && <Progress />}
        <Table<TeamRow>
          options={CARD_TABLE_OPTIONS}
          columns={columns}
          data={rows}
        />
      </Box>
    );
  }
  return (
    <InfoCard title={`Teams of ${group.title}`} noPadding>
      {content}
    </InfoCard>
  );
}
