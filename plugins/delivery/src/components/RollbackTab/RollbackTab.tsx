import { useState } from 'react';
import { Progress } from '@backstage/core-components';
import Grid from '@material-ui/core/Grid';
import {
  MissingAnnotationEmptyState,
  useEntity,
} from '@backstage/plugin-catalog-react';
import { missingAnnotations, Rollback } from '@internal/plugin-delivery-common';
import {
  RollbackProvider,
  useRollbackContext,
} from '../../hooks/RollbackContext';
import { HealthCard } from './HealthCard';
import {
  DecisionsCard,
  IncidentsCard,
  RollbacksHistoryCard,
} from './HistoryCards';
import { RunningRollbackCard } from './RunningRollbackCard';
import { LevelSituation, RetryAlert } from './shared';

function RollbackCards() {
  const { environments, health, permissions, running } = useRollbackContext();
  const [started, setStarted] = useState<Rollback>();

  let healthCards;
  if (environments.error && !environments.value) {
    healthCards = (
      <Grid item xs={12}>
        <RetryAlert
          title="Could not read the service's environments"
          error={environments.error}
          onRetry={environments.retry}
        />
      </Grid>
    );
  } else if (!environments.value) {
    healthCards = (
      <Grid item xs={12}>
        <Progress />
      </Grid>
    );
  } else {
    const statuses = environments.value.environments;
    const pipeline = statuses.map(e => e.environment);
    const base: Omit<LevelSituation, 'environment'> = {
      pipeline,
      health: Object.fromEntries(
        pipeline.map(e => [e, health.value?.[e]?.value]),
      ),
      stable: Object.fromEntries(
        statuses.map(e => [
          e.environment,
          e.stable.state === 'recorded' ? e.stable.commitSha : undefined,
        ]),
      ),
      running: Object.fromEntries(
        statuses.map(e => [e.environment, e.version?.commitSha]),
      ),
      permissions,
      runningRollback: running,
    };
    healthCards =
      pipeline.length === 0 ? (
        <Grid item xs={12}>
          <RetryAlert
            title="No environments are configured for this service"
            error={new Error('delivery.environments lists none.')}
            onRetry={environments.retry}
          />
        </Grid>
      ) : (
        pipeline.map(environment => (
          <Grid item xs={12} key={environment}>
            <HealthCard
              situation={{ ...base, environment }}
              read={health.value?.[environment]}
              loading={health.loading}
              onRetry={health.retry}
              onStarted={setStarted}
            />
          </Grid>
        ))
      );
  }

  return (
    <Grid container spacing={3}>
      <Grid item xs={12}>
        <RunningRollbackCard started={started} />
      </Grid>
      {healthCards}
      <Grid item xs={12}>
        <RollbacksHistoryCard />
      </Grid>
      <Grid item xs={12}>
        <IncidentsCard />
      </Grid>
      <Grid item xs={12}>
        <DecisionsCard />
      </Grid>
    </Grid>
  );
}

/**
 * The Rollback tab of a service, for the engineer paged at night: the health of each
 * environment (pipeline order) against the thresholds with charts, the decision engine's
 * recommendation and whether it acts on its own, one button per rollback level with a
 * confirmation, the running rollback's stages, and the rollbacks, incidents and decisions so
 * far. Everything is read from one {@link RollbackProvider}, live through the rollback signal
 * with polling as the fallback.
 */
export function RollbackTab() {
  const { entity } = useEntity();
  const missing = missingAnnotations(entity.metadata.annotations);
  if (missing.length > 0) {
    return <MissingAnnotationEmptyState annotation={missing} />;
  }
  return (
    <RollbackProvider entity={entity}>
      <RollbackCards />
    </RollbackProvider>
  );
}
