import { Eligibility } from '@internal/plugin-delivery-common';
import { GuardedButton } from '../shared';

/** Why a commit may not be deployed by this user now, or undefined when it may. */
export function deployBlocker(options: {
  allowed: boolean;
  permissionLoading: boolean;
  eligibility?: Eligibility;
  eligibilityLoading: boolean;
  eligibilityError?: Error;
}) {
  const { allowed, permissionLoading, eligibility } = options;
  if (permissionLoading) return 'Checking your permissions…';
  if (!allowed) {
    return 'You do not have permission to deploy this service (its owners do).';
  }
  if (options.eligibilityError) {
    return `Eligibility could not be checked: ${options.eligibilityError.message}`;
  }
  if (options.eligibilityLoading && !eligibility)
    return 'Checking eligibility…';
  if (!eligibility) return 'Eligibility unknown for this commit.';
  if (eligibility.eligible) return undefined;
  return (
    <>
      Not deployable:
      <ul style={{ margin: 0, paddingLeft: 16 }}>
        {eligibility.reasons.map(r => (
          <li key={`${r.code}:${r.message}`}>{r.message}</li>
        ))}
      </ul>
    </>
  );
}

/** Deploy button of one commit; disabled, with every reason in a tooltip, when it may not be used. */
export function DeployButton({
  shortSha,
  blocker,
  busy,
  onDeploy,
}: {
  shortSha: string;
  blocker?: ReturnType<typeof deployBlocker>;
  busy: boolean;
  onDeploy: () => void;
}) {
  return (
    <GuardedButton
      variant="outlined"
      color="primary"
      aria-label={`Deploy ${shortSha}`}
      disabledReason={blocker}
      busy={busy}
      onClick={onDeploy}
    >
      Deploy
    </GuardedButton>
  );
}
