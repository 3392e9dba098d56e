import { ANNOTATION_REGULATED } from '@internal/plugin-delivery-common';
import { ApprovalRecord } from '../../database/DeploymentStore';
import { EligibilityService } from '../../services/EligibilityService';
import {
  ENVIRONMENTS,
  INPUT,
  NOW,
  StepJournal,
  deliveryEntity,
  deploymentStageContext,
} from '../__testUtils__/stageContext';
import {
  FakeApprovals,
  FakeGitHub,
  FakeKubernetes,
  workload,
} from '../__testUtils__/fakes';
import { OwnershipChecker } from '../ownership';
import { createValidateStage } from './validate';

const GREEN = [
  { name: 'build', state: 'success' as const },
  { name: 'test', state: 'success' as const },
];
const REGULATED = { [ANNOTATION_REGULATED]: 'true' };

describe('validate stage', () => {
  /** The eligibility rules are the real ones, over a fake repository. */
  function setup(
    approvals: ApprovalRecord[] = [],
    jobOwners = [{ folder: 'acme', owners: ['group:default/team-pay'] }],
  ) {
    const journal = new StepJournal();
    const github = new FakeGitHub(journal);
    const kubernetes = new FakeKubernetes(journal);
    for (const env of ENVIRONMENTS) {
      kubernetes.put(
        workload({ cluster: env.cluster, namespace: env.namespace }),
      );
    }
    github.commits.set(INPUT.commitSha, { onBranch: true, checks: GREEN });
    const stage = createValidateStage({
      eligibility: new EligibilityService({
        github,
        blockingLabel: 'deploy-blocker',
      }),
      approvals: new FakeApprovals(journal, approvals),
      ownership: new OwnershipChecker({
        kubernetes,
        environments: ENVIRONMENTS,
        jenkins: { jobAnnotation: 'jenkins.io/job-full-name', jobOwners },
      }),
    });
    const context = (annotations: Record<string, string> = {}) =>
      deploymentStageContext<object>(journal, {
        kind: 'validate',
        service: deliveryEntity({ annotations }),
      });
    return { journal, github, kubernetes, stage, context };
  }

  function approval(
    approver: string,
    kind: ApprovalRecord['kind'] = 'request',
  ): ApprovalRecord {
    return { token: INPUT.token, approver, kind, approvedAt: NOW };
  }

  it('is done, with a log line, when the commit is still eligible', async () => {
    const { journal, stage, context } = setup();

    const result = await stage.run(context());

    expect(result).toEqual({ type: 'done' });
    expect(journal.lines).toEqual([
      `info: Commit abcdef0 is eligible; deploying ${INPUT.image}`,
    ]);
    // It only reads: nothing to fence.
    expect(journal.count('fence')).toBe(0);
  });

  it('fails listing every reason the commit is not eligible any more', async () => {
    const { journal, github, stage, context } = setup();
    github.commits.set(INPUT.commitSha, {
      onBranch: false,
      checks: [GREEN[0], { name: 'test', state: 'failure' }],
    });
    github.blockingIssues.push({
      number: 7,
      title: 'Payments outage',
      url: 'https://github.example.com/acme/payments/issues/7',
    });

    const result = await stage.run(context());

    expect(result).toEqual({
      type: 'fail',
      reason:
        'Not eligible any more: Commit abcdef0 is not on main; ' +
        'Required checks are not green: test (failure); ' +
        'Open issue #7 "Payments outage" is labelled deploy-blocker',
    });
    expect(journal.logs).toEqual([]);
  });

  it('fails when the commit is not in the repository any more', async () => {
    const { github, stage, context } = setup();
    github.commits.clear();

    expect(await stage.run(context())).toEqual({
      type: 'fail',
      reason:
        'Not eligible any more: Commit abcdef0 does not exist in the repository',
    });
  });

  it("fails a regulated service's deployment that nobody else approved", async () => {
    const { stage, context } = setup([
      // The requester's own approval does not count, nor a production approval.
      approval('user:default/alice'),
      approval('user:default/bob', 'production'),
    ]);

    const result = await stage.run(context(REGULATED));

    expect(result).toEqual({
      type: 'fail',
      reason:
        'Not eligible any more: Regulated service: needs an approval by someone other than the requester (user:default/alice)',
    });
  });

  it("is done for a regulated service's deployment approved by someone else", async () => {
    const { stage, context } = setup([approval('user:default/bob')]);

    expect(await stage.run(context(REGULATED))).toEqual({ type: 'done' });
  });

  it('lists the missing approval after the eligibility reasons', async () => {
    const { github, stage, context } = setup();
    github.commits.set(INPUT.commitSha, { onBranch: false, checks: GREEN });

    const result = await stage.run(context(REGULATED));

    expect(result).toEqual({
      type: 'fail',
      reason:
        'Not eligible any more: Commit abcdef0 is not on main; ' +
        'Regulated service: needs an approval by someone other than the requester (user:default/alice)',
    });
  });

  it('needs no approval for a service that is not regulated', async () => {
    const { stage, context } = setup();

    expect(
      await stage.run(context({ [ANNOTATION_REGULATED]: 'false' })),
    ).toEqual({ type: 'done' });
  });

  it("fails when a workload or the Jenkins job is not the service's any more", async () => {
    const { kubernetes, stage, context } = setup(
      [],
      [
        { folder: 'acme', owners: ['group:default/team-pay'] },
        { folder: 'acme/ledger', owners: ['group:default/team-ledger'] },
      ],
    );
    const env = ENVIRONMENTS[ENVIRONMENTS.length - 1];
    kubernetes.put(
      workload({
        cluster: env.cluster,
        namespace: env.namespace,
        entityRefs: 'component:default/ledger',
      }),
    );

    const result = await stage.run(
      context({ 'jenkins.io/job-full-name': 'acme/ledger/acceptance' }),
    );

    expect(result).toEqual({
      type: 'fail',
      reason: `Not eligible any more: Deployment ${env.namespace}/payments in ${env.cluster} belongs to component:default/ledger (annotation delivery.backstage.io/entity-refs), not to component:default/payments; Jenkins folder acme/ledger belongs to group:default/team-ledger (delivery.jenkins.jobOwners), not to group:default/team-pay, the owner of component:default/payments`,
    });
  });

  it('is done with a Jenkins job in a folder its owner owns', async () => {
    const { stage, context } = setup();

    expect(
      await stage.run(
        context({ 'jenkins.io/job-full-name': 'acme/payments/acceptance' }),
      ),
    ).toEqual({ type: 'done' });
  });

  it('fails with a Jenkins job in no configured folder', async () => {
    const { stage, context } = setup([], []);

    expect(
      await stage.run(context({ 'jenkins.io/job-full-name': 'other/job' })),
    ).toEqual({
      type: 'fail',
      reason:
        'Not eligible any more: Jenkins job other/job (annotation jenkins.io/job-full-name) is in no folder of delivery.jenkins.jobOwners, so nothing says whose it is',
    });
  });

  it('says it checked again when it runs before an environment', async () => {
    const { journal, stage } = setup();

    const result = await stage.run(
      deploymentStageContext<object>(journal, {
        kind: 'validate',
        environment: 'production',
        service: deliveryEntity(),
      }),
    );

    expect(result).toEqual({ type: 'done' });
    expect(journal.lines).toEqual([
      'info: Commit abcdef0 is still eligible (CI green, no blocking issue) before production',
    ]);
  });
});
