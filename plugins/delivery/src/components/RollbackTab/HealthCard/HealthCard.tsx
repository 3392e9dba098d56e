import { InfoCard, Progress } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import Divider from '@material-ui/core/Divider';
import Typography from '@material-ui/core/Typography';
import { Rollback } from '@internal/plugin-delivery-common';
import { EnvironmentHealth } from '../../../hooks/useRollbacks';
import {
  formatDuration,
  formatTime,
  shortSha,
} from '../../DeploymentsTab/shared';
import {
  figuresOf,
  LevelSituation,
  recommendedLevel,
  RetryAlert,
  stableVersionIn,
  thresholdsOf,
  versionIn,
} from '../shared';
import { DecisionPanel } from './DecisionPanel';
import { EndpointsTable } from './EndpointsTable';
import { FigureTiles } from './FigureTiles';
import { HealthCharts } from './HealthCharts';
import { LevelButtons } from './LevelButtons';

/**
 * One environment, what matters most first: whether the service is up, its figures against the
 * thresholds (breaches in red), the engine's recommendation and whether it acts on its own, the
 * rollback buttons; then the last hour's charts and the errors per endpoint. Metrics that cannot be read (a 503 or 502) are
 * said here with a Retry, and the buttons stay (escalating needs no metrics).
 */
export function HealthCard({
  situation,
  read,
  loading,
  onRetry,
  onStarted,
}: {
  situation: LevelSituation;
  /** Undefined while the first read is under way. */
  read?: EnvironmentHealth;
  loading: boolean;
  onRetry: () => void;
  onStarted: (rollback: Rollback) => void;
}) {
  const { environment } = situation;
  const health = read?.value;
  const version = versionIn(situation, environment);
  const stable = stableVersionIn(situation, environment);
  const t = thresholdsOf(health?.thresholds);
  const figures = health ? figuresOf(health.figures, t) : [];
  const breaches = figures.filter(f => f.breach).length;

  const subheader = (
    <Box display="flex" flexWrap="wrap" alignItems="center" style={{ gap: 8 }}>
      {health && (
        <Chip
          size="small"
          label={health.figures.up ? 'up' : 'down'}
          style={{
            backgroundColor: health.figures.up ? '#2e7d32' : '#d32f2f',
            color: '#fff',
          }}
        />
      )}
      {breaches > 0 && (
        <Chip
          size="small"
          color="secondary"
          label={`${breaches} threshold${breaches === 1 ? '' : 's'} breached`}
        />
      )}
      <Typography variant="body2" color="textSecondary">
        runs {version ? shortSha(version) : 'an unknown version'} · stable{' '}
        {stable ? shortSha(stable) : 'none recorded'}
        {health?.cluster ? ` · cluster ${health.cluster}` : ''}
      </Typography>
    </Box>
  );

  return (
    <InfoCard title={environment} subheader={subheader}>
      <Box
        display="flex"
        flexDirection="column"
        style={{ gap: 16 }}
        data-testid={`health-${environment}`}
      >
        {!read && loading && <Progress />}
        {read?.error && (
          <RetryAlert
            title={`The metrics of ${environment} could not be read`}
            error={read.error}
            onRetry={onRetry}
          />
        )}
        {health && (
          <>
            <Typography variant="caption" color="textSecondary">
              {read?.error ? 'Last figures read: ' : ''}over{' '}
              {formatDuration(health.window.seconds * 1000)}, from{' '}
              {formatTime(health.window.from)} to {formatTime(health.window.to)}
            </Typography>
            <FigureTiles environment={environment} figures={figures} />
            <DecisionPanel
              environment={environment}
              decision={health.decision}
              automation={health.automation}
            />
          </>
        )}
        <LevelButtons
          situation={situation}
          recommended={recommendedLevel(health?.decision)}
          onStarted={onStarted}
        />
        {health && (
          <>
            <Divider />
            <HealthCharts
              series={health.series}
              errorRateLimit={t.errorRate}
              p95Limit={t.p95Seconds}
            />
            <EndpointsTable
              environment={environment}
              endpoints={health.figures.endpoints}
              flags={health.flags}
              errorRateLimit={t.errorRate}
            />
          </>
        )}
      </Box>
    </InfoCard>
  );
}
