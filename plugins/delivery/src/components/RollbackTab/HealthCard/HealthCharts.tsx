import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { useTheme } from '@material-ui/core/styles';
import {
  CartesianGrid,
  Line,
  LineChart,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { HealthSeriesPoint } from '@internal/plugin-delivery-common';

const time = (iso: string) =>
  new Date(iso).toLocaleTimeString(undefined, {
    hour: '2-digit',
    minute: '2-digit',
  });

function Chart({
  title,
  data,
  dataKey,
  unit,
  threshold,
  color,
}: {
  title: string;
  data: Array<Record<string, number | string | undefined>>;
  dataKey: string;
  unit: string;
  threshold: number;
  color: string;
}) {
  const theme = useTheme();
  return (
    <Box flex="1 1 280px" minWidth={0} role="figure" aria-label={title}>
      <Typography variant="caption" color="textSecondary">
        {title}
      </Typography>
      <ResponsiveContainer
        width="100%"
        height={160}
        initialDimension={{ width: 320, height: 160 }}
      >
        <LineChart
          data={data}
          margin={{ top: 8, right: 16, bottom: 0, left: 0 }}
        >
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="time" minTickGap={24} tick={{ fontSize: 11 }} />
          <YAxis
            unit={unit}
            width={56}
            tick={{ fontSize: 11 }}
            domain={[0, (max: number) => Math.max(max, threshold * 1.25)]}
          />
          <Tooltip formatter={(v: unknown) => `${v}${unit}`} />
          <ReferenceLine
            y={threshold}
            stroke={theme.palette.error.main}
            strokeDasharray="6 3"
            label={{
              value: `limit ${threshold}${unit}`,
              position: 'insideTopRight',
              fontSize: 11,
              fill: theme.palette.error.main,
            }}
          />
          <Line
            type="monotone"
            dataKey={dataKey}
            stroke={color}
            dot={false}
            isAnimationActive={false}
            connectNulls
          />
        </LineChart>
      </ResponsiveContainer>
    </Box>
  );
}

/**
 * The last hour's error rate (percent) and p95 latency (seconds), one point a minute, with the
 * thresholds the engine judges them by as dashed red lines.
 */
export function HealthCharts({
  series,
  errorRateLimit,
  p95Limit,
}: {
  series: HealthSeriesPoint[];
  /** Share, 0..1 (1 % by default). */
  errorRateLimit: number;
  /** Seconds (2 s by default). */
  p95Limit: number;
}) {
  const theme = useTheme();
  if (series.length === 0) {
    return (
      <Typography variant="body2" color="textSecondary">
        No chart data for the last hour.
      </Typography>
    );
  }
  const data = series.map(p => ({
    time: time(p.at),
    errorRate:
      p.errorRate === undefined
        ? undefined
        : Math.round(p.errorRate * 10000) / 100,
    p95:
      p.p95Seconds === undefined
        ? undefined
        : Math.round(p.p95Seconds * 1000) / 1000,
  }));
  return (
    <Box display="flex" flexWrap="wrap" style={{ gap: 16 }}>
      <Chart
        title="Error rate, last hour"
        data={data}
        dataKey="errorRate"
        unit=" %"
        threshold={Math.round(errorRateLimit * 10000) / 100}
        color={theme.palette.primary.main}
      />
      <Chart
        title="p95 latency, last hour"
        data={data}
        dataKey="p95"
        unit=" s"
        threshold={p95Limit}
        color={theme.palette.secondary.main}
      />
    </Box>
  );
}
