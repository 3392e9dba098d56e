import {
  approvalReason,
  evaluateEligibility,
  isRegulated,
  requiredChecksFrom,
} from './eligibility';

const sha = 'abcdef0'.padEnd(40, '0');
const green = {
  commitSha: sha,
  commitExists: true,
  onDefaultBranch: true,
  defaultBranch: 'main',
  checks: [
    { name: 'build', state: 'success' as const },
    { name: 'unit-tests', state: 'success' as const },
  ],
  blockingIssues: [],
  blockingLabel: 'deploy-blocker',
};

describe('evaluateEligibility', () => {
  it('accepts a green commit on the default branch with no blocker', () => {
    expect(evaluateEligibility(green)).toEqual({
      commitSha: sha,
      eligible: true,
      reasons: [],
    });
  });

  it('lists every failing reason at once', () => {
    const result = evaluateEligibility({
      ...green,
      onDefaultBranch: false,
      checks: [
        { name: 'build', state: 'success' },
        { name: 'unit-tests', state: 'pending' },
        { name: 'lint', state: 'failure' },
      ],
      blockingIssues: [
        { number: 2, title: 'Checkout fails' },
        { number: 5, title: 'Payments down' },
      ],
    });
    expect(result.eligible).toBe(false);
    expect(result.reasons).toEqual([
      {
        code: 'not-on-default-branch',
        message: 'Commit abcdef0 is not on main',
      },
      {
        code: 'ci-not-green',
        message:
          'Required checks are not green: unit-tests (pending), lint (failure)',
      },
      {
        code: 'blocking-issue',
        message: 'Open issue #2 "Checkout fails" is labelled deploy-blocker',
      },
      {
        code: 'blocking-issue',
        message: 'Open issue #5 "Payments down" is labelled deploy-blocker',
      },
    ]);
  });

  it('checks only the required checks when they are configured, and reports missing ones', () => {
    const facts = {
      ...green,
      checks: [
        { name: 'build', state: 'success' as const },
        { name: 'flaky-e2e', state: 'failure' as const },
      ],
    };
    expect(
      evaluateEligibility({ ...facts, requiredChecks: ['build'] }).eligible,
    ).toBe(true);
    expect(
      evaluateEligibility({
        ...facts,
        requiredChecks: ['build', 'security-scan'],
      }).reasons,
    ).toEqual([
      {
        code: 'ci-not-green',
        message: 'Required checks are not green: security-scan (missing)',
      },
    ]);
  });

  it('refuses a commit without any CI result', () => {
    expect(evaluateEligibility({ ...green, checks: [] }).reasons).toEqual([
      { code: 'ci-not-green', message: 'Commit abcdef0 has no CI results' },
    ]);
  });

  it('reports an unknown commit alone', () => {
    expect(
      evaluateEligibility({
        ...green,
        commitExists: false,
        onDefaultBranch: false,
      }).reasons,
    ).toEqual([
      {
        code: 'unknown-commit',
        message: 'Commit abcdef0 does not exist in the repository',
      },
    ]);
  });
});

describe('approvalReason', () => {
  it('needs someone other than the requester for regulated services', () => {
    expect(approvalReason(true, 'user:default/ada', [])?.code).toBe(
      'approval-required',
    );
    expect(
      approvalReason(true, 'user:default/ada', ['user:default/ada'])?.code,
    ).toBe('approval-required');
    expect(
      approvalReason(true, 'user:default/ada', ['user:default/grace']),
    ).toBeUndefined();
    expect(approvalReason(false, 'user:default/ada', [])).toBeUndefined();
  });
});

describe('annotations', () => {
  it('reads required checks and the regulated flag', () => {
    expect(
      requiredChecksFrom({
        'delivery.backstage.io/required-checks': ' build, unit-tests ,',
      }),
    ).toEqual(['build', 'unit-tests']);
    expect(requiredChecksFrom({})).toBeUndefined();
    expect(isRegulated({ 'delivery.backstage.io/regulated': 'True' })).toBe(
      true,
    );
    expect(isRegulated({})).toBe(false);
  });

  it('names every allowed branch when the commit is on none of them', () => {
    const result = evaluateEligibility({
      ...green,
      onDefaultBranch: false,
      allowedBranches: ['main', 'develop', 'release'],
    });
    expect(result.reasons.map(r => r.message)).toContain(
      'Commit abcdef0 is not on main or develop or release',
    );
  });
});
