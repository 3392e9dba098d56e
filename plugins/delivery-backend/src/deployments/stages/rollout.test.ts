import { RolloutState as WorkloadRollout } from '@internal/plugin-delivery-common';
import {
  INPUT,
  StepJournal,
  at,
  backupIn,
  backupStage,
  deployStage,
  deploymentStageContext,
} from '../__testUtils__/stageContext';
import { FakeKubernetes, workload } from '../__testUtils__/fakes';
import { createRolloutStage } from './rollout';
import { RolloutState } from './shared';

const TIMEOUT_MS = 300_000;

describe('rollout stage', () => {
  function setup(running?: {
    image?: string;
    rollout?: WorkloadRollout;
    replicas?: { desired?: number; ready?: number; updated?: number };
  }) {
    const journal = new StepJournal();
    const kubernetes = new FakeKubernetes(journal);
    if (running) {
      kubernetes.put(
        workload({
          cluster: 'prod-cluster',
          namespace: 'canary-apps',
          image: running.image ?? INPUT.image,
          rollout: running.rollout,
          replicas: running.replicas,
        }),
      );
    }
    const stage = createRolloutStage({
      kubernetes,
      rolloutTimeoutMs: TIMEOUT_MS,
      pollIntervalMs: 2_000,
    });
    const context = (
      options: { state?: RolloutState; startedAt?: Date } = {},
    ) =>
      deploymentStageContext<RolloutState>(journal, {
        kind: 'rollout',
        environment: 'canary',
        state: options.state,
        startedAt: options.startedAt,
        before: [
          backupStage('uat'),
          deployStage('uat'),
          backupStage('canary'),
          deployStage('canary'),
        ],
      });
    return { journal, kubernetes, stage, context };
  }

  it('is done when the workload runs the new image everywhere and is ready', async () => {
    const { journal, stage, context } = setup({ rollout: 'complete' });

    const result = await stage.run(context({ startedAt: at(-30_000) }));

    expect(result).toEqual({ type: 'done' });
    expect(journal.lines).toEqual([
      `info: Rollout complete: 3/3 replicas ready on ${INPUT.image}`,
    ]);
    // It only reads, and only the workload its environment's backup names.
    expect(journal.calls).toEqual(['kubernetes.getWorkload', 'log']);
  });

  it('waits while the new image rolls out, and logs the progress', async () => {
    const { journal, stage, context } = setup({
      rollout: 'progressing',
      replicas: { desired: 3, updated: 2, ready: 1 },
    });

    const result = await stage.run(context());

    expect(result).toEqual({
      type: 'wait',
      afterMs: 2_000,
      state: { lastProgress: '2/3 updated, 1 ready' },
    });
    expect(journal.lines).toEqual(['info: Rolling out: 2/3 updated, 1 ready']);
  });

  it('logs the progress only when it changed since the last look', async () => {
    const { journal, stage, context } = setup({
      rollout: 'progressing',
      replicas: { desired: 3, updated: 2, ready: 1 },
    });

    const same = await stage.run(
      context({ state: { lastProgress: '2/3 updated, 1 ready' } }),
    );
    expect(same.type).toBe('wait');
    expect(journal.logs).toEqual([]);

    const changed = await stage.run(
      context({ state: { lastProgress: '1/3 updated, 1 ready' } }),
    );
    expect(changed).toEqual({
      type: 'wait',
      afterMs: 2_000,
      state: { lastProgress: '2/3 updated, 1 ready' },
    });
    expect(journal.lines).toEqual(['info: Rolling out: 2/3 updated, 1 ready']);
  });

  it('is not done while a complete workload still runs the old image', async () => {
    const { journal, stage, context } = setup({
      image: backupIn('canary').image,
      rollout: 'complete',
    });

    const result = await stage.run(context());

    expect(result.type).toBe('wait');
    expect(journal.lines).toEqual(['info: Rolling out: 3/3 updated, 3 ready']);
  });

  it('fails once the timeout has passed between the stage start and the step time', async () => {
    const { journal, stage, context } = setup({
      rollout: 'progressing',
      replicas: { desired: 3, updated: 3, ready: 1 },
    });

    const result = await stage.run(
      context({
        startedAt: at(-TIMEOUT_MS - 1),
        state: { lastProgress: '3/3 updated, 1 ready' },
      }),
    );

    expect(result).toEqual({
      type: 'fail',
      reason: 'Rollout did not complete within 300 s (1/3 ready)',
    });
    expect(journal.logs).toEqual([]);
  });

  it('still waits when exactly the timeout has passed', async () => {
    const { stage, context } = setup({ rollout: 'progressing' });

    const result = await stage.run(context({ startedAt: at(-TIMEOUT_MS) }));

    expect(result.type).toBe('wait');
  });

  it('waits for a workload that is not there, then times out', async () => {
    const { journal, stage, context } = setup();

    const waiting = await stage.run(context({ startedAt: at(-60_000) }));
    expect(waiting).toEqual({
      type: 'wait',
      afterMs: 2_000,
      state: { lastProgress: '0/0 updated, 0 ready' },
    });
    expect(journal.lines).toEqual(['info: Rolling out: 0/0 updated, 0 ready']);

    const late = await stage.run(
      context({ startedAt: at(-TIMEOUT_MS - 60_000) }),
    );
    expect(late).toEqual({
      type: 'fail',
      reason: 'Rollout did not complete within 300 s (0/0 ready)',
    });
  });

  it('throws when no backup of its environment was recorded', async () => {
    const { journal, stage } = setup({ rollout: 'complete' });

    await expect(
      stage.run(
        deploymentStageContext<RolloutState>(journal, {
          kind: 'rollout',
          environment: 'canary',
          before: [backupStage('uat')],
        }),
      ),
    ).rejects.toThrow('No backup of canary was recorded before canary.rollout');
  });
});
