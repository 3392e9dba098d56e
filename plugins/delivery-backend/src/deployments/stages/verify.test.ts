import { LeaseLostError, StepResult } from '../../engine';
import { HealthSample } from '../../providers/metrics';
import {
  ENVIRONMENTS,
  INPUT,
  NOW,
  StepJournal,
  at,
  backupStage,
  deployStage,
  deploymentStageContext,
  stageRecord,
} from '../__testUtils__/stageContext';
import { FakeGitHub, FakeMetrics } from '../__testUtils__/fakes';
import { VerifyState, createVerifyStage } from './verify';

type Sample = Omit<HealthSample, 'sampledAt'>;

const HEALTHY: Sample = {
  errorRate: 0.005,
  p95Seconds: 0.25,
  requestsPerSecond: 12,
};
const FAILING: Sample = {
  errorRate: 0.2,
  p95Seconds: 0.3,
  requestsPerSecond: 11.94,
};
const NO_TRAFFIC: Sample = { requestsPerSecond: 0 };

const WINDOW_MS = 60_000;
const INTERVAL_MS = 5_000;
const EVIDENCE_TIMEOUT_MS = 30_000;
/** The state after the first step, which only says how it verifies. */
const ANNOUNCED: VerifyState = { announced: true };

describe('verify stage', () => {
  function setup(
    options: {
      samples?: Sample[];
      noMetrics?: boolean;
      verifyWithoutMetrics?: boolean;
      consecutiveBreaches?: number;
      githubDeploymentId?: number | null;
      environment?: string;
      loseLeaseAtFence?: number;
    } = {},
  ) {
    const environment = options.environment ?? 'canary';
    const journal = new StepJournal();
    const github = new FakeGitHub(journal);
    const metrics = options.noMetrics
      ? undefined
      : new FakeMetrics(journal, options.samples ?? []);
    const stage = createVerifyStage({
      metrics,
      github,
      environments: ENVIRONMENTS,
      thresholds: { errorRate: 0.05, p95Seconds: 1 },
      consecutiveBreaches: options.consecutiveBreaches ?? 3,
      verification: {
        canary: {
          windowMs: WINDOW_MS,
          intervalMs: INTERVAL_MS,
          minSamples: 3,
          evidenceTimeoutMs: EVIDENCE_TIMEOUT_MS,
        },
        production: {
          windowMs: 600_000,
          intervalMs: 15_000,
          minSamples: 3,
          evidenceTimeoutMs: 600_000,
        },
      },
      sampleWindowMs: 20_000,
      verifyWithoutMetrics: options.verifyWithoutMetrics ?? false,
    });
    const id =
      options.githubDeploymentId === null
        ? undefined
        : options.githubDeploymentId ?? 4242;
    /** One step at `now`, the stage having started (its rollout finished) at NOW. */
    const step = (now: Date, state: VerifyState = ANNOUNCED) =>
      stage.run(
        deploymentStageContext<VerifyState>(journal, {
          kind: 'verify',
          environment,
          state,
          startedAt: NOW,
          now,
          before: [
            backupStage('uat'),
            deployStage('uat', 1111),
            backupStage(environment),
            deployStage(environment, id),
            stageRecord({ kind: 'rollout', environment, state: {} }),
          ],
          loseLeaseAtFence: options.loseLeaseAtFence,
        }),
      );
    return { journal, github, metrics, step };
  }

  /** Steps from NOW, each with the state the previous one left, until it ends. */
  async function runUntilEnd(
    step: (now: Date, state: VerifyState) => Promise<StepResult<VerifyState>>,
  ) {
    let state: VerifyState = {};
    let now = NOW;
    for (let i = 0; i < 100; i++) {
      const result = await step(now, state);
      if (result.type !== 'wait') return { result, now };
      state = result.state ?? state;
      now = new Date(now.getTime() + result.afterMs);
    }
    throw new Error('The verification never ended');
  }

  it('first says how it verifies and waits an interval, so no sample covers time before the rollout finished', async () => {
    const { journal, metrics, step } = setup({ samples: [HEALTHY] });

    const result = await step(NOW, {});

    expect(result).toEqual({
      type: 'wait',
      afterMs: INTERVAL_MS,
      state: { announced: true },
    });
    expect(metrics?.targets).toEqual([]);
    expect(journal.lines).toEqual([
      'info: Watching abcdef0 for 60 s, a sample every 5 s; at least 3 with its traffic needed',
    ]);
  });

  it("samples only the new version's traffic since the rollout finished, and waits for the next sample", async () => {
    const { journal, github, metrics, step } = setup({
      samples: [HEALTHY, HEALTHY],
    });

    const result = await step(at(INTERVAL_MS));
    await step(at(45_000));

    expect(result).toEqual({
      type: 'wait',
      afterMs: INTERVAL_MS,
      state: { announced: true, samples: 1, evidence: 1, streak: 0 },
    });
    const target = {
      environment: 'canary',
      cluster: 'prod-cluster',
      namespace: 'canary-apps',
      workload: 'payments',
      entityRef: INPUT.entityRef,
      version: INPUT.commitSha,
    };
    expect(metrics?.targets).toEqual([
      // 5 s after the rollout: a range of 5 s, not the provider's whole window.
      { ...target, windowSeconds: 5 },
      // Later, never more than delivery.metrics.window.
      { ...target, windowSeconds: 20 },
    ]);
    expect(journal.lines[0]).toBe(
      'info: Health sample 1: error rate 0.50%, p95 0.25 s, 12.0 req/s',
    );
    expect(github.statuses).toEqual([]);
  });

  it('is done after a healthy window with enough evidence, and marks the GitHub deployment successful', async () => {
    const { journal, github, step } = setup({ samples: [HEALTHY] });

    const result = await step(at(WINDOW_MS), {
      announced: true,
      samples: 11,
      evidence: 11,
      streak: 0,
    });

    expect(result).toEqual({
      type: 'done',
      state: { announced: true, samples: 12, evidence: 12, streak: 0 },
    });
    expect(journal.lines).toEqual([
      'info: Health sample 12: error rate 0.50%, p95 0.25 s, 12.0 req/s',
      'info: Healthy for the 60 s window (12 samples with traffic)',
    ]);
    expect(github.statuses).toEqual([
      {
        slug: 'acme/payments',
        deploymentId: 4242,
        state: 'success',
        description: 'Verified dep-0042',
      },
    ]);
    expect(journal.calls).toEqual([
      'metrics.health',
      'log',
      'log',
      'fence',
      'github.createDeploymentStatus',
    ]);
  });

  it('samples every interval over the whole window when healthy', async () => {
    const samples = Array.from({ length: 20 }, () => HEALTHY);
    const { metrics, step } = setup({ samples });

    const { result, now } = await runUntilEnd(step);

    expect(result).toMatchObject({
      type: 'done',
      state: { samples: 12, evidence: 12, streak: 0 },
    });
    expect(now).toEqual(at(WINDOW_MS));
    expect(metrics?.targets).toHaveLength(12);
  });

  it('fails after enough unhealthy samples in a row, and marks the GitHub deployment failed', async () => {
    const { journal, github, step } = setup({ samples: [FAILING] });

    const result = await step(at(30_000), {
      announced: true,
      samples: 5,
      evidence: 5,
      streak: 2,
    });

    expect(result).toEqual({
      type: 'fail',
      reason: 'Unhealthy in canary: error rate 20.00% above 5.00%',
      state: { announced: true, samples: 6, evidence: 6, streak: 3 },
    });
    expect(journal.lines).toEqual([
      'warn: Health sample 6: error rate 20.00%, p95 0.30 s, 11.9 req/s',
    ]);
    expect(github.statuses).toEqual([
      {
        slug: 'acme/payments',
        deploymentId: 4242,
        state: 'failure',
        description: 'Unhealthy: error rate 20.00% above 5.00%',
      },
    ]);
    expect(journal.unfenced(['github.createDeploymentStatus'])).toEqual([]);
  });

  it('names every threshold crossed', async () => {
    const { step } = setup({
      samples: [{ errorRate: 0.1, p95Seconds: 2.5, requestsPerSecond: 30 }],
      consecutiveBreaches: 1,
    });

    const result = await step(at(INTERVAL_MS));

    expect(result).toMatchObject({
      type: 'fail',
      reason:
        'Unhealthy in canary: error rate 10.00% above 5.00% and p95 latency 2.50 s above 1 s',
    });
  });

  it('fails at the third unhealthy sample in a row, sampling over time', async () => {
    const { journal, step } = setup({
      samples: [HEALTHY, FAILING, FAILING, FAILING, HEALTHY],
    });

    const { result, now } = await runUntilEnd(step);

    expect(result).toMatchObject({
      type: 'fail',
      state: { samples: 4, streak: 3 },
    });
    expect(now).toEqual(at(4 * INTERVAL_MS));
    expect(journal.logs.map(l => l.level)).toEqual([
      'info',
      'info',
      'warn',
      'warn',
      'warn',
    ]);
  });

  it('starts the streak again after a healthy sample', async () => {
    const { journal, github, step } = setup({
      samples: [FAILING, FAILING, HEALTHY],
    });

    const first = await step(at(5_000));
    expect(first).toMatchObject({ state: { samples: 1, streak: 1 } });
    const second = await step(at(10_000), first.state);
    expect(second).toMatchObject({ state: { samples: 2, streak: 2 } });
    const third = await step(at(15_000), second.state);

    expect(third).toEqual({
      type: 'wait',
      afterMs: INTERVAL_MS,
      state: { announced: true, samples: 3, evidence: 3, streak: 0 },
    });
    expect(journal.lines.at(-1)).toBe(
      'info: Health sample 3: error rate 0.50%, p95 0.25 s, 12.0 req/s',
    );
    expect(github.statuses).toEqual([]);
  });

  it('passes when breaches are separated by healthy samples and the window ends healthy', async () => {
    const samples = Array.from({ length: 20 }, (_, i) =>
      i % 3 === 0 ? HEALTHY : FAILING,
    );
    const { github, step } = setup({ samples });

    const { result, now } = await runUntilEnd(step);

    expect(result).toMatchObject({ type: 'done' });
    // The window ended on a breach at 60 s: it sampled on until a healthy sample.
    expect(now).toEqual(at(WINDOW_MS + INTERVAL_MS));
    expect(github.statuses.map(s => s.state)).toEqual(['success']);
  });

  it('counts a sample without traffic of the new version as inconclusive, never healthy', async () => {
    const { journal, step } = setup({ samples: [NO_TRAFFIC] });

    const result = await step(at(INTERVAL_MS), {
      announced: true,
      samples: 2,
      evidence: 1,
      streak: 2,
    });

    expect(result).toEqual({
      type: 'wait',
      afterMs: INTERVAL_MS,
      // Neither evidence nor a break of the unhealthy streak.
      state: { announced: true, samples: 3, evidence: 1, streak: 2 },
    });
    expect(journal.lines).toEqual([
      'warn: Health sample 3: no traffic of abcdef0: inconclusive',
    ]);
  });

  it('fails for lack of evidence when no traffic comes within the window and the evidence timeout', async () => {
    const samples = Array.from({ length: 30 }, () => NO_TRAFFIC);
    const { github, step } = setup({ samples });

    const { result, now } = await runUntilEnd(step);

    expect(now).toEqual(at(WINDOW_MS + EVIDENCE_TIMEOUT_MS));
    expect(result).toEqual({
      type: 'fail',
      reason:
        'Not verified in canary within 90 s: not enough evidence: 0 of 18 samples had traffic of abcdef0, 3 needed',
      state: { announced: true, samples: 18, evidence: 0, streak: 0 },
    });
    expect(github.statuses).toEqual([
      expect.objectContaining({
        state: 'failure',
        description:
          'Not verified: not enough evidence: 0 of 18 samples had traffic of abcdef0, 3 needed',
      }),
    ]);
  });

  it('waits past the window for the minimum evidence, and passes when it comes', async () => {
    const samples = [
      ...Array.from({ length: 11 }, () => NO_TRAFFIC),
      HEALTHY,
      HEALTHY,
      HEALTHY,
    ];
    const { step } = setup({ samples });

    const { result, now } = await runUntilEnd(step);

    expect(result).toMatchObject({
      type: 'done',
      state: { samples: 14, evidence: 3 },
    });
    expect(now).toEqual(at(WINDOW_MS + 2 * INTERVAL_MS));
  });

  it('writes ? for a latency the metrics do not have', async () => {
    const { journal, step } = setup({
      samples: [{ errorRate: 0, requestsPerSecond: 0.25 }],
    });

    await step(at(INTERVAL_MS));

    expect(journal.lines).toEqual([
      'info: Health sample 1: error rate 0.00%, p95 ? s, 0.3 req/s',
    ]);
  });

  it('is done without a GitHub status when the deploy stage recorded no GitHub deployment', async () => {
    const { github, journal, step } = setup({
      samples: [HEALTHY],
      githubDeploymentId: null,
    });

    const result = await step(at(WINDOW_MS), {
      announced: true,
      samples: 5,
      evidence: 5,
      streak: 0,
    });

    expect(result.type).toBe('done');
    expect(github.statuses).toEqual([]);
    expect(journal.count('fence')).toBe(0);
  });

  it('logs a GitHub failure as a warning and is still done', async () => {
    const { journal, github, step } = setup({ samples: [HEALTHY] });
    github.failure = new Error('GitHub answered 502');

    const result = await step(at(WINDOW_MS), {
      announced: true,
      samples: 5,
      evidence: 5,
      streak: 0,
    });

    expect(result.type).toBe('done');
    expect(journal.lines.at(-1)).toBe(
      'warn: Could not record the deployment on GitHub: GitHub answered 502',
    );
  });

  describe('without a metrics provider', () => {
    it('refuses to call the environment verified', async () => {
      const { github, step } = setup({ noMetrics: true });

      expect(await step(at(WINDOW_MS), {})).toEqual({
        type: 'fail',
        reason:
          'No metrics provider is configured (delivery.metrics), so canary cannot be verified; delivery.pipeline.verifyWithoutMetrics: true allows waiting the window out instead',
      });
      expect(github.statuses).toEqual([]);
    });

    it('warns once and waits the window out when config allows it explicitly', async () => {
      const { journal, github, step } = setup({
        noMetrics: true,
        verifyWithoutMetrics: true,
      });

      const first = await step(at(0), {});
      expect(first).toEqual({
        type: 'wait',
        afterMs: INTERVAL_MS,
        state: { announced: true },
      });
      const second = await step(at(30_000), first.state);
      expect(second).toEqual({
        type: 'wait',
        afterMs: INTERVAL_MS,
        state: { announced: true },
      });
      const done = await step(at(WINDOW_MS), second.state);
      expect(done).toEqual({ type: 'done' });

      expect(journal.lines).toEqual([
        'warn: No metrics provider is configured (delivery.metrics): health is not checked, only the 60 s window waited out (delivery.pipeline.verifyWithoutMetrics)',
      ]);
      expect(github.statuses).toEqual([
        {
          slug: 'acme/payments',
          deploymentId: 4242,
          state: 'success',
          description: 'Deployed dep-0042',
        },
      ]);
    });
  });

  it('records no status once the lease is lost', async () => {
    const { github, step } = setup({
      samples: [HEALTHY],
      loseLeaseAtFence: 1,
    });

    await expect(
      step(at(WINDOW_MS), {
        announced: true,
        samples: 5,
        evidence: 5,
        streak: 0,
      }),
    ).rejects.toThrow(LeaseLostError);

    expect(github.statuses).toEqual([]);
  });

  it('throws when no backup of its environment was recorded', async () => {
    const journal = new StepJournal();
    const stage = createVerifyStage({
      github: new FakeGitHub(journal),
      environments: ENVIRONMENTS,
      thresholds: { errorRate: 0.05, p95Seconds: 1 },
      consecutiveBreaches: 3,
      verification: {},
      sampleWindowMs: 60_000,
      verifyWithoutMetrics: false,
    });

    await expect(
      stage.run(
        deploymentStageContext<VerifyState>(journal, {
          kind: 'verify',
          environment: 'canary',
        }),
      ),
    ).rejects.toThrow('No backup of canary was recorded before canary.verify');
  });
});
