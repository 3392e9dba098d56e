import { ReactNode } from 'react';
import { CodeSnippet, EmptyState } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import AlertTitle from '@material-ui/lab/AlertTitle';
import { EphemeralSettings } from '@internal/plugin-delivery-common';
import { formatMinutes } from '../shared';

/** What an environment gets here, in one sentence from the settings. */
export function settingsSentence(settings: EphemeralSettings): string {
  return `An environment lives ${formatMinutes(
    settings.ttlMinutes,
  )} unless you choose or extend it, at most ${formatMinutes(
    settings.maxLifetimeMinutes,
  )} from its creation, in a namespace of its own${
    settings.cluster ? ` on ${settings.cluster}` : ''
  } with the workload and flags of ${
    settings.copyFrom
  }; the sweep deletes expired ones every ${formatMinutes(
    settings.sweepIntervalMinutes,
  )}.`;
}

/** No environment yet: how a developer gets one, and what they get. */
export function EnvironmentsEmptyState({
  settings,
  action,
}: {
  settings: EphemeralSettings;
  action: ReactNode;
}) {
  const prefix = settings.branchPrefix;
  const branch = `${prefix}try-my-change`;
  return (
    <EmptyState
      missing="content"
      title="No environments for this service yet"
      description={
        <>
          Push a branch named{' '}
          <code>
            {prefix}
            &lt;description&gt;
          </code>
          , or create one here. {settingsSentence(settings)}
        </>
      }
      action={
        <Box maxWidth={640}>
          {action}
          <Box mt={2}>
            <Typography variant="body2" paragraph>
              From your clone of the service’s repository:
            </Typography>
            <CodeSnippet
              language="bash"
              text={`git checkout -b ${branch}\ngit push -u origin ${branch}`}
              showCopyCodeButton
            />
          </Box>
        </Box>
      }
    />
  );
}

/** The backend has them turned off: said plainly, with the config keys. */
export function EnvironmentsNotEnabled() {
  return (
    <Alert severity="info">
      <AlertTitle>Ephemeral environments are not enabled here</AlertTitle>
      The portal’s configuration turns them off: no cluster is configured for
      them, or <code>delivery.ephemeral.enabled</code> is false (a platform
      engineer sets them up under <code>delivery.ephemeral</code>). Until then,
      pushing a <code>deploy/*</code> branch creates nothing.
    </Alert>
  );
}
