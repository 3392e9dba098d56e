import { ReactNode } from 'react';
import { CodeSnippet, EmptyState } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';

/** How an application of the service reads its flags: OpenFeature with the flagd provider. */
export function readingSnippet(service: string, key = 'my-first-flag') {
  return `import { OpenFeature } from '@openfeature/server-sdk';
import { FlagdProvider } from '@openfeature/flagd-provider';

// flagd serves this service's flags under the selector <environment>/<service>.
await OpenFeature.setProviderAndWait(
  new FlagdProvider({
    resolverType: 'in-process',
    host: process.env.FLAGD_HOST ?? 'flagd',
    port: 8015,
    selector: \`\${process.env.DEPLOY_ENVIRONMENT}/${service}\`,
  }),
);

const flags = OpenFeature.getClient();
// false is the code default: what the app uses while the flag is not served.
const enabled = await flags.getBooleanValue('${key}', false, {
  targetingKey: user.id, // splits percentage rollouts; keep it stable per user
});`;
}

/**
 * No flags yet: how to create the first one and how the service's code reads it.
 */
export function FlagsEmptyState({
  service,
  environments,
  action,
}: {
  service: string;
  environments: string[];
  action: ReactNode;
}) {
  const example = `${environments[0] ?? 'uat'}/${service}`;
  return (
    <EmptyState
      missing="content"
      title="No feature flags yet"
      description={
        <>
          Ship a change dark, then turn it on per environment, for a share of
          users first, and off again in seconds if it misbehaves. Create the
          first flag with <strong>New flag</strong>: it starts off (its off
          variant) in every environment.
        </>
      }
      action={
        <Box maxWidth={720}>
          {action}
          <Box mt={2}>
            <Typography variant="body2" paragraph>
              Your code reads flags with OpenFeature and the flagd provider.
              flagd serves this service’s flags under the selector{' '}
              <code>&lt;environment&gt;/&lt;service&gt;</code>, here for example{' '}
              <code>{example}</code>; the code default applies while a flag is
              not served.
            </Typography>
            <CodeSnippet
              language="typescript"
              text={readingSnippet(service)}
              showCopyCodeButton
            />
          </Box>
        </Box>
      }
    />
  );
}
