import { ReactNode, useMemo } from 'react';
import { InfoCard, Progress } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import { DoraMetric, DoraResponse } from '@internal/plugin-delivery-common';
import { DoraScopeRef, useDora } from '../../../hooks/useDora';
import { RetryAlert } from '../../RollbackTab/shared';
import {
  DEFAULT_WEEKS,
  DORA_METRICS,
  KEY_METRICS,
  TargetLine,
  TierBadge,
  formatValue,
  hasValue,
  isEmptyPeriod,
  periodOf,
  refName,
} from '../shared';

/** One of the four keys in a summary: name, value, tier, target verdict. */
export function KeyMetric({
  title,
  metric,
  perTeam,
}: {
  title: string;
  metric: DoraMetric;
  perTeam?: boolean;
}) {
  const present = hasValue(metric);
  return (
    <Box role="group" aria-label={title} data-testid="key-metric">
      <Typography variant="caption" color="textSecondary" component="div">
        {title}
      </Typography>
      <Box
        display="flex"
        alignItems="center"
        flexWrap="wrap"
        style={{ gap: 6 }}
      >
        <Typography variant="h6" component="div" data-testid="value">
          {present && metric.value !== undefined
            ? formatValue(metric.unit, metric.value)
            : '—'}
        </Typography>
        {present && metric.tier && <TierBadge tier={metric.tier} />}
      </Box>
      <TargetLine metric={metric} perTeam={perTeam} showNote={false} />
    </Box>
  );
}

/** The four keys of a DORA read, side by side. */
export function KeyMetrics({ dora }: { dora: DoraResponse }) {
  return (
    <Grid container spacing={2}>
      {KEY_METRICS.map(key => (
        <Grid item xs={6} key={key}>
          <KeyMetric
            title={DORA_METRICS[key].title}
            metric={dora.metrics[key]}
            perTeam={key === 'deploymentFrequency'}
          />
        </Grid>
      ))}
    </Grid>
  );
}

/**
 * A compact card of DORA's four keys over the last 12 weeks (frequency, lead time, change
 * failure rate, recovery time) with their tiers, for an overview page.
 */
export function DoraSummaryCard({
  scope,
  subheader,
  deepLink,
  empty,
}: {
  scope: DoraScopeRef;
  /** Above the metrics, given the read (e.g. `3 services, 2 teams`). */
  subheader?: (dora: DoraResponse) => ReactNode;
  deepLink?: { title: string; link: string };
  /** Why there is nothing to show, given the read; the default says no deployments. */
  empty?: (dora: DoraResponse) => string | undefined;
}) {
  const period = useMemo(() => periodOf(DEFAULT_WEEKS), []);
  const dora = useDora(scope, period);
  let content: ReactNode;
  if (dora.error) {
    content = (
      <RetryAlert
        title={`Could not read the DORA metrics of ${refName(scope.ref)}`}
        error={dora.error}
        onRetry={dora.retry}
      />
    );
  } else if (!dora.value) {
    content = <Progress />;
  } else {
    const why =
      empty?.(dora.value) ??
      (isEmptyPeriod(dora.value)
        ? `No deployments, commits or incidents in the ${period.label}.`
        : undefined);
    content = (
      <>
        {subheader && (
          <Typography
            variant="body2"
            color="textSecondary"
            gutterBottom
            data-testid="dora-scope"
          >
            {subheader(dora.value)}
          </Typography>
        )}
        {why ? (
          <Typography color="textSecondary" data-testid="empty">
            {why}
          </Typography>
        ) : (
          <KeyMetrics dora={dora.value} />
        )}
      </>
    );
  }
  return (
    <InfoCard
      title="DORA"
      subheader={`Delivery performance, ${period.label}`}
      deepLink={deepLink}
    >
      {content}
    </InfoCard>
  );
}
