import { useState } from 'react';
import { EmptyState, Progress } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import Grid from '@material-ui/core/Grid';
import LinearProgress from '@material-ui/core/LinearProgress';
import Typography from '@material-ui/core/Typography';
import { DoraReadPeriod, DoraScopeRef, useDora } from '../../hooks/useDora';
import { RetryAlert } from '../RollbackTab/shared';
import { DrillDownDialog } from './DrillDown';
import { KpiCard } from './KpiCard';
import {
  DORA_METRICS,
  DoraMetricKey,
  METRIC_ORDER,
  formatDate,
  isEmptyPeriod,
  refName,
  scopeSize,
} from './shared';

/**
 * The six DORA metrics of a service or a team as KPI cards over a period, each opening the list
 * behind it; a progress bar while reading, the backend's message when the read fails, and an
 * empty state that says why when nothing happened in the period.
 */
export function DoraMetricsView({
  scope,
  period,
  label,
}: {
  scope: DoraScopeRef;
  period: DoraReadPeriod;
  /** The period for people: `last 12 weeks`. */
  label: string;
}) {
  const dora = useDora(scope, period);
  const [opened, setOpened] = useState<DoraMetricKey>();
  const name = refName(scope.ref);

  if (dora.error) {
    return (
      <RetryAlert
        title={`Could not read the DORA metrics of ${name}`}
        error={dora.error}
        onRetry={dora.retry}
      />
    );
  }
  const value = dora.value;
  if (!value) return <Progress />;

  if (scope.kind === 'group' && value.scope.services === 0) {
    return (
      <EmptyState
        missing="data"
        title={`${value.scope.title ?? name} owns no services`}
        description="Neither this group nor its sub-teams own a service in the catalog, so there is nothing to measure. Services count for the group named in their spec.owner."
      />
    );
  }

  return (
    <Box data-testid="dora-metrics">
      {dora.loading && <LinearProgress aria-label="Reading the metrics" />}
      <Typography
        variant="body2"
        color="textSecondary"
        gutterBottom
        data-testid="dora-scope"
      >
        {value.scope.title ?? name}
        {scope.kind === 'group' ? ` · ${scopeSize(value)}` : ''} ·{' '}
        {formatDate(value.from)} – {formatDate(value.to)}, by {value.interval}
      </Typography>
      {isEmptyPeriod(value) ? (
        <EmptyState
          missing="data"
          title={`No deployments in the ${label}`}
          description={`Nothing was deployed to production, committed or reported as an incident for ${name} between ${formatDate(
            value.from,
          )} and ${formatDate(
            value.to,
          )}. The figures come from the portal's own deployments and from GitHub (deployment_status, push and issues labelled incident). Choose a longer period, or deploy.`}
        />
      ) : (
        <Grid container spacing={2}>
          {METRIC_ORDER.map(key => (
            <Grid item xs={12} sm={6} lg={4} key={key}>
              <KpiCard
                definition={DORA_METRICS[key]}
                metric={value.metrics[key]}
                trend={value.trend}
                interval={value.interval}
                onOpen={() => setOpened(key)}
              />
            </Grid>
          ))}
        </Grid>
      )}
      {opened && (
        <DrillDownDialog
          scope={scope}
          dora={value}
          metric={opened}
          onClose={() => setOpened(undefined)}
        />
      )}
    </Box>
  );
}
