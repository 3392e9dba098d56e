import { ReactNode } from 'react';
import {
  InfoCard,
  Progress,
  Table,
  TableColumn,
} from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import Link from '@material-ui/core/Link';
import Typography from '@material-ui/core/Typography';
import {
  DecisionRecord,
  Incident,
  Rollback,
} from '@internal/plugin-delivery-common';
import {
  RetryableRead,
  useRollbackContext,
} from '../../../hooks/RollbackContext';
import {
  CARD_TABLE_OPTIONS,
  formatDuration,
  formatTime,
  formatUser,
} from '../../DeploymentsTab/shared';
import {
  figuresOf,
  LEVEL_TITLE,
  levelLabel,
  RetryAlert,
  SeverityChip,
  thresholdsOf,
} from '../shared';

/** `4m 05s` between two times; the time since `from` while it goes on. */
function duration(from: string, to?: string) {
  const end = to ? Date.parse(to) : Date.now();
  const text = formatDuration(end - Date.parse(from));
  return to ? text : `${text} so far`;
}

/** A history card: a spinner on the first read, the error with Retry, else the table. */
function HistoryCard<T extends object>({
  title,
  read,
  columns,
  empty,
  label,
}: {
  title: string;
  read: RetryableRead<T[]>;
  columns: TableColumn<T>[];
  empty: ReactNode;
  label: string;
}) {
  let content: ReactNode;
  if (read.error && !read.value) {
    content = (
      <Box p={2}>
        <RetryAlert
          title={`Could not read the ${label}`}
          error={read.error}
          onRetry={read.retry}
        />
      </Box>
    );
  } else if (!read.value) {
    content = <Progress />;
  } else {
    content = (
      <Box aria-label={title} role="region">
        <Table<T>
          options={CARD_TABLE_OPTIONS}
          columns={columns}
          data={read.value}
          emptyContent={<Box p={2}>{empty}</Box>}
        />
      </Box>
    );
  }
  return (
    <InfoCard title={title} noPadding>
      {content}
    </InfoCard>
  );
}

const ROLLBACK_COLUMNS: TableColumn<Rollback>[] = [
  { title: 'Started', render: r => formatTime(r.createdAt) },
  { title: 'Environment', field: 'environment' },
  {
    title: 'Level',
    render: r => `${r.level} · ${LEVEL_TITLE[r.level] ?? ''}`,
  },
  {
    title: 'By',
    render: r =>
      r.automated ? 'automated (engine)' : formatUser(r.requestedBy),
  },
  { title: 'Reason', field: 'reason' },
  {
    title: 'Outcome',
    render: r => (
      <Typography
        variant="body2"
        color={r.status === 'failed' ? 'error' : 'textPrimary'}
      >
        {r.status}
        {r.outcomeReason ? `: ${r.outcomeReason}` : ''}
      </Typography>
    ),
  },
  { title: 'Duration', render: r => duration(r.createdAt, r.finishedAt) },
];

const INCIDENT_COLUMNS: TableColumn<Incident>[] = [
  { title: 'Started', render: i => formatTime(i.startedAt) },
  {
    title: 'Resolved',
    render: i => (i.resolvedAt ? formatTime(i.resolvedAt) : 'not yet'),
  },
  { title: 'Duration', render: i => duration(i.startedAt, i.resolvedAt) },
  { title: 'Environment', field: 'environment' },
  { title: 'Level', render: i => String(i.level) },
  { title: 'Severity', render: i => <SeverityChip severity={i.severity} /> },
  { title: 'Acted by', render: i => formatUser(i.actedBy) },
  { title: 'Reason', field: 'reason' },
  {
    title: 'Issue',
    render: i =>
      i.githubIssueUrl ? (
        <Link href={i.githubIssueUrl} target="_blank" rel="noopener">
          GitHub issue
        </Link>
      ) : (
        '—'
      ),
  },
];

function figuresSummary(d: DecisionRecord): string {
  return figuresOf(d.figures, thresholdsOf(undefined))
    .filter(f => f.value !== 'unknown')
    .map(f => `${f.label} ${f.value}${f.breach ? ' ⚠' : ''}`)
    .join(' · ');
}

const DECISION_COLUMNS: TableColumn<DecisionRecord>[] = [
  { title: 'Decided', render: d => formatTime(d.decidedAt) },
  { title: 'Environment', field: 'environment' },
  { title: 'Level', render: d => levelLabel(d.decision.level) },
  {
    title: 'Severity',
    render: d => <SeverityChip severity={d.decision.severity} />,
  },
  {
    title: 'Reasons',
    render: d => (
      <ul style={{ margin: 0, paddingLeft: 16 }}>
        {d.decision.reasons.map(r => (
          <li key={r}>{r}</li>
        ))}
      </ul>
    ),
  },
  {
    title: 'Figures',
    render: d => (
      <Typography variant="caption">
        {figuresSummary(d)} (over {formatDuration(d.windowSeconds * 1000)})
      </Typography>
    ),
  },
  { title: 'Acted', render: d => d.runId ?? 'no' },
];

/** Past and running rollbacks, newest first. */
export function RollbacksHistoryCard() {
  return (
    <HistoryCard
      title="Rollbacks"
      label="rollbacks"
      read={useRollbackContext().rollbacks}
      columns={ROLLBACK_COLUMNS}
      empty="No rollbacks of this service yet."
    />
  );
}

/** The service's incidents, newest first, with their GitHub issues. */
export function IncidentsCard() {
  return (
    <HistoryCard
      title="Incidents"
      label="incidents"
      read={useRollbackContext().incidents}
      columns={INCIDENT_COLUMNS}
      empty="No incidents recorded for this service."
    />
  );
}

/** The engine's recent decisions with the figures they were made on. */
export function DecisionsCard() {
  return (
    <HistoryCard
      title="Recent decisions"
      label="decisions"
      read={useRollbackContext().decisions}
      columns={DECISION_COLUMNS}
      empty="The decision engine has not decided anything for this service yet."
    />
  );
}
