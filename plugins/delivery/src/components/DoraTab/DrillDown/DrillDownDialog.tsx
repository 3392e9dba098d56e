import { ReactNode, useMemo, useState } from 'react';
import { Progress, Table } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import TablePagination from '@material-ui/core/TablePagination';
import Typography from '@material-ui/core/Typography';
import GetAppIcon from '@material-ui/icons/GetApp';
import Alert from '@material-ui/lab/Alert';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import {
  DoraCommit,
  DoraDeployment,
  DoraIncident,
  DoraResponse,
} from '@internal/plugin-delivery-common';
import { deliveryApiRef } from '../../../api';
import {
  DoraScopeRef,
  scopeQuery,
  useDoraDetails,
} from '../../../hooks/useDora';
import { CARD_TABLE_OPTIONS, errorMessage } from '../../DeploymentsTab/shared';
import { RetryAlert } from '../../RollbackTab/shared';
import {
  DORA_METRICS,
  DoraMetricKey,
  formatCount,
  formatDate,
  localIso,
  plural,
  refName,
  saveFile,
} from '../shared';
import {
  commitColumns,
  deploymentColumns,
  incidentColumns,
  useTokenLink,
} from './columns';

/** Rows per page of the list; the backend answers up to 1,000. */
export const PAGE_SIZES = [20, 50, 100];

const KIND_SINGULAR = {
  deployments: 'deployment',
  commits: 'commit',
  incidents: 'incident',
} as const;

/** `dora-commits-payments-api-2026-09-04-2026-11-26.csv`, in the user's local dates. */
function csvName(kind: string, scopeRef: string, from: string, to: string) {
  const day = (iso: string) => localIso(new Date(iso)).slice(0, 10);
  return `dora-${kind}-${refName(scopeRef)}-${day(from)}-${day(to)}.csv`;
}

/**
 * The list behind one metric, over exactly the period the metrics were read for: deployments
 * (frequency, change failure rate, success and rework rates), commits (lead time) or incidents
 * (recovery time), newest first, a page at a time; each deployment links to its token on the
 * Deployments tab (portal deployments) or to GitHub (deployments made elsewhere), failed and
 * rework ones marked. Export CSV downloads the whole list through the authenticated fetch.
 */
export function DrillDownDialog({
  scope,
  dora,
  metric,
  onClose,
}: {
  scope: DoraScopeRef;
  dora: DoraResponse;
  metric: DoraMetricKey;
  onClose: () => void;
}) {
  const api = useApi(deliveryApiRef);
  const definition = DORA_METRICS[metric];
  const kind = definition.details;
  const [page, setPage] = useState(0);
  const [pageSize, setPageSize] = useState(PAGE_SIZES[0]);
  const details = useDoraDetails({
    scope,
    from: dora.from,
    to: dora.to,
    kind,
    page,
    pageSize,
  });
  const tokenLink = useTokenLink();
  const withService = scope.kind === 'group';
  const titleId = `dora-details-${metric}`;

  const [csv, exportCsv] = useAsyncFn(async () => {
    const file = await api.getDoraDetailsCsv({
      ...scopeQuery(scope.kind, scope.ref),
      from: dora.from,
      to: dora.to,
      kind,
    });
    saveFile(
      file.blob,
      file.filename ?? csvName(kind, scope.ref, dora.from, dora.to),
    );
  }, [api, scope.kind, scope.ref, dora.from, dora.to, kind]);

  const columns = useMemo(
    () => ({
      deployments: deploymentColumns(tokenLink, withService),
      commits: commitColumns(tokenLink, withService),
      incidents: incidentColumns(tokenLink, withService),
    }),
    [tokenLink, withService],
  );

  let content: ReactNode;
  const value = details.value;
  if (details.error) {
    content = (
      <RetryAlert
        title={`Could not read the ${kind}`}
        error={details.error}
        onRetry={details.retry}
      />
    );
  } else if (!value) {
    content = <Progress />;
  } else if (value.total === 0) {
    content = (
      <Typography color="textSecondary" data-testid="details-empty">
        {definition.empty(dora.metrics[metric])}
      </Typography>
    );
  } else {
    const table = (() => {
      switch (kind) {
        case 'commits':
          return (
            <Table<DoraCommit>
              options={CARD_TABLE_OPTIONS}
              columns={columns.commits}
              data={value.commits ?? []}
            />
          );
        case 'incidents':
          return (
            <Table<DoraIncident>
              options={CARD_TABLE_OPTIONS}
              columns={columns.incidents}
              data={value.incidents ?? []}
            />
          );
        default:
          return (
            <Table<DoraDeployment>
              options={CARD_TABLE_OPTIONS}
              columns={columns.deployments}
              data={value.deployments ?? []}
            />
          );
      }
    })();
    content = (
      <>
        {details.loading && <Progress />}
        <Box role="region" aria-label={`${definition.title}: ${kind}`}>
          {table}
        </Box>
        <TablePagination
          component="div"
          count={value.total}
          page={page}
          rowsPerPage={pageSize}
          rowsPerPageOptions={PAGE_SIZES}
          onPageChange={(_event, next) => setPage(next)}
          onRowsPerPageChange={event => {
            setPageSize(Number(event.target.value));
            setPage(0);
          }}
        />
      </>
    );
  }

  return (
    <Dialog
      open
      onClose={onClose}
      maxWidth="lg"
      fullWidth
      aria-labelledby={titleId}
    >
      <DialogTitle id={titleId}>
        {definition.title}: the {kind} behind it
      </DialogTitle>
      <DialogContent>
        <Typography variant="body2" color="textSecondary" gutterBottom>
          {refName(scope.ref)} · {formatDate(dora.from)} – {formatDate(dora.to)}
          {value &&
            ` · ${plural(value.total, KIND_SINGULAR[kind])}${
              value.total > pageSize
                ? `, newest first, ${formatCount(pageSize)} a page`
                : ''
            }`}
        </Typography>
        {csv.error && (
          <Alert severity="error">
            Could not export the CSV: {errorMessage(csv.error)}
          </Alert>
        )}
        {content}
      </DialogContent>
      <DialogActions>
        <Button
          startIcon={<GetAppIcon />}
          onClick={exportCsv}
          disabled={csv.loading || !value || value.total === 0}
        >
          {csv.loading ? 'Exporting…' : 'Export CSV'}
        </Button>
        <Button onClick={onClose} color="primary">
          Close
        </Button>
      </DialogActions>
    </Dialog>
  );
}
