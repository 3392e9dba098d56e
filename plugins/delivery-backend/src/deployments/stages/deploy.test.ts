import { LeaseLostError } from '../../engine';
import {
  ENVIRONMENTS,
  INPUT,
  StepJournal,
  at,
  backupIn,
  backupStage,
  deploymentStageContext,
  stageRecord,
} from '../__testUtils__/stageContext';
import { FakeGitHub, FakeKubernetes, workload } from '../__testUtils__/fakes';
import { DeployState, WORKLOAD_ANNOTATION_TOKEN } from '../types';
import { createDeployStage } from './deploy';

describe('deploy stage', () => {
  function setup(
    options: { environment?: string; loseLeaseAtFence?: number } = {},
  ) {
    const environment = options.environment ?? 'uat';
    const journal = new StepJournal();
    const kubernetes = new FakeKubernetes(journal);
    const backup = backupIn(environment);
    kubernetes.put(
      workload({ cluster: backup.cluster, namespace: backup.namespace }),
    );
    const github = new FakeGitHub(journal);
    const stage = createDeployStage({
      kubernetes,
      github,
      environments: ENVIRONMENTS,
    });
    const context = (state: DeployState = {}) =>
      deploymentStageContext<DeployState>(journal, {
        kind: 'deploy',
        environment,
        state,
        now: at(90_000),
        before: [
          stageRecord({ kind: 'validate', state: {} }),
          backupStage(environment, backup),
        ],
        loseLeaseAtFence: options.loseLeaseAtFence,
      });
    return { journal, kubernetes, github, stage, context };
  }

  it('records a GitHub deployment, saves its id, then sets the image on the backed-up workload', async () => {
    const { journal, kubernetes, github, stage, context } = setup();

    const result = await stage.run(context());

    expect(result).toEqual({
      type: 'done',
      state: { githubDeploymentId: 9001 },
    });
    expect(github.deployments).toEqual([
      {
        id: 9001,
        slug: 'acme/payments',
        sha: INPUT.commitSha,
        environment: 'uat',
        description: 'dep-0042 by user:default/alice',
        payload: { token: 'dep-0042', image: INPUT.image },
        productionEnvironment: false,
      },
    ]);
    expect(github.statuses).toEqual([
      {
        slug: 'acme/payments',
        deploymentId: 9001,
        state: 'in_progress',
        description: 'Deploying dep-0042',
      },
    ]);
    expect(kubernetes.versionsSet).toEqual([
      {
        cluster: 'uat-cluster',
        namespace: 'uat-apps',
        name: 'payments',
        image: INPUT.image,
        commitSha: INPUT.commitSha,
        deployedAt: at(90_000),
        annotations: { [WORKLOAD_ANNOTATION_TOKEN]: 'dep-0042' },
      },
    ]);
    expect(journal.checkpoints).toEqual([{ githubDeploymentId: 9001 }]);
    expect(journal.lines).toEqual([
      `info: Set uat-apps/payments in uat-cluster to ${INPUT.image}`,
    ]);
    // The id is saved before anything else happens, and every effect is fenced.
    expect(journal.calls).toEqual([
      'fence',
      'github.findDeployment',
      'fence',
      'github.createDeployment',
      'checkpoint',
      'fence',
      'github.createDeploymentStatus',
      'fence',
      'kubernetes.setWorkloadVersion',
      'log',
    ]);
    expect(journal.fencesBefore('kubernetes.setWorkloadVersion')).toBe(4);
    expect(
      journal.unfenced([
        'github.createDeployment',
        'github.createDeploymentStatus',
        'kubernetes.setWorkloadVersion',
      ]),
    ).toEqual([]);
  });

  it('deploys to where the backup says the workload runs, not where the configuration says now', async () => {
    const { kubernetes, stage, journal } = setup();
    kubernetes.put(
      workload({ cluster: 'uat-cluster', namespace: 'moved-away' }),
    );
    const ctx = deploymentStageContext<DeployState>(journal, {
      kind: 'deploy',
      environment: 'uat',
      before: [
        backupStage('uat', backupIn('uat', { namespace: 'moved-away' })),
        // Another environment's backup is not this one's.
        backupStage('canary'),
      ],
    });

    await stage.run(ctx);

    expect(kubernetes.versionsSet.map(v => v.namespace)).toEqual([
      'moved-away',
    ]);
  });

  it('marks the last environment as production on GitHub', async () => {
    const { github, stage, context } = setup({ environment: 'production' });

    await stage.run(context());

    expect(github.deployments).toEqual([
      expect.objectContaining({
        environment: 'production',
        productionEnvironment: true,
      }),
    ]);
  });

  it('adopts the GitHub deployment an interrupted attempt left behind, without a second one or a status', async () => {
    const { journal, github, kubernetes, stage, context } = setup();
    // An attempt created it, then stopped before saving its id.
    await github.createDeployment('acme/payments', {
      sha: INPUT.commitSha,
      environment: 'uat',
      description: 'dep-0042 by user:default/alice',
      payload: { token: 'dep-0042', image: INPUT.image },
      productionEnvironment: false,
    });
    // Another deployment of the same commit (an earlier token) is not ours.
    await github.createDeployment('acme/payments', {
      sha: INPUT.commitSha,
      environment: 'uat',
      description: 'dep-0041 by user:default/bob',
      payload: { token: 'dep-0041', image: INPUT.image },
      productionEnvironment: false,
    });
    journal.calls.length = 0;

    const result = await stage.run(context());

    expect(result).toEqual({
      type: 'done',
      state: { githubDeploymentId: 9001 },
    });
    expect(github.deployments).toHaveLength(2);
    expect(github.statuses).toEqual([]);
    expect(journal.checkpoints).toEqual([{ githubDeploymentId: 9001 }]);
    expect(journal.calls).toEqual([
      'fence',
      'github.findDeployment',
      'checkpoint',
      'fence',
      'kubernetes.setWorkloadVersion',
      'log',
    ]);
    expect(kubernetes.versionsSet).toHaveLength(1);
  });

  it('does not touch GitHub again on a retry that already saved the id', async () => {
    const { journal, github, kubernetes, stage, context } = setup();

    const result = await stage.run(context({ githubDeploymentId: 77 }));

    expect(result).toEqual({ type: 'done', state: { githubDeploymentId: 77 } });
    expect(github.deployments).toEqual([]);
    expect(github.statuses).toEqual([]);
    expect(journal.checkpoints).toEqual([]);
    expect(journal.calls).toEqual([
      'fence',
      'kubernetes.setWorkloadVersion',
      'log',
    ]);
    expect(kubernetes.versionsSet).toHaveLength(1);
  });

  it('logs GitHub failures as warnings and still deploys', async () => {
    const { journal, github, kubernetes, stage, context } = setup();
    github.failure = new Error('GitHub answered 503');

    const result = await stage.run(context());

    expect(result).toEqual({ type: 'done', state: {} });
    expect(journal.lines).toEqual([
      'warn: Could not record the deployment on GitHub: GitHub answered 503',
      'warn: Could not record the deployment on GitHub: GitHub answered 503',
      `info: Set uat-apps/payments in uat-cluster to ${INPUT.image}`,
    ]);
    // Nothing to save: a retry would try GitHub again.
    expect(journal.checkpoints).toEqual([]);
    expect(kubernetes.versionsSet).toHaveLength(1);
  });

  it('says the workload already runs the version when it does (idempotent)', async () => {
    const { journal, kubernetes, stage, context } = setup();
    kubernetes.put(
      workload({ image: INPUT.image, commitSha: INPUT.commitSha }),
    );

    const result = await stage.run(context({ githubDeploymentId: 9001 }));

    expect(result.type).toBe('done');
    expect(journal.lines).toEqual([
      `info: uat-apps/payments in uat-cluster already runs ${INPUT.image}`,
    ]);
  });

  it('throws when no backup of its environment was recorded', async () => {
    const { journal, github, kubernetes, stage } = setup();
    const ctx = deploymentStageContext<DeployState>(journal, {
      kind: 'deploy',
      environment: 'canary',
      before: [backupStage('uat'), backupStage('canary', null)],
    });

    await expect(stage.run(ctx)).rejects.toThrow(
      'No backup of canary was recorded before canary.deploy',
    );
    expect(github.deployments).toEqual([]);
    expect(kubernetes.versionsSet).toEqual([]);
  });

  it('does not set the image once the lease is lost', async () => {
    // The fourth fence guards setWorkloadVersion.
    const { journal, github, kubernetes, stage, context } = setup({
      loseLeaseAtFence: 4,
    });

    await expect(stage.run(context())).rejects.toThrow(LeaseLostError);

    expect(journal.count('fence')).toBe(4);
    expect(journal.calls.at(-1)).toBe('fence');
    expect(kubernetes.versionsSet).toEqual([]);
    expect(github.deployments).toHaveLength(1);
    expect(journal.logs).toEqual([]);
  });

  it('records nothing on GitHub when the lease is lost at the first fence', async () => {
    const { journal, github, kubernetes, stage, context } = setup({
      loseLeaseAtFence: 1,
    });

    await expect(stage.run(context())).rejects.toThrow(LeaseLostError);

    expect(journal.calls).toEqual(['fence']);
    expect(github.deployments).toEqual([]);
    expect(kubernetes.versionsSet).toEqual([]);
  });
});
