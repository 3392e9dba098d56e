import Grid from '@material-ui/core/Grid';
import {
  MissingAnnotationEmptyState,
  useEntity,
} from '@backstage/plugin-catalog-react';
import { missingAnnotations } from '@internal/plugin-delivery-common';
import { FlagsProvider } from '../../hooks/FlagsContext';
import { FlagsCard } from './FlagsCard';
import { PendingApprovalsCard } from './PendingApprovalsCard';

/**
 * The Flags tab of a service: its feature flags across the environments (state, toggle,
 * gradual rollout, targeting, preview, history, kill switch, archive) and the changes waiting
 * for a second person's approval. The cards read the service, the user, the permissions and
 * the live flags from one {@link FlagsProvider}.
 */
export function FlagsTab() {
  const { entity } = useEntity();
  const missing = missingAnnotations(entity.metadata.annotations);
  if (missing.length > 0) {
    return <MissingAnnotationEmptyState annotation={missing} />;
  }
  return (
    <FlagsProvider entity={entity}>
      <Grid container spacing={3}>
        <Grid item xs={12}>
          <PendingApprovalsCard />
        </Grid>
        <Grid item xs={12}>
          <FlagsCard />
        </Grid>
      </Grid>
    </FlagsProvider>
  );
}
