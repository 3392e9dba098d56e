import { useMemo, useState } from 'react';
import { InfoCard, Table, TableColumn } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import Link from '@material-ui/core/Link';
import { Deployment } from '@internal/plugin-delivery-common';
import { useDeliveryContext } from '../../../hooks/DeliveryContext';
import { DeploymentDetails, DeploymentStatusLabel } from '../Deployment';
import {
  formatDuration,
  formatTime,
  formatUser,
  shortSha,
  CARD_TABLE_OPTIONS,
} from '../shared';

function columns(onOpen: (token: string) => void): TableColumn<Deployment>[] {
  return [
    {
      title: 'Token',
      render: d => (
        <Link
          component="button"
          variant="body2"
          aria-label={`Show ${d.token}`}
          onClick={() => onOpen(d.token)}
        >
          {d.token}
        </Link>
      ),
    },
    {
      title: 'Commit',
      render: d => (
        <span style={{ fontFamily: 'monospace' }}>{shortSha(d.commitSha)}</span>
      ),
    },
    { title: 'Requester', render: d => formatUser(d.requestedBy) },
    {
      title: 'Status',
      render: d => <DeploymentStatusLabel status={d.status} />,
    },
    { title: 'Reason', render: d => d.reason ?? '' },
    { title: 'Started', render: d => formatTime(d.startedAt) },
    { title: 'Finished', render: d => formatTime(d.finishedAt) },
    {
      title: 'Duration',
      render: d =>
        d.startedAt && d.finishedAt
          ? formatDuration(Date.parse(d.finishedAt) - Date.parse(d.startedAt))
          : '—',
    },
  ];
}

/** Finished deployments, newest first (as the backend orders them); a token opens its stepper. */
export function HistoryCard() {
  const history = useDeliveryContext().deployments.value?.history ?? [];
  const [opened, setOpened] = useState<string>();
  const tableColumns = useMemo(() => columns(setOpened), []);
  return (
    <InfoCard title="History" noPadding>
      <Table<Deployment>
        options={CARD_TABLE_OPTIONS}
        columns={tableColumns}
        data={history}
        emptyContent={<Box p={2}>No finished deployments yet.</Box>}
      />
      {opened && (
        <Box px={2} pb={2}>
          <DeploymentDetails
            token={opened}
            onClose={() => setOpened(undefined)}
          />
        </Box>
      )}
    </InfoCard>
  );
}
