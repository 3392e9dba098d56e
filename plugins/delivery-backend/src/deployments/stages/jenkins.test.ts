import { ConfigReader } from '@backstage/config';
import { ANNOTATION_JENKINS_JOB } from '@internal/plugin-delivery-common';
import { JenkinsServer, startJenkinsServer } from '@internal/sandbox';
import { LeaseLostError } from '../../engine';
import { JenkinsBuildState } from '../../providers/jenkins/JenkinsProvider';
import {
  JenkinsRestProvider,
  readJenkinsParameterNames,
} from '../../providers/jenkins/JenkinsRestProvider';
import {
  INPUT,
  StepJournal,
  at,
  deliveryEntity,
  deploymentStageContext,
} from '../__testUtils__/stageContext';
import { FakeJenkins } from '../__testUtils__/fakes';
import { JenkinsState, createJenkinsStage } from './jenkins';

const JOB = 'payments/deploy-smoke';
const TIMEOUT_MS = 900_000;

const QUEUED: JenkinsBuildState = {
  queueItemUrl: 'https://jenkins.example.com/queue/item/17/',
  jobFullName: JOB,
  queueId: 17,
  building: true,
};
const RUNNING: JenkinsBuildState = {
  ...QUEUED,
  buildNumber: 12,
  buildUrl: 'https://jenkins.example.com/job/payments/job/deploy-smoke/12/',
};

describe('jenkins stage', () => {
  function setup(
    options: {
      answers?: Array<Partial<JenkinsBuildState>>;
      loseLeaseAtFence?: number;
    } = {},
  ) {
    const journal = new StepJournal();
    const jenkins = new FakeJenkins(journal, options.answers);
    const stage = createJenkinsStage({
      jenkins,
      settings: {
        timeoutMs: TIMEOUT_MS,
        jobAnnotation: ANNOTATION_JENKINS_JOB,
      },
      pollIntervalMs: 3_000,
    });
    const context = (state: JenkinsState = {}, startedAt: Date = at(-60_000)) =>
      deploymentStageContext<JenkinsState>(journal, {
        kind: 'jenkins',
        environment: 'uat',
        state,
        startedAt,
        service: deliveryEntity({
          annotations: { [ANNOTATION_JENKINS_JOB]: JOB },
        }),
        loseLeaseAtFence: options.loseLeaseAtFence,
      });
    return { journal, jenkins, stage, context };
  }

  it("triggers the service's job with the token, sha and environment under the process's names, and saves the queue item at once", async () => {
    const { journal, jenkins, stage, context } = setup();

    const result = await stage.run(context());

    expect(jenkins.triggered).toEqual([
      {
        job: JOB,
        parameters: {
          DEPLOYMENT_TOKEN: 'dep-0042',
          GIT_COMMIT_SHA: INPUT.commitSha,
          TARGET_ENV: 'uat',
        },
        // A build already carrying this token and environment is adopted, not doubled.
        options: { identifiedBy: ['DEPLOYMENT_TOKEN', 'TARGET_ENV'] },
      },
    ]);
    expect(journal.checkpoints).toEqual([{ build: QUEUED }]);
    expect(result).toEqual({
      type: 'wait',
      afterMs: 3_000,
      state: { build: QUEUED },
    });
    expect(journal.lines).toEqual([
      `info: Triggered Jenkins job ${JOB} (https://jenkins.example.com/queue/item/17/)`,
    ]);
    expect(journal.calls).toEqual([
      'fence',
      'jenkins.trigger',
      'checkpoint',
      'log',
    ]);
  });

  it('follows a build an earlier attempt triggered but did not save, and says so', async () => {
    const { journal, jenkins, stage, context } = setup();
    jenkins.existing = RUNNING;

    const result = await stage.run(context());

    const adopted = { ...RUNNING, adopted: true };
    expect(jenkins.triggered).toHaveLength(1);
    expect(journal.checkpoints).toEqual([{ build: adopted }]);
    expect(result).toEqual({
      type: 'wait',
      afterMs: 3_000,
      state: { build: adopted },
    });
    expect(journal.lines).toEqual([
      `info: Found Jenkins job ${JOB}'s build for dep-0042 already started (#12), following it instead of triggering another (${RUNNING.buildUrl})`,
    ]);

    // One still in the queue.
    const queued = setup();
    queued.jenkins.existing = QUEUED;
    await queued.stage.run(queued.context());
    expect(queued.journal.lines).toEqual([
      `info: Found Jenkins job ${JOB}'s build for dep-0042 already queued, following it instead of triggering another (${QUEUED.queueItemUrl})`,
    ]);
  });

  it('does not trigger a build once the lease is lost', async () => {
    const { journal, jenkins, stage, context } = setup({ loseLeaseAtFence: 1 });

    await expect(stage.run(context())).rejects.toThrow(LeaseLostError);

    expect(jenkins.triggered).toEqual([]);
    expect(journal.checkpoints).toEqual([]);
  });

  it('follows the saved build instead of triggering another, and waits while it is queued', async () => {
    const { journal, jenkins, stage, context } = setup({ answers: [{}] });

    const result = await stage.run(context({ build: QUEUED }));

    expect(jenkins.triggered).toEqual([]);
    expect(jenkins.polled).toEqual([QUEUED]);
    expect(result).toEqual({
      type: 'wait',
      afterMs: 3_000,
      state: { build: QUEUED },
    });
    expect(journal.logs).toEqual([]);
    // Polling is a read: no fence.
    expect(journal.calls).toEqual(['jenkins.poll']);
  });

  it('says once that the build started', async () => {
    const { journal, stage, context } = setup({
      answers: [{ buildNumber: 12, buildUrl: RUNNING.buildUrl }, {}],
    });

    const started = await stage.run(context({ build: QUEUED }));
    expect(started).toEqual({
      type: 'wait',
      afterMs: 3_000,
      state: { build: RUNNING },
    });
    const again = await stage.run(context({ build: RUNNING }));
    expect(again.type).toBe('wait');

    expect(journal.lines).toEqual([
      `info: Jenkins build #12 started: ${RUNNING.buildUrl}`,
    ]);
  });

  it('is done when the build succeeds', async () => {
    const { journal, stage, context } = setup({
      answers: [{ building: false, result: 'SUCCESS' }],
    });

    const result = await stage.run(context({ build: RUNNING }));

    expect(result).toEqual({
      type: 'done',
      state: { build: { ...RUNNING, building: false, result: 'SUCCESS' } },
    });
    expect(journal.lines).toEqual(['info: Jenkins build #12 succeeded']);
  });

  it('is done when a build that finished between two polls succeeded', async () => {
    const { journal, stage, context } = setup({
      answers: [
        {
          building: false,
          result: 'SUCCESS',
          buildNumber: 12,
          buildUrl: RUNNING.buildUrl,
        },
      ],
    });

    const result = await stage.run(context({ build: QUEUED }));

    expect(result.type).toBe('done');
    expect(journal.lines).toEqual([
      `info: Jenkins build #12 started: ${RUNNING.buildUrl}`,
      'info: Jenkins build #12 succeeded',
    ]);
  });

  it.each(['FAILURE', 'ABORTED', 'UNSTABLE'])(
    'fails with the build number when the build ends %s',
    async outcome => {
      const { stage, context } = setup({
        answers: [{ building: false, result: outcome }],
      });

      const result = await stage.run(context({ build: RUNNING }));

      expect(result).toEqual({
        type: 'fail',
        reason: `Jenkins build #12 of ${JOB} ended ${outcome}`,
        state: { build: { ...RUNNING, building: false, result: outcome } },
      });
    },
  );

  it('fails when Jenkins cancelled the queued build', async () => {
    const { stage, context } = setup({
      answers: [{ building: false, cancelled: true }],
    });

    const result = await stage.run(context({ build: QUEUED }));

    expect(result).toEqual({
      type: 'fail',
      reason: `Jenkins cancelled the queued build of ${JOB}`,
      state: { build: { ...QUEUED, building: false, cancelled: true } },
    });
  });

  it('fails when the build runs past the timeout, measured from the stage start to the step time', async () => {
    const { stage, context } = setup({ answers: [{}, {}] });

    const inTime = await stage.run(
      context({ build: RUNNING }, at(-TIMEOUT_MS)),
    );
    expect(inTime.type).toBe('wait');

    const late = await stage.run(
      context({ build: RUNNING }, at(-TIMEOUT_MS - 1)),
    );
    expect(late).toEqual({
      type: 'fail',
      reason: `Jenkins build of ${JOB} did not finish within 900 s`,
      state: { build: RUNNING },
    });
  });

  it('takes a result that arrives after the timeout', async () => {
    const { stage, context } = setup({
      answers: [{ building: false, result: 'SUCCESS' }],
    });

    const result = await stage.run(
      context({ build: RUNNING }, at(-2 * TIMEOUT_MS)),
    );

    expect(result.type).toBe('done');
  });

  describe('fails when Jenkins is not configured', () => {
    const reason = 'Jenkins is not configured for this service any more';

    it('without a Jenkins provider', async () => {
      const journal = new StepJournal();
      const stage = createJenkinsStage({
        settings: {
          timeoutMs: TIMEOUT_MS,
          jobAnnotation: ANNOTATION_JENKINS_JOB,
        },
        pollIntervalMs: 3_000,
      });

      const result = await stage.run(
        deploymentStageContext<JenkinsState>(journal, {
          kind: 'jenkins',
          environment: 'uat',
          service: deliveryEntity({
            annotations: { [ANNOTATION_JENKINS_JOB]: JOB },
          }),
        }),
      );

      expect(result).toEqual({ type: 'fail', reason });
    });

    it('without settings', async () => {
      const journal = new StepJournal();
      const jenkins = new FakeJenkins(journal);
      const stage = createJenkinsStage({ jenkins, pollIntervalMs: 3_000 });

      const result = await stage.run(
        deploymentStageContext<JenkinsState>(journal, {
          kind: 'jenkins',
          environment: 'uat',
          service: deliveryEntity({
            annotations: { [ANNOTATION_JENKINS_JOB]: JOB },
          }),
        }),
      );

      expect(result).toEqual({ type: 'fail', reason });
      expect(jenkins.triggered).toEqual([]);
    });

    it('when the service lost its job annotation', async () => {
      const { jenkins, journal } = setup();
      const stage = createJenkinsStage({
        jenkins,
        settings: {
          timeoutMs: TIMEOUT_MS,
          jobAnnotation: ANNOTATION_JENKINS_JOB,
        },
        pollIntervalMs: 3_000,
      });

      const result = await stage.run(
        deploymentStageContext<JenkinsState>(journal, {
          kind: 'jenkins',
          environment: 'uat',
          service: deliveryEntity(),
        }),
      );

      expect(result).toEqual({ type: 'fail', reason });
      expect(journal.calls).toEqual([]);
    });
  });
});

describe('jenkins stage against the sandbox Jenkins', () => {
  const USER = 'delivery';
  const API_TOKEN = 'sandbox-jenkins-token';
  let server: JenkinsServer;

  beforeAll(async () => {
    server = await startJenkinsServer({
      user: USER,
      apiToken: API_TOKEN,
      jobs: [{ fullName: JOB }],
    });
  });

  afterAll(() => server.close());

  it('sends the configured parameter names and finds its build by them after a lost checkpoint', async () => {
    server.state.setOutcome(JOB, {
      result: 'SUCCESS',
      queueMs: 60_000,
    });
    const jenkins = new JenkinsRestProvider({
      baseUrl: server.url,
      username: USER,
      apiToken: API_TOKEN,
      timeoutMs: 2_000,
    });
    const stage = createJenkinsStage({
      jenkins,
      settings: {
        timeoutMs: TIMEOUT_MS,
        jobAnnotation: ANNOTATION_JENKINS_JOB,
        parameters: readJenkinsParameterNames(
          new ConfigReader({
            delivery: {
              jenkins: {
                parameters: {
                  token: 'DELIVERY_TOKEN',
                  commitSha: 'SHA',
                  environment: 'STAGE',
                },
              },
            },
          }),
        ),
      },
      pollIntervalMs: 3_000,
    });
    const context = (journal: StepJournal) =>
      deploymentStageContext<JenkinsState>(journal, {
        kind: 'jenkins',
        environment: 'uat',
        state: {},
        startedAt: at(-1_000),
        service: deliveryEntity({
          annotations: { [ANNOTATION_JENKINS_JOB]: JOB },
        }),
      });

    const first = new StepJournal();
    const triggered = await stage.run(context(first));
    const [item] = server.state.queuedItems(JOB);
    expect(item.parameters).toEqual({
      DELIVERY_TOKEN: 'dep-0042',
      SHA: INPUT.commitSha,
      STAGE: 'uat',
    });
    expect(first.lines).toEqual([
      `info: Triggered Jenkins job ${JOB} (${server.url}/queue/item/${item.id}/)`,
    ]);

    // The same step again, as after a crash before its checkpoint was saved: it finds the item
    // by the configured token and environment names, and queues nothing.
    const again = new StepJournal();
    const adopted = await stage.run(context(again));
    expect(adopted).toEqual({
      type: 'wait',
      afterMs: 3_000,
      state: {
        build: {
          queueItemUrl: `${server.url}/queue/item/${item.id}/`,
          jobFullName: JOB,
          queueId: item.id,
          building: true,
          adopted: true,
        },
      },
    });
    expect(triggered.type).toBe('wait');
    expect(server.state.queuedItems(JOB)).toHaveLength(1);
    expect(server.state.builds(JOB)).toHaveLength(0);
    expect(again.lines).toEqual([
      `info: Found Jenkins job ${JOB}'s build for dep-0042 already queued, following it instead of triggering another (${server.url}/queue/item/${item.id}/)`,
    ]);
  });
});
