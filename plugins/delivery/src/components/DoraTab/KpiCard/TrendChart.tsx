import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { useTheme } from '@material-ui/core/styles';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Line,
  LineChart,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { DoraMetric, DoraTrendPoint } from '@internal/plugin-delivery-common';
import {
  DoraMetricDefinition,
  formatNumber,
  formatTick,
  formatValue,
} from '../shared';

const HEIGHT = 110;

/**
 * A metric's trend over the period, one point per interval (`trend[]` of the response): bars
 * of deployments per day for frequency, lines otherwise (lead time's p90 dashed), our target
 * as a dashed line where it compares the same quantity. Intervals with nothing to measure are
 * gaps.
 */
export function TrendChart({
  definition,
  metric,
  trend,
  interval,
}: {
  definition: DoraMetricDefinition;
  metric: DoraMetric;
  trend: DoraTrendPoint[];
  interval: 'day' | 'week';
}) {
  const theme = useTheme();
  const label = `${definition.title}, by ${interval}`;
  if (trend.length === 0) {
    return (
      <Typography variant="caption" color="textSecondary">
        No trend for this period.
      </Typography>
    );
  }
  const data = trend.map(p => ({
    tick: formatTick(p.from),
    value: p[definition.trend] as number | undefined,
    secondary: definition.trendSecondary
      ? (p[definition.trendSecondary] as number | undefined)
      : undefined,
  }));
  const format = (v: unknown) => {
    if (typeof v !== 'number') return '—';
    // Per day on every tick: the trend's values are small and compared with each other.
    return metric.unit === 'perDay'
      ? `${formatNumber(v)} / day`
      : formatValue(metric.unit, v);
  };
  const axis = {
    x: (
      <XAxis
        dataKey="tick"
        minTickGap={16}
        tick={{ fontSize: 10 }}
        tickLine={false}
      />
    ),
    y: (
      <YAxis
        width={64}
        tick={{ fontSize: 10 }}
        tickFormatter={format}
        allowDecimals
      />
    ),
  };
  // Frequency's target is per team and the trend is the scope's total: no line for it.
  const target =
    metric.target && metric.unit !== 'perDay' ? metric.target.value : undefined;
  return (
    <Box role="figure" aria-label={label} data-testid="trend">
      <ResponsiveContainer
        width="100%"
        height={HEIGHT}
        initialDimension={{ width: 280, height: HEIGHT }}
      >
        {metric.unit === 'perDay' ? (
          <BarChart
            data={data}
            margin={{ top: 6, right: 8, bottom: 0, left: 0 }}
          >
            <CartesianGrid strokeDasharray="3 3" vertical={false} />
            {axis.x}
            {axis.y}
            <Tooltip formatter={format} />
            <Bar
              dataKey="value"
              name="Deployments per day"
              fill={theme.palette.primary.main}
              isAnimationActive={false}
            />
          </BarChart>
        ) : (
          <LineChart
            data={data}
            margin={{ top: 6, right: 8, bottom: 0, left: 0 }}
          >
            <CartesianGrid strokeDasharray="3 3" vertical={false} />
            {axis.x}
            {axis.y}
            <Tooltip formatter={format} />
            {target !== undefined && (
              <ReferenceLine
                y={target}
                stroke={theme.palette.text.secondary}
                strokeDasharray="6 3"
                ifOverflow="extendDomain"
              />
            )}
            <Line
              type="monotone"
              dataKey="value"
              name={definition.trendSecondary ? 'Median' : definition.title}
              stroke={theme.palette.primary.main}
              dot={{ r: 2 }}
              isAnimationActive={false}
              connectNulls={false}
            />
            {definition.trendSecondary && (
              <Line
                type="monotone"
                dataKey="secondary"
                name="p90"
                stroke={theme.palette.secondary.main}
                strokeDasharray="4 2"
                dot={false}
                isAnimationActive={false}
                connectNulls={false}
              />
            )}
          </LineChart>
        )}
      </ResponsiveContainer>
    </Box>
  );
}
