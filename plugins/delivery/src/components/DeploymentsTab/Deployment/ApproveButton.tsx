import { Deployment } from '@internal/plugin-delivery-common';
import { useDeliveryContext } from '../../../hooks/DeliveryContext';
import { GuardedButton } from '../shared';

/** Approve a waiting approval stage: only for someone other than the requester, with permission. */
export function ApproveButton({
  deployment,
  busy,
  onApprove,
}: {
  deployment: Deployment;
  busy: boolean;
  onApprove: () => void;
}) {
  const { user, permissions } = useDeliveryContext();
  let reason: string | undefined;
  if (permissions.loading || !user) reason = 'Checking your permissions…';
  else if (user === deployment.requestedBy)
    reason = 'You requested this deployment: someone else must approve it.';
  else if (!permissions.approve)
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
