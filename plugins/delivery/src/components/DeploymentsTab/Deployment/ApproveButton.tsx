import { Deployment } from '@internal/plugin-delivery-common';
import { GuardedButton } from '../shared';

/** Approve a waiting approval stage: only for someone other than the requester, with permission. */
export function ApproveButton({
  deployment,
  user,
  allowed,
  permissionLoading,
  busy,
  onApprove,
}: {
  deployment: Deployment;
  user?: string;
  allowed: boolean;
  permissionLoading: boolean;
  busy: boolean;
  onApprove: () => void;
}) {
  let reason: string | undefined;
  if (permissionLoading || !user) reason = 'Checking your permissions…';
  else if (user === deployment.requestedBy)
    reason = 'You requested this deployment: someone else must approve it.';
  else if (!allowed)
    reason =
      'You do not have permission to approve deployments of this service.';
  return (
    <GuardedButton
      variant="contained"
      color="primary"
      disabledReason={reason}
      busy={busy}
      onClick={onApprove}
    >
      Approve
    </GuardedButton>
  );
}
