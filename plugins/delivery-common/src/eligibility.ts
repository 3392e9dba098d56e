import { CiCheck } from './types';
import type { Eligibility, IneligibilityReason } from './types';

/** Annotation: comma-separated CI checks that must be green to deploy (default: every check). */
export const ANNOTATION_REQUIRED_CHECKS =
  'delivery.backstage.io/required-checks';
/** Annotation: `"true"` marks a regulated service, whose deployments need a second person's approval. */
export const ANNOTATION_REGULATED = 'delivery.backstage.io/regulated';

/** What is known about a commit when deciding whether it may be deployed. */
export interface EligibilityFacts {
  commitSha: string;
  /** False when the repository has no such commit. */
  commitExists: boolean;
  /** Whether the commit is reachable from the head of the default branch or another allowed one. */
  onDefaultBranch: boolean;
  defaultBranch: string;
  /** The branches deployments may come from, when more than the default one. */
  allowedBranches?: string[];
  checks: CiCheck[];
  /** Names of the checks that must pass; undefined means every check. */
  requiredChecks?: string[];
  /** Open issues carrying the blocking label. */
  blockingIssues: Array<{ number: number; title: string }>;
  blockingLabel: string;
}

/** Reads the required checks annotation: undefined (all) when absent or empty. */
export function requiredChecksFrom(
  annotations: Record<string, string> | undefined,
): string[] | undefined {
  const names = (annotations?.[ANNOTATION_REQUIRED_CHECKS] ?? '')
    .split(',')
    .map(name => name.trim())
    .filter(Boolean);
  return names.length > 0 ? names : undefined;
}

/** Whether the entity is marked regulated. */
export function isRegulated(
  annotations: Record<string, string> | undefined,
): boolean {
  return annotations?.[ANNOTATION_REGULATED]?.trim().toLowerCase() === 'true';
}

/** Decides eligibility from the facts, listing every failing reason. */
export function evaluateEligibility(facts: EligibilityFacts): Eligibility {
  const short = facts.commitSha.slice(0, 7);
  const reasons: IneligibilityReason[] = [];
  if (!facts.commitExists) {
    reasons.push({
      code: 'unknown-commit',
      message: `Commit ${short} does not exist in the repository`,
    });
    return { commitSha: facts.commitSha, eligible: false, reasons };
  }
  if (!facts.onDefaultBranch) {
    reasons.push({
      code: 'not-on-default-branch',
      message: `Commit ${short} is not on ${
        facts.allowedBranches && facts.allowedBranches.length > 0
          ? facts.allowedBranches.join(' or ')
          : facts.defaultBranch
      }`,
    });
  }
  const byName = new Map(facts.checks.map(check => [check.name, check]));
  const required =
    facts.requiredChecks ?? facts.checks.map(check => check.name);
  const problems = required
    .map(name => ({ name, state: byName.get(name)?.state ?? 'missing' }))
    .filter(check => check.state !== 'success');
  if (problems.length > 0) {
    reasons.push({
      code: 'ci-not-green',
      message: `Required checks are not green: ${problems
        .map(p => `${p.name} (${p.state})`)
        .join(', ')}`,
    });
  } else if (required.length === 0) {
    reasons.push({
      code: 'ci-not-green',
      message: `Commit ${short} has no CI results`,
    });
  }
  for (const issue of facts.blockingIssues) {
    reasons.push({
      code: 'blocking-issue',
      message: `Open issue #${issue.number} "${issue.title}" is labelled ${facts.blockingLabel}`,
    });
  }
  return {
    commitSha: facts.commitSha,
    eligible: reasons.length === 0,
    reasons,
  };
}

/**
 * For regulated services: the reason a deployment may not start yet, when no one other than the
 * requester has approved it.
 */
export function approvalReason(
  regulated: boolean,
  requester: string,
  approvers: string[],
): IneligibilityReason | undefined {
  if (!regulated || approvers.some(approver => approver !== requester))
    return undefined;
  return {
    code: 'approval-required',
    message: `Regulated service: needs an approval by someone other than the requester (${requester})`,
  };
}
