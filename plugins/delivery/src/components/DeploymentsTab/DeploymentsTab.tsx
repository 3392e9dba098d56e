import Grid from '@material-ui/core/Grid';
import {
  MissingAnnotationEmptyState,
  useEntity,
} from '@backstage/plugin-catalog-react';
import { missingAnnotations } from '@internal/plugin-delivery-common';
import { EnvironmentsCard } from './EnvironmentsCard';
import { CommitsCard } from './CommitsCard';

/** The Deployments tab of a service: where each version runs and what can be shipped next. */
export function DeploymentsTab() {
  const { entity } = useEntity();
  const missing = missingAnnotations(entity.metadata.annotations);
  if (missing.length > 0) {
    return <MissingAnnotationEmptyState annotation={missing} />;
  }
  return (
    <Grid container spacing={3}>
      <Grid item xs={12}>
        <EnvironmentsCard entity={entity} />
      </Grid>
      <Grid item xs={12}>
        <CommitsCard entity={entity} />
      </Grid>
    </Grid>
  );
}
