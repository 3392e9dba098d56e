import {
  StatusAborted,
  StatusError,
  StatusOK,
  StatusPending,
  StatusRunning,
  StatusWarning,
} from '@backstage/core-components';
import { DeploymentStatus } from '@internal/plugin-delivery-common';

/** A deployment's status in words, colored by outcome. */
export function DeploymentStatusLabel({
  status,
}: {
  status: DeploymentStatus;
}) {
  const text = status.replace('_', ' ');
  switch (status) {
    case 'succeeded':
      return <StatusOK>{text}</StatusOK>;
    case 'rolled_back':
      return <StatusWarning>{text}</StatusWarning>;
    case 'failed':
      return <StatusError>{text}</StatusError>;
    case 'running':
      return <StatusRunning>{text}</StatusRunning>;
    case 'queued':
    case 'called':
      return <StatusPending>{text}</StatusPending>;
    default:
      return <StatusAborted>{text}</StatusAborted>;
  }
}
