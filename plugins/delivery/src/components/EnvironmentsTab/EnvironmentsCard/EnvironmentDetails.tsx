import { ReactNode } from 'react';
import Box from '@material-ui/core/Box';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import {
  EphemeralEnvironment,
  ephemeralFlagSummary,
} from '@internal/plugin-delivery-common';
import { useEphemeralContext } from '../../../hooks/EphemeralContext';
import { useEphemeralEnvironment } from '../../../hooks/useEphemeralEnvironments';
import { DeploymentStepper } from '../../DeploymentsTab/Deployment/DeploymentStepper';
import {
  errorMessage,
  formatTime,
  formatUser,
} from '../../DeploymentsTab/shared';
import { CopyButton, kubectlHint } from '../shared';

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Box mb={1}>
      <Typography variant="caption" color="textSecondary" component="div">
        {label}
      </Typography>
      <Typography variant="body2" component="div">
        {children}
      </Typography>
    </Box>
  );
}

/**
 * An environment opened: what it runs and where, every flag it started with, and the stages of
 * its latest creation or update with their logs (the Deployments tab's stepper). Read again
 * with every read of the list, so it follows live.
 */
export function EnvironmentDetails({ env }: { env: EphemeralEnvironment }) {
  const { environments } = useEphemeralContext();
  const detail = useEphemeralEnvironment(env.id, environments.value);
  const current = detail.value?.id === env.id ? detail.value : env;
  return (
    <Box
      component="section"
      aria-label={`Details of ${env.branch}`}
      px={2}
      py={1}
    >
      <Grid container spacing={2}>
        <Grid item xs={12} md={4}>
          <Fact label="Commit">
            <code>{current.commitSha}</code>
          </Fact>
          {current.image && (
            <Fact label="Image">
              <code>{current.image}</code>
            </Fact>
          )}
          <Fact label="Created">
            {formatTime(current.createdAt)} by{' '}
            <span title={current.createdBy}>
              {formatUser(current.createdBy)}
            </span>
          </Fact>
          {current.readyAt && (
            <Fact label="Ready since">{formatTime(current.readyAt)}</Fact>
          )}
          <Fact label="Expires">
            {current.persistent
              ? 'never (persistent)'
              : formatTime(current.expiresAt)}
          </Fact>
          <Fact label="Namespace">
            <code>{kubectlHint(current)}</code>{' '}
            <CopyButton
              text={kubectlHint(current)}
              label={`Copy the kubectl command for ${env.branch}`}
            />
            <Typography variant="caption" color="textSecondary" component="div">
              on cluster {current.cluster}
            </Typography>
          </Fact>
          <Fact label={`Flags it started with (${current.flags.length})`}>
            {current.flags.length === 0
              ? 'none'
              : current.flags.map(f => (
                  <div key={f.key}>
                    <code>{f.key}</code> {ephemeralFlagSummary(f)}
                    {f.defaultVariant ? ` (${f.defaultVariant})` : ''}
                  </div>
                ))}
          </Fact>
        </Grid>
        <Grid item xs={12} md={8}>
          {detail.error && (
            <Alert severity="warning">
              Could not read its logs ({errorMessage(detail.error)}); showing
              the stages as listed.
            </Alert>
          )}
          <DeploymentStepper stages={current.stages} />
        </Grid>
      </Grid>
    </Box>
  );
}
