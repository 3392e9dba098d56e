import { LeaseLostError, StageRecord } from '../../engine';
import {
  INPUT,
  OLD_COMMIT,
  OLD_IMAGE,
  StepJournal,
  at,
  backupIn,
  backupStage,
  deliveryEntity,
  deployStage,
  deploymentStageContext,
  stageRecord,
} from '../__testUtils__/stageContext';
import {
  FakeGitHub,
  FakeKubernetes,
  FakeLocks,
  FakeOnCall,
  workload,
} from '../__testUtils__/fakes';
import { WORKLOAD_ANNOTATION_TOKEN } from '../types';
import { RollbackState, createRollbackStage } from './rollback';

const REASON =
  'canary.verify: Unhealthy in canary: error rate 20.00% above 5.00%';
const TIMEOUT_MS = 300_000;

/** A run that failed verifying canary, with canary's GitHub deployment 4343. */
function failedRun(canaryBackup: StageRecord = backupStage('canary')) {
  return [
    stageRecord({ kind: 'validate', state: {} }),
    backupStage('uat'),
    deployStage('uat', 4242),
    stageRecord({ kind: 'rollout', environment: 'uat', state: {} }),
    stageRecord({ kind: 'verify', environment: 'uat', state: {} }),
    canaryBackup,
    deployStage('canary', 4343),
    stageRecord({ kind: 'rollout', environment: 'canary', state: {} }),
    stageRecord({
      kind: 'verify',
      environment: 'canary',
      status: 'failed',
      state: {},
    }),
    stageRecord({
      kind: 'backup',
      environment: 'production',
      status: 'skipped',
      state: {},
    }),
  ];
}

describe('rollback stage', () => {
  function setup(
    options: {
      running?: string;
      loseLeaseAtFence?: number;
      before?: StageRecord[];
      errors?: number;
    } = {},
  ) {
    const journal = new StepJournal();
    const kubernetes = new FakeKubernetes(journal);
    kubernetes.put(
      workload({
        cluster: 'prod-cluster',
        namespace: 'canary-apps',
        image: options.running ?? INPUT.image,
        commitSha: options.running ? OLD_COMMIT : INPUT.commitSha,
      }),
    );
    const github = new FakeGitHub(journal);
    const queue = new FakeLocks(journal);
    const onCall = new FakeOnCall(journal);
    const stage = createRollbackStage({
      kubernetes,
      github,
      queue,
      onCall,
      rolloutTimeoutMs: TIMEOUT_MS,
      pollIntervalMs: 2_000,
    });
    const context = (
      state: RollbackState = {},
      step: { startedAt?: Date; now?: Date } = {},
    ) =>
      deploymentStageContext<RollbackState>(journal, {
        kind: 'rollback',
        environment: 'canary',
        state,
        startedAt: step.startedAt,
        now: step.now ?? at(1_000),
        outcome: 'rolled_back',
        reason: REASON,
        before: options.before ?? failedRun(),
        loseLeaseAtFence: options.loseLeaseAtFence,
        errors: options.errors,
      });
    return { journal, kubernetes, github, queue, onCall, stage, context };
  }

  it('returns the workload to the backup once, marks the GitHub deployment failed, then follows the rollout', async () => {
    const { journal, kubernetes, github, stage, context } = setup();

    const result = await stage.run(context());

    expect(kubernetes.versionsSet).toEqual([
      {
        cluster: 'prod-cluster',
        namespace: 'canary-apps',
        name: 'payments',
        image: OLD_IMAGE,
        commitSha: OLD_COMMIT,
        deployedAt: at(1_000),
        annotations: { [WORKLOAD_ANNOTATION_TOKEN]: 'dep-0042-rollback' },
      },
    ]);
    expect(github.statuses).toEqual([
      {
        slug: 'acme/payments',
        deploymentId: 4343,
        state: 'failure',
        description: `Rolled back: ${REASON}`,
      },
    ]);
    expect(journal.checkpoints).toEqual([{ restored: true }]);
    expect(result).toEqual({
      type: 'wait',
      afterMs: 2_000,
      state: { restored: true, lastProgress: '3/3 updated, 3 ready' },
    });
    expect(journal.lines).toEqual([
      `warn: Returned canary-apps/payments in prod-cluster to ${OLD_IMAGE}`,
      'info: Rolling out: 3/3 updated, 3 ready',
    ]);
    expect(journal.calls).toEqual([
      'fence',
      'kubernetes.setWorkloadVersion',
      'log',
      'fence',
      'github.createDeploymentStatus',
      'checkpoint',
      'kubernetes.getWorkload',
      'log',
    ]);
    expect(journal.fencesBefore('kubernetes.setWorkloadVersion')).toBe(1);
  });

  it('does not set the image again once restored, and is done when the backup runs', async () => {
    const { journal, kubernetes, github, stage, context } = setup({
      running: OLD_IMAGE,
    });

    const result = await stage.run(
      context({ restored: true, lastProgress: '1/3 updated, 0 ready' }),
    );

    expect(result).toEqual({ type: 'done' });
    expect(kubernetes.versionsSet).toEqual([]);
    expect(github.statuses).toEqual([]);
    expect(journal.lines).toEqual([
      `info: Rollout complete: 3/3 replicas ready on ${OLD_IMAGE}`,
    ]);
    expect(journal.calls).toEqual(['kubernetes.getWorkload', 'log']);
  });

  it('keeps a workload that still runs the backup, and is done at once', async () => {
    const { journal, stage, context } = setup({ running: OLD_IMAGE });

    const result = await stage.run(context());

    expect(result).toEqual({ type: 'done' });
    expect(journal.checkpoints).toEqual([{ restored: true }]);
    expect(journal.lines).toEqual([
      `warn: Kept canary-apps/payments in prod-cluster to ${OLD_IMAGE}`,
      `info: Rollout complete: 3/3 replicas ready on ${OLD_IMAGE}`,
    ]);
  });

  it('returns the workload to where the backup says, whatever the catalog says now', async () => {
    const { kubernetes, stage, journal } = setup();
    kubernetes.put(
      workload({
        cluster: 'prod-cluster',
        namespace: 'canary-apps',
        name: 'payments-v1',
        image: INPUT.image,
      }),
    );

    await stage.run(
      deploymentStageContext<RollbackState>(journal, {
        kind: 'rollback',
        environment: 'canary',
        reason: REASON,
        service: deliveryEntity({ kubernetesNamespace: 'somewhere-else' }),
        before: failedRun(
          backupStage(
            'canary',
            backupIn('canary', { workload: 'payments-v1' }),
          ),
        ),
      }),
    );

    expect(kubernetes.versionsSet).toMatchObject([
      {
        cluster: 'prod-cluster',
        namespace: 'canary-apps',
        name: 'payments-v1',
      },
    ]);
  });

  it('is done without touching anything when the environment has no backup', async () => {
    const { journal, kubernetes, github, stage, context } = setup({
      before: failedRun(backupStage('canary', null)),
    });

    const result = await stage.run(context());

    expect(result).toEqual({ type: 'done' });
    expect(journal.calls).toEqual([]);
    expect(kubernetes.versionsSet).toEqual([]);
    expect(github.statuses).toEqual([]);
  });

  it('still restores when GitHub fails, with a warning', async () => {
    const { journal, kubernetes, github, stage, context } = setup();
    github.failure = new Error('GitHub answered 503');

    await stage.run(context());

    expect(kubernetes.versionsSet).toHaveLength(1);
    expect(journal.checkpoints).toEqual([{ restored: true }]);
    expect(journal.lines).toContain(
      'warn: Could not record the deployment on GitHub: GitHub answered 503',
    );
  });

  it('does not fail when the rollout back outlasts the timeout: it locks the queue, pages on-call once, and watches on', async () => {
    const { journal, queue, onCall, stage, context } = setup();

    const result = await stage.run(
      context(
        { restored: true, lastProgress: '3/3 updated, 3 ready' },
        { startedAt: at(-TIMEOUT_MS - 1), now: at(0) },
      ),
    );

    const reason = `Rollback of ${INPUT.token} in canary cannot finish: Rollout did not complete within 300 s (3/3 ready)`;
    expect(result).toEqual({
      type: 'wait',
      afterMs: 2_000,
      state: {
        restored: true,
        lastProgress: '3/3 updated, 3 ready',
        alerted: true,
        lockedQueue: true,
      },
    });
    expect(queue.held).toEqual({
      entityRef: INPUT.entityRef,
      lockedBy: 'delivery',
      reason,
      lockedAt: at(0),
    });
    expect(onCall.alerts).toEqual([
      {
        title: 'A rollback cannot finish',
        description: `${reason}. canary-apps/payments in prod-cluster should return to ${OLD_IMAGE}; the rollback keeps retrying. The queue is locked until it finishes.`,
      },
    ]);
    expect(journal.lines).toContain(
      `error: ${reason}; on-call paged, queue locked; still retrying`,
    );
    // Fenced before it locks or pages.
    expect(journal.fencesBefore('locks.lock')).toBe(1);

    // The next look: already paged, not again.
    await stage.run(
      context(
        { restored: true, lastProgress: '3/3 updated, 3 ready', alerted: true },
        { startedAt: at(-TIMEOUT_MS - 1), now: at(2_000) },
      ),
    );
    expect(onCall.alerts).toHaveLength(1);
  });

  it('retries for ever with backoff, and after three failed steps in a row locks the queue and pages on-call', async () => {
    const { queue, onCall, stage, context } = setup({ errors: 3 });
    expect(stage.retry?.maxAttempts).toBe(Infinity);
    expect(stage.retry?.backoffMs(50)).toBe(30_000);

    await stage.run(context());

    expect(queue.held?.reason).toBe(
      `Rollback of ${INPUT.token} in canary cannot finish: its last 3 attempts failed (see the stage's log)`,
    );
    expect(onCall.alerts.map(a => a.title)).toEqual([
      'A rollback cannot finish',
    ]);
  });

  it('keeps a lock someone else holds, and pages on-call without locking', async () => {
    const { queue, onCall, stage, context } = setup({ errors: 5 });
    queue.held = {
      entityRef: INPUT.entityRef,
      lockedBy: 'user:default/grace',
      reason: 'Incident INC-9',
      lockedAt: at(-5),
    };

    await stage.run(context());

    expect(queue.held.lockedBy).toBe('user:default/grace');
    expect(onCall.alerts[0].description).not.toContain('The queue is locked');
  });

  it('unlocks the queue it locked and tells on-call when it finally finishes', async () => {
    const { journal, queue, onCall, stage, context } = setup({
      running: OLD_IMAGE,
    });
    queue.held = {
      entityRef: INPUT.entityRef,
      lockedBy: 'delivery',
      reason: `Rollback of ${INPUT.token} in canary cannot finish: its last 3 attempts failed (see the stage's log)`,
      lockedAt: at(-5),
    };

    const result = await stage.run(
      context({ restored: true, alerted: true, lockedQueue: true }),
    );

    expect(result).toEqual({ type: 'done' });
    expect(queue.held).toBeUndefined();
    expect(onCall.alerts).toEqual([
      {
        title: 'The rollback finished',
        description: `canary-apps/payments in prod-cluster runs ${OLD_IMAGE} again; the queue is unlocked.`,
        resolved: true,
      },
    ]);
    expect(journal.lines).toContain(
      'info: Rollback finished after all; queue unlocked',
    );
  });

  it('touches nothing once the lease is lost', async () => {
    const { journal, kubernetes, github, stage, context } = setup({
      loseLeaseAtFence: 1,
    });

    await expect(stage.run(context())).rejects.toThrow(LeaseLostError);

    expect(kubernetes.versionsSet).toEqual([]);
    expect(github.statuses).toEqual([]);
    expect(journal.checkpoints).toEqual([]);
    expect(journal.calls).toEqual(['fence']);
  });
});
