import { useMemo, useState } from 'react';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { DoraMetricsView } from './DoraMetricsView';
import { PeriodSelector } from './PeriodSelector';
import { DEFAULT_WEEKS, periodOf } from './shared';

/**
 * The DORA tab of a service: deployment frequency, lead time for changes (median and p90),
 * change failure rate, failed-deployment recovery time, deployment success rate and rework rate
 * over the chosen period, each with its DORA tier, our target, the sample it comes from and its
 * trend; a card opens the deployments, commits or incidents behind it.
 */
export function DoraTab() {
  const { entity } = useEntity();
  const ref = stringifyEntityRef(entity);
  const [weeks, setWeeks] = useState(DEFAULT_WEEKS);
  // The period starts at a local midnight computed when it is chosen.
  const period = useMemo(() => periodOf(weeks), [weeks]);
  const scope = useMemo(() => ({ kind: 'entity' as const, ref }), [ref]);
  return (
    <Box>
      <Box
        display="flex"
        alignItems="center"
        flexWrap="wrap"
        style={{ gap: 16 }}
        mb={2}
      >
        <Typography variant="h5" style={{ flexGrow: 1 }}>
          DORA metrics, {period.label}
        </Typography>
        <PeriodSelector weeks={weeks} onChange={setWeeks} />
      </Box>
      <DoraMetricsView scope={scope} period={period} label={period.label} />
    </Box>
  );
}
