import Box from '@material-ui/core/Box';
import Card from '@material-ui/core/Card';
import CardActionArea from '@material-ui/core/CardActionArea';
import CardContent from '@material-ui/core/CardContent';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import InfoIcon from '@material-ui/icons/InfoOutlined';
import { DoraMetric, DoraTrendPoint } from '@internal/plugin-delivery-common';
import {
  BUCKET_LABEL,
  DoraMetricDefinition,
  TargetLine,
  TierBadge,
  formatDurationMs,
  formatNumber,
  formatValue,
  hasValue,
} from '../shared';
import { TrendChart } from './TrendChart';

/** The line under the value: per week or per day and DORA's bucket, or lead time's p90. */
function secondary(metric: DoraMetric): string | undefined {
  if (!hasValue(metric)) return undefined;
  if (metric.unit === 'perDay' && metric.value !== undefined) {
    const other =
      metric.value >= 1
        ? `${formatNumber(metric.perWeek ?? metric.value * 7)} / week`
        : `${formatNumber(metric.value)} / day`;
    return metric.bucket
      ? `${other} · DORA: ${BUCKET_LABEL[metric.bucket]}`
      : other;
  }
  if (metric.p90 !== undefined) return `p90 ${formatDurationMs(metric.p90)}`;
  return undefined;
}

/**
 * One DORA metric: its value for people, its DORA tier, our target met or not, how many items
 * it comes from and its trend. The upper part is a button that opens the list behind it.
 */
export function KpiCard({
  definition,
  metric,
  trend,
  interval,
  onOpen,
}: {
  definition: DoraMetricDefinition;
  metric: DoraMetric;
  trend: DoraTrendPoint[];
  interval: 'day' | 'week';
  onOpen: () => void;
}) {
  const present = hasValue(metric);
  const detail = secondary(metric);
  return (
    <Card
      variant="outlined"
      style={{ height: '100%' }}
      data-testid={`dora-${definition.key}`}
      component="section"
      aria-label={definition.title}
    >
      <CardActionArea
        onClick={onOpen}
        aria-label={`Show the ${definition.details} behind ${definition.title}`}
      >
        <CardContent>
          <Box display="flex" alignItems="center" style={{ gap: 4 }}>
            <Typography variant="subtitle2" style={{ flexGrow: 1 }}>
              {definition.title}
            </Typography>
            <Tooltip title={definition.definition}>
              <InfoIcon fontSize="small" color="disabled" />
            </Tooltip>
          </Box>
          <Box
            display="flex"
            alignItems="center"
            flexWrap="wrap"
            style={{ gap: 8 }}
            my={0.5}
          >
            <Typography variant="h4" component="div" data-testid="value">
              {present && metric.value !== undefined
                ? formatValue(metric.unit, metric.value)
                : '—'}
            </Typography>
            {present && metric.tier && <TierBadge tier={metric.tier} />}
          </Box>
          {detail && (
            <Typography
              variant="body2"
              color="textSecondary"
              data-testid="detail"
            >
              {detail}
            </Typography>
          )}
          {present ? (
            <Typography
              variant="caption"
              color="textSecondary"
              component="div"
              data-testid="sample"
            >
              {definition.sample(metric)}
            </Typography>
          ) : (
            <Typography
              variant="body2"
              color="textSecondary"
              data-testid="empty"
            >
              {definition.empty(metric)}
            </Typography>
          )}
          <Box mt={1}>
            <TargetLine
              metric={metric}
              perTeam={definition.key === 'deploymentFrequency'}
            />
          </Box>
        </CardContent>
      </CardActionArea>
      <Box px={1} pb={1}>
        <TrendChart
          definition={definition}
          metric={metric}
          trend={trend}
          interval={interval}
        />
      </Box>
    </Card>
  );
}
