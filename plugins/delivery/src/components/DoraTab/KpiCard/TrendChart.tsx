import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { useTheme } from '@material-ui/core/styles';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
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
  formatDurationShort,
  formatNumber,
  formatRateTick,
  formatTick,
  formatValue,
} from '../shared';

const HEIGHT = 110;

/** The top of the axis when every point is zero: 5 %, 1 h, 1 a day. */
const EMPTY_MAX: Record<DoraMetric['unit'], number> = {
  ratio: 0.05,
  milliseconds: 3_600_000,
  perDay: 1,
};

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
  // The tooltip in full (`1 h 35 min`), the axis in one unit (`1.5 h`).
  const format = (v: unknown) => {
    if (typeof v !== 'number') return '—';
    return metric.unit === 'perDay'
      ? `${formatNumber(v)} / day`
      : formatValue(metric.unit, v);
  };
  const tick = (v: unknown) => {
    if (typeof v !== 'number') return '';
    if (metric.unit === 'milliseconds') return formatDurationShort(v);
    return metric.unit === 'perDay' ? `${formatRateTick(v)} / day` : format(v);
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
        tickFormatter={tick}
        allowDecimals
        // All zeros would give recharts' default domain (0 to 4, i.e. 400 %).
        domain={[0, (max: number) => (max > 0 ? max : EMPTY_MAX[metric.unit])]}
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
              <Legend
                height={14}
                iconSize={8}
                wrapperStyle={{ fontSize: 10 }}
              />
            )}
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
