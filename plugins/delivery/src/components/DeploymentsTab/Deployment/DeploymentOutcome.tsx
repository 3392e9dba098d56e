import Alert from '@material-ui/lab/Alert';
import AlertTitle from '@material-ui/lab/AlertTitle';
import { Deployment } from '@internal/plugin-delivery-common';

const OUTCOME = {
  succeeded: { severity: 'success', title: 'Deployed to production' },
  rolled_back: { severity: 'warning', title: 'Rolled back' },
  failed: { severity: 'error', title: 'Failed' },
  cancelled: { severity: 'info', title: 'Cancelled' },
  expired: { severity: 'info', title: 'Expired' },
} as const;

/** How a finished deployment ended, with the backend's reason. */
export function DeploymentOutcome({ deployment }: { deployment: Deployment }) {
  const outcome =
    OUTCOME[deployment.status as keyof typeof OUTCOME] ?? undefined;
  if (!outcome) return null;
  return (
    <Alert severity={outcome.severity}>
      <AlertTitle>{outcome.title}</AlertTitle>
      {deployment.reason}
    </Alert>
  );
}
