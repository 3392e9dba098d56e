import {
  ENVIRONMENTS,
  OLD_COMMIT,
  OLD_IMAGE,
  StepJournal,
  backupIn,
  deliveryEntity,
  deploymentStageContext,
} from '../__testUtils__/stageContext';
import { FakeKubernetes, FakeLocks, workload } from '../__testUtils__/fakes';
import { BackupState } from '../types';
import { createBackupStage } from './backup';

describe('backup stage', () => {
  function setup() {
    const journal = new StepJournal();
    const kubernetes = new FakeKubernetes(journal);
    const locks = new FakeLocks(journal);
    const stage = createBackupStage({
      kubernetes,
      environments: ENVIRONMENTS,
      locks,
      pollIntervalMs: 1_000,
    });
    return { journal, kubernetes, locks, stage };
  }

  it('records where the environment runs, which version, its scale and env, and says so', async () => {
    const { journal, kubernetes, stage } = setup();
    const running = workload({
      cluster: 'prod-cluster',
      namespace: 'canary-apps',
      name: 'payments-api',
      revision: '12',
    });
    running.env = [
      { name: 'LOG_LEVEL', value: 'info' },
      { name: 'SECRET_REF' },
    ];
    kubernetes.put(running);

    const result = await stage.run(
      deploymentStageContext<BackupState>(journal, {
        kind: 'backup',
        environment: 'canary',
      }),
    );

    expect(result).toEqual({
      type: 'done',
      state: {
        backup: {
          cluster: 'prod-cluster',
          namespace: 'canary-apps',
          workload: 'payments-api',
          image: OLD_IMAGE,
          commitSha: OLD_COMMIT,
          revision: '12',
          replicas: 3,
          env: [{ name: 'LOG_LEVEL', value: 'info' }, { name: 'SECRET_REF' }],
        },
      },
    });
    expect(journal.lines).toEqual([
      'info: Recorded the running version 1111111 (payments-api) to return to on failure',
    ]);
    // It only reads: nothing to fence.
    expect(journal.calls).toEqual([
      'locks.getLock',
      'kubernetes.findWorkload',
      'log',
    ]);
  });

  it("looks in the service's own namespace when the entity names one", async () => {
    const { journal, kubernetes, stage } = setup();
    kubernetes.put(workload({ namespace: 'payments-team' }));

    const result = await stage.run(
      deploymentStageContext<BackupState>(journal, {
        kind: 'backup',
        environment: 'uat',
        service: deliveryEntity({ kubernetesNamespace: 'payments-team' }),
      }),
    );

    expect(result.type).toBe('done');
    expect(result.state).toStrictEqual({
      backup: {
        cluster: 'uat-cluster',
        namespace: 'payments-team',
        workload: 'payments',
        image: OLD_IMAGE,
        commitSha: OLD_COMMIT,
        replicas: 3,
      },
    });
  });

  it('leaves the revision out and the commit empty when the workload does not tell them', async () => {
    const { journal, kubernetes, stage } = setup();
    const running = workload();
    running.version = { image: 'registry.example.com/payments@sha256:abc' };
    kubernetes.put(running);

    const result = await stage.run(
      deploymentStageContext<BackupState>(journal, {
        kind: 'backup',
        environment: 'uat',
      }),
    );

    expect(result).toStrictEqual({
      type: 'done',
      state: {
        backup: {
          cluster: 'uat-cluster',
          namespace: 'uat-apps',
          workload: 'payments',
          image: 'registry.example.com/payments@sha256:abc',
          commitSha: '',
          replicas: 3,
        },
      },
    });
    expect(journal.lines).toEqual([
      'info: Recorded the running version registry.example.com/payments@sha256:abc (payments) to return to on failure',
    ]);
  });

  it('keeps the first record on a retry, without reading the cluster again', async () => {
    const { journal, kubernetes, stage } = setup();
    kubernetes.put(
      workload({ image: 'registry.example.com/payments:abcdef0' }),
    );
    const first = backupIn('uat');

    const result = await stage.run(
      deploymentStageContext<BackupState>(journal, {
        kind: 'backup',
        environment: 'uat',
        state: { backup: first },
      }),
    );

    // No new state: the engine keeps the recorded backup.
    expect(result).toStrictEqual({ type: 'done' });
    expect(journal.calls).toEqual([]);
  });

  it('fails with where it looked when no workload carries the label', async () => {
    const { journal, kubernetes, stage } = setup();
    kubernetes.put(workload(), 'orders');

    const result = await stage.run(
      deploymentStageContext<BackupState>(journal, {
        kind: 'backup',
        environment: 'uat',
      }),
    );

    expect(result).toEqual({
      type: 'fail',
      reason:
        'No Deployment labelled backstage.io/kubernetes-id=payments in uat-cluster/uat-apps',
    });
    expect(journal.logs).toEqual([]);
  });

  it('fails when the workload has no container image', async () => {
    const { journal, kubernetes, stage } = setup();
    kubernetes.put(workload({ noVersion: true }));

    const result = await stage.run(
      deploymentStageContext<BackupState>(journal, {
        kind: 'backup',
        environment: 'uat',
      }),
    );

    expect(result).toEqual({
      type: 'fail',
      reason: 'Deployment uat-apps/payments has no container image',
    });
  });

  it('throws (a step error the engine retries) when the environment is no longer configured', async () => {
    const { journal, stage } = setup();

    await expect(
      stage.run(
        deploymentStageContext<BackupState>(journal, {
          kind: 'backup',
          environment: 'staging',
        }),
      ),
    ).rejects.toThrow(
      "Stage staging.backup acts on environment 'staging', which delivery.environments does not list",
    );
  });

  it('pauses before the environment while the queue is locked, says so once, and resumes on unlock', async () => {
    const { journal, kubernetes, locks, stage } = setup();
    kubernetes.put(
      workload({ cluster: 'prod-cluster', namespace: 'canary-apps' }),
    );
    locks.held = {
      entityRef: deliveryEntity().entityRef,
      lockedBy: 'user:default/grace',
      reason: 'Incident INC-7',
      lockedAt: new Date(0),
    };
    const paused = await stage.run(
      deploymentStageContext<BackupState>(journal, {
        kind: 'backup',
        environment: 'canary',
      }),
    );
    expect(paused).toEqual({
      type: 'wait',
      afterMs: 1_000,
      waiting: true,
      state: { pausedBy: 'user:default/grace' },
    });
    // Still locked on the next look: no second line, nothing read from the cluster.
    const again = await stage.run(
      deploymentStageContext<BackupState>(journal, {
        kind: 'backup',
        environment: 'canary',
        state: { pausedBy: 'user:default/grace' } as BackupState,
      }),
    );
    expect(again.type).toBe('wait');
    expect(journal.count('kubernetes.findWorkload')).toBe(0);
    locks.held = undefined;
    const resumed = await stage.run(
      deploymentStageContext<BackupState>(journal, {
        kind: 'backup',
        environment: 'canary',
        state: { pausedBy: 'user:default/grace' } as BackupState,
      }),
    );
    expect(resumed.type).toBe('done');
    expect(journal.lines).toEqual([
      'warn: Paused before canary: the queue is locked by user:default/grace: Incident INC-7',
      'info: Resumed: the queue was unlocked',
      'info: Recorded the running version 1111111 (payments) to return to on failure',
    ]);
  });

  it('fails, writing nothing, when the workload does not name the service as its own', async () => {
    const { journal, kubernetes, stage } = setup();
    kubernetes.put(
      workload({
        cluster: 'prod-cluster',
        namespace: 'canary-apps',
        entityRefs: 'component:default/ledger, component:default/ledger-v2',
      }),
    );

    const result = await stage.run(
      deploymentStageContext<BackupState>(journal, {
        kind: 'backup',
        environment: 'canary',
      }),
    );

    expect(result).toEqual({
      type: 'fail',
      reason:
        'Deployment canary-apps/payments in prod-cluster belongs to component:default/ledger, component:default/ledger-v2 (annotation delivery.backstage.io/entity-refs), not to component:default/payments',
    });
  });

  it('fails when the workload names no entity at all', async () => {
    const { journal, kubernetes, stage } = setup();
    kubernetes.put(workload({ entityRefs: null }));

    const result = await stage.run(
      deploymentStageContext<BackupState>(journal, {
        kind: 'backup',
        environment: 'uat',
      }),
    );

    expect(result).toMatchObject({
      type: 'fail',
      reason: expect.stringContaining(
        'does not name the catalog entities that may deploy onto it: its owners add the annotation delivery.backstage.io/entity-refs: component:default/payments',
      ),
    });
  });
});
