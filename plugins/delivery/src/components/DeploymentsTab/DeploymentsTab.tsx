import Grid from '@material-ui/core/Grid';
import { Entity } from '@backstage/catalog-model';
import {
  MissingAnnotationEmptyState,
  useEntity,
} from '@backstage/plugin-catalog-react';
import { missingAnnotations } from '@internal/plugin-delivery-common';
import { useEnvironments } from '../../hooks/useDelivery';
import { useDeployments } from '../../hooks/useDeployments';
import { useCurrentUser } from '../../hooks/useCurrentUser';
import { useDeliveryPermissions } from '../../hooks/useDeliveryPermissions';
import { EnvironmentsCard } from './EnvironmentsCard';
import { CommitsCard } from './CommitsCard';
import { QueueCard } from './QueueCard';
import { HistoryCard } from './HistoryCard';

function DeliveryCards({ entity }: { entity: Entity }) {
  const deployments = useDeployments(entity);
  // A signal means a stage moved: environments may run another version now.
  const environments = useEnvironments(entity, deployments.lastSignal);
  const user = useCurrentUser();
  const permissions = useDeliveryPermissions(entity);
  const refresh = deployments.retry;
  return (
    <Grid container spacing={3}>
      <Grid item xs={12}>
        <EnvironmentsCard environments={environments} />
      </Grid>
      <Grid item xs={12}>
        <QueueCard
          entity={entity}
          deployments={deployments}
          user={user}
          permissions={permissions}
          onChanged={refresh}
        />
      </Grid>
      <Grid item xs={12}>
        <CommitsCard
          entity={entity}
          environments={environments.value?.environments ?? []}
          permissions={permissions}
          onRequested={refresh}
        />
      </Grid>
      <Grid item xs={12}>
        <HistoryCard
          history={deployments.value?.history ?? []}
          refreshKey={deployments.value}
          user={user}
          permissions={permissions}
          onChanged={refresh}
        />
      </Grid>
    </Grid>
  );
}

/**
 * The Deployments tab of a service: where each version runs, the deploy queue with the live
 * pipeline, what can be shipped next, and what was shipped before.
 */
export function DeploymentsTab() {
  const { entity } = useEntity();
  const missing = missingAnnotations(entity.metadata.annotations);
  if (missing.length > 0) {
    return <MissingAnnotationEmptyState annotation={missing} />;
  }
  return <DeliveryCards entity={entity} />;
}
