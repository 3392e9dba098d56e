import Grid from '@material-ui/core/Grid';
import {
  MissingAnnotationEmptyState,
  useEntity,
} from '@backstage/plugin-catalog-react';
import { missingAnnotations } from '@internal/plugin-delivery-common';
import { EphemeralProvider } from '../../hooks/EphemeralContext';
import { EnvironmentsCard } from './EnvironmentsCard';

/**
 * The Environments tab of a service: its ephemeral environments, one per `deploy/*` branch,
 * with their status and stages, countdown, links, namespace, quota use and flags; create one
 * from a branch, extend or delete it, and for admins make one persistent or sweep now.
 * Everything is read from one {@link EphemeralProvider}, live through the service's
 * environments signal with polling as the fallback.
 */
export function EnvironmentsTab() {
  const { entity } = useEntity();
  const missing = missingAnnotations(entity.metadata.annotations);
  if (missing.length > 0) {
    return <MissingAnnotationEmptyState annotation={missing} />;
  }
  return (
    <EphemeralProvider entity={entity}>
      <Grid container spacing={3}>
        <Grid item xs={12}>
          <EnvironmentsCard />
        </Grid>
      </Grid>
    </EphemeralProvider>
  );
}
