import Grid from '@material-ui/core/Grid';
import {
  MissingAnnotationEmptyState,
  useEntity,
} from '@backstage/plugin-catalog-react';
import { missingAnnotations } from '@internal/plugin-delivery-common';
import { DeliveryProvider } from '../../hooks/DeliveryContext';
import { EnvironmentsCard } from './EnvironmentsCard';
import { CommitsCard } from './CommitsCard';
import { QueueCard } from './QueueCard';
import { HistoryCard } from './HistoryCard';

/**
 * The Deployments tab of a service: where each version runs, the deploy queue with the live
 * pipeline, what can be shipped next, and what was shipped before. The cards read the service,
 * the user, the permissions and the live state from one {@link DeliveryProvider}.
 */
export function DeploymentsTab() {
  const { entity } = useEntity();
  const missing = missingAnnotations(entity.metadata.annotations);
  if (missing.length > 0) {
    return <MissingAnnotationEmptyState annotation={missing} />;
  }
  return (
    <DeliveryProvider entity={entity}>
      <Grid container spacing={3}>
        <Grid item xs={12}>
          <EnvironmentsCard />
        </Grid>
        <Grid item xs={12}>
          <QueueCard />
        </Grid>
        <Grid item xs={12}>
          <CommitsCard />
        </Grid>
        <Grid item xs={12}>
          <HistoryCard />
        </Grid>
      </Grid>
    </DeliveryProvider>
  );
}
