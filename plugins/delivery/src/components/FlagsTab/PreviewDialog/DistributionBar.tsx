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
  onVariant,
  offVariant,
}: {
  shares: Share[];
  total: number;
  /** Drawn in the primary colour, whatever its share. */
  onVariant: string;
  /** Drawn in grey. */
  offVariant: string;
}) {
  const theme = useTheme();
  const others = [
    theme.palette.secondary.main,
    theme.palette.success.main,
    theme.palette.warning.main,
    theme.palette.info.main,
    theme.palette.error.main,
  ];
  const otherVariants = shares
    .map(s => s.variant)
    .filter(v => v !== onVariant && v !== offVariant);
  const colorOf = (variant: string) => {
    if (variant === onVariant) return theme.palette.primary.main;
    if (variant === offVariant) return theme.palette.grey[400];
    return others[otherVariants.indexOf(variant) % others.length];
  };
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
        {shares.map(s => (
          <Box
            key={s.variant}
            width={`${s.percent}%`}
            style={{ backgroundColor: colorOf(s.variant) }}
          />
        ))}
      </Box>
      <Box display="flex" flexWrap="wrap" mt={1} style={{ gap: 16 }}>
        {shares.map(s => (
          <Box key={s.variant} display="flex" alignItems="center">
            <Box
              width={10}
              height={10}
              mr={0.5}
              style={{ backgroundColor: colorOf(s.variant) }}
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
