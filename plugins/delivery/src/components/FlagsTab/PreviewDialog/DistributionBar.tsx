import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { useTheme } from '@material-ui/core/styles';
import { Share } from './distribution';

const formatPercent = (p: number) =>
  `${p.toLocaleString('en-US', { maximumFractionDigits: 1 })} %`;

/** One stacked bar of the variants' shares with a legend; no chart library needed. */
export function DistributionBar({
  shares,
  total,
}: {
  shares: Share[];
  total: number;
}) {
  const theme = useTheme();
  const colors = [
    theme.palette.primary.main,
    theme.palette.grey[400],
    theme.palette.secondary.main,
    theme.palette.success?.main ?? theme.palette.primary.light,
    theme.palette.warning?.main ?? theme.palette.secondary.light,
    theme.palette.info?.main ?? theme.palette.primary.dark,
  ];
  const color = (i: number) => colors[i % colors.length];
  const summary = shares
    .map(s => `${s.variant} ${formatPercent(s.percent)}`)
    .join(', ');
  return (
    <Box>
      <Box
        role="img"
        aria-label={`Distribution over ${total.toLocaleString(
          'en-US',
        )} sample users: ${summary}`}
        display="flex"
        height={16}
        width="100%"
        borderRadius={4}
        overflow="hidden"
      >
        {shares.map((s, i) => (
          <Box
            key={s.variant}
            width={`${s.percent}%`}
            style={{ backgroundColor: color(i) }}
          />
        ))}
      </Box>
      <Box display="flex" flexWrap="wrap" mt={1} style={{ gap: 16 }}>
        {shares.map((s, i) => (
          <Box key={s.variant} display="flex" alignItems="center">
            <Box
              width={10}
              height={10}
              mr={0.5}
              style={{ backgroundColor: color(i) }}
            />
            <Typography variant="body2">
              {s.variant}: {s.count} ({formatPercent(s.percent)})
            </Typography>
          </Box>
        ))}
      </Box>
    </Box>
  );
}
