import { Progress, ResponseErrorPanel } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import IconButton from '@material-ui/core/IconButton';
import Typography from '@material-ui/core/Typography';
import CloseIcon from '@material-ui/icons/Close';
import Alert from '@material-ui/lab/Alert';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import { useDeliveryContext } from '../../../hooks/DeliveryContext';
import { useDeliveryActions } from '../../../hooks/useDeliveryActions';
import { useDeployment } from '../../../hooks/useDeployments';
import { ApproveButton } from './ApproveButton';
import { DeploymentOutcome } from './DeploymentOutcome';
import { DeploymentStatusLabel } from './DeploymentStatusLabel';
import { DeploymentStepper } from './DeploymentStepper';
import { errorMessage, formatTime, formatUser, shortSha } from '../shared';

/**
 * One deployment: header, outcome, and its live stage stepper with the Approve button. It is
 * read again whenever the tab reads the queue again, so the stepper follows live.
 */
export function DeploymentDetails({
  token,
  onClose,
}: {
  token: string;
  onClose?: () => void;
}) {
  const { deployments } = useDeliveryContext();
  const { approveDeployment } = useDeliveryActions();
  const { value, error, retry } = useDeployment(token, deployments.value);
  const [approval, approve] = useAsyncFn(async () => {
    await approveDeployment(token);
    retry();
  }, [approveDeployment, token, retry]);

  if (error) {
    return (
      <ResponseErrorPanel error={error} title={`Could not read ${token}`} />
    );
  }
  if (!value || value.token !== token) return <Progress />;

  return (
    <Box component="section" aria-label={`Deployment ${token}`} mt={2}>
      <Box display="flex" alignItems="center" style={{ gap: 8 }}>
        <Typography variant="h6" style={{ flexGrow: 1 }}>
          {value.token} <DeploymentStatusLabel status={value.status} />
        </Typography>
        {onClose && (
          <IconButton
            size="small"
            aria-label="Close deployment"
            onClick={onClose}
          >
            <CloseIcon />
          </IconButton>
        )}
      </Box>
      <Typography variant="body2" color="textSecondary" gutterBottom>
        commit {shortSha(value.commitSha)} · requested by{' '}
        {formatUser(value.requestedBy)} at {formatTime(value.requestedAt)}
        {value.startedAt && ` · started ${formatTime(value.startedAt)}`}
        {value.finishedAt && ` · finished ${formatTime(value.finishedAt)}`}
      </Typography>
      <DeploymentOutcome deployment={value} />
      {approval.error && (
        <Alert severity="error">{errorMessage(approval.error)}</Alert>
      )}
      <DeploymentStepper
        stages={value.stages}
        action={stage =>
          stage.kind === 'approval' && stage.status === 'waiting' ? (
            <ApproveButton
              deployment={value}
              busy={approval.loading}
              onApprove={approve}
            />
          ) : null
        }
      />
    </Box>
  );
}
