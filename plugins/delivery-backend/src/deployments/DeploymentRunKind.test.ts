import { LoggerService } from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { DeploymentStore } from '../database/DeploymentStore';
import { RunFailure, RunRecord, StageRecord, StageStatus } from '../engine';
import { DeployQueue } from '../queue/DeployQueue';
import { EntityResolver } from '../services/EntityResolver';
import { Notifier } from '../services/Notifier';
import { createDeploymentRunKind } from './DeploymentRunKind';
import { planStages } from './plan';
import { INPUT, NOW, stageRecord } from './__testUtils__/stageContext';
import { DeploymentRunInput } from './types';

/** A dependency `onFailure` must not use: any call of it throws. */
function unused<T extends object>(name: string): T {
  return new Proxy({} as T, {
    get: (_target, property) => () => {
      throw new Error(`${name}.${String(property)} was called`);
    },
  });
}

const kind = createDeploymentRunKind({
  handlers: [],
  entities: new EntityResolver(unused<CatalogService>('catalog')),
  credentials: () => Promise.reject(new Error('credentials were asked for')),
  queue: new DeployQueue({
    store: unused<DeploymentStore>('store'),
    notifier: new Notifier({
      logger: unused<LoggerService>('logger'),
      appBaseUrl: 'https://portal.example.com',
    }),
    callTimeoutMs: 900_000,
  }),
  store: unused<DeploymentStore>('store'),
  notifier: unused<Notifier>('notifier'),
});

/** The plan of a service with a production approval gate. */
const PLAN = planStages({
  environments: ['uat', 'canary', 'production'],
  approvalGates: ['production'],
});

/**
 * A run of that plan stopped at `failing`: stages before it succeeded, it runs, stages after it
 * are pending (`overrides` change a stage's status).
 */
function runStoppedAt(
  failing: string | undefined,
  overrides: Record<string, StageStatus> = {},
  plan = PLAN,
): { run: RunRecord<DeploymentRunInput>; stages: StageRecord[] } {
  const at =
    failing === undefined
      ? plan.length
      : plan.findIndex(p => p.name === failing);
  if (at < 0) throw new Error(`No stage ${failing}`);
  const stages = plan.map((p, position) => {
    let status: StageStatus = 'pending';
    if (position < at) status = 'succeeded';
    if (position === at) status = 'running';
    return {
      ...stageRecord({
        ...p,
        status: overrides[p.name] ?? status,
        state: {},
      }),
      position,
    };
  });
  return {
    run: {
      id: INPUT.token,
      kind: 'deployment',
      subject: INPUT.entityRef,
      input: INPUT,
      status: 'running',
      currentStage: Math.min(at, stages.length - 1),
      createdAt: NOW,
    },
    stages,
  };
}

function failure(
  failing: string | undefined,
  options: {
    reason?: string;
    cancelledBy?: string;
    overrides?: Record<string, StageStatus>;
    plan?: typeof PLAN;
  } = {},
): RunFailure<DeploymentRunInput> {
  const { run, stages } = runStoppedAt(
    failing,
    options.overrides,
    options.plan,
  );
  return {
    run,
    stages,
    stage: stages.find(s => s.name === failing),
    reason: options.reason ?? 'it broke',
    ...(options.cancelledBy ? { cancelledBy: options.cancelledBy } : {}),
    compensating: false,
  };
}

describe('the deployment run kind', () => {
  it('names its kind and outcome of success', () => {
    expect(kind.kind).toBe('deployment');
    expect(kind.successOutcome).toBe('succeeded');
  });

  describe('onFailure', () => {
    const onFailure = (f: RunFailure<DeploymentRunInput>) => {
      if (!kind.onFailure) throw new Error('The kind has no onFailure');
      return kind.onFailure(f);
    };

    it.each(['canary.rollout', 'canary.verify'])(
      'rolls back the environment that %s was in, once its deploy ran',
      name => {
        expect(onFailure(failure(name, { reason: 'unhealthy' }))).toEqual({
          outcome: 'rolled_back',
          reason: `${name}: unhealthy`,
          compensate: [
            {
              name: 'canary.rollback',
              kind: 'rollback',
              environment: 'canary',
            },
          ],
        });
      },
    );

    describe('with flags', () => {
      const plan = planStages({
        environments: ['uat', 'canary', 'production'],
        approvalGates: [],
        flagSteps: { uat: [100], canary: [10, 50, 100], production: [10, 100] },
      });

      it('plans the flag steps after each environment verified', () => {
        expect(
          plan.filter(p => p.environment === 'canary').map(p => p.name),
        ).toEqual([
          'canary.backup',
          'canary.deploy',
          'canary.rollout',
          'canary.verify',
          'canary.flags-10',
          'canary.flags-50',
          'canary.flags-100',
        ]);
      });

      it.each(['canary.flags-10', 'canary.flags-50'])(
        'turns the flags off before the version is rolled back when %s fails',
        name => {
          expect(
            onFailure(failure(name, { reason: 'unhealthy', plan })),
          ).toEqual({
            outcome: 'rolled_back',
            reason: `${name}: unhealthy`,
            compensate: [
              {
                name: 'canary.flags-off',
                kind: 'flags-off',
                environment: 'canary',
              },
              {
                name: 'canary.rollback',
                kind: 'rollback',
                environment: 'canary',
              },
            ],
          });
        },
      );

      it('only rolls the version back when the environment failed before its flags went on', () => {
        expect(
          onFailure(failure('production.verify', { plan })).compensate,
        ).toEqual([
          {
            name: 'production.rollback',
            kind: 'rollback',
            environment: 'production',
          },
        ]);
      });

      it('turns them off when a run is cancelled during a flag step', () => {
        expect(
          onFailure(
            failure('production.flags-10', {
              plan,
              cancelledBy: 'user:default/ada',
            }),
          ),
        ).toMatchObject({
          outcome: 'cancelled',
          compensate: [
            { name: 'production.flags-off' },
            { name: 'production.rollback' },
          ],
        });
      });

      it('ends rolled back, not cancelled, when the rollback automation stopped it', () => {
        expect(
          onFailure(
            failure('canary.flags-10', {
              plan,
              cancelledBy: 'delivery',
            }),
          ),
        ).toMatchObject({
          outcome: 'rolled_back',
          compensate: [
            { name: 'canary.flags-off' },
            { name: 'canary.rollback' },
          ],
        });
        expect(
          onFailure(failure('uat.backup', { cancelledBy: 'delivery' })),
        ).toMatchObject({ outcome: 'failed' });
      });
    });

    it('rolls back when the deploy stage itself fails (it may have set the image)', () => {
      expect(onFailure(failure('uat.deploy'))).toMatchObject({
        outcome: 'rolled_back',
        compensate: [{ name: 'uat.rollback', environment: 'uat' }],
      });
    });

    it('rolls back only the failing environment, not the ones before it', () => {
      const plan = onFailure(failure('production.verify'));

      expect(plan.compensate).toEqual([
        {
          name: 'production.rollback',
          kind: 'rollback',
          environment: 'production',
        },
      ]);
    });

    it.each(['canary.backup', 'production.approval'])(
      'fails without a rollback when %s fails before its environment was touched',
      name => {
        expect(onFailure(failure(name))).toEqual({
          outcome: 'failed',
          reason: `${name}: it broke`,
        });
      },
    );

    it('does not roll back an environment whose deploy was skipped', () => {
      expect(
        onFailure(
          failure('canary.verify', {
            overrides: { 'canary.deploy': 'skipped' },
          }),
        ),
      ).toEqual({ outcome: 'failed', reason: 'canary.verify: it broke' });
    });

    it.each(['validate', 'mark-stable'])(
      'fails without a rollback when %s, which acts on no environment, fails',
      name => {
        expect(onFailure(failure(name))).toEqual({
          outcome: 'failed',
          reason: `${name}: it broke`,
        });
      },
    );

    it('fails with the bare reason when the run stopped between stages', () => {
      expect(onFailure(failure(undefined, { reason: 'stopped' }))).toEqual({
        outcome: 'failed',
        reason: 'stopped',
      });
    });

    it('ends a cancelled run cancelled, after rolling back a touched environment', () => {
      expect(
        onFailure(
          failure('canary.verify', {
            reason: 'Cancelled by user:default/bob',
            cancelledBy: 'user:default/bob',
          }),
        ),
      ).toEqual({
        outcome: 'cancelled',
        reason: 'canary.verify: Cancelled by user:default/bob',
        compensate: [
          { name: 'canary.rollback', kind: 'rollback', environment: 'canary' },
        ],
      });
    });

    it('ends a cancelled run cancelled, without a rollback when nothing was touched', () => {
      expect(
        onFailure(
          failure('production.approval', {
            reason: 'Cancelled by user:default/bob',
            cancelledBy: 'user:default/bob',
          }),
        ),
      ).toEqual({
        outcome: 'cancelled',
        reason: 'production.approval: Cancelled by user:default/bob',
      });
    });

    it('ends failed, saying so, when the rollback fails too', () => {
      const f = failure('canary.verify');
      f.run = {
        ...f.run,
        outcome: 'rolled_back',
        reason: 'canary.verify: unhealthy',
      };
      const rollback: StageRecord = {
        ...stageRecord({
          kind: 'rollback',
          environment: 'canary',
          status: 'running',
          state: {},
        }),
        position: f.stages.length,
      };

      expect(
        onFailure({
          ...f,
          stages: [...f.stages, rollback],
          stage: rollback,
          reason: 'Rollout did not complete within 300 s (0/3 ready)',
          compensating: true,
        }),
      ).toEqual({
        outcome: 'failed',
        reason:
          'canary.verify: unhealthy; the rollback failed too: Rollout did not complete within 300 s (0/3 ready)',
      });
    });

    it('says the deployment failed when a failed rollback has no reason to repeat', () => {
      expect(
        onFailure({
          ...failure('canary.verify'),
          reason: 'boom',
          compensating: true,
        }),
      ).toEqual({
        outcome: 'failed',
        reason: 'Deployment failed; the rollback failed too: boom',
      });
    });
  });
});

describe('deployment cancelRefusal', () => {
  it('rolls back without the catalog, and needs it for every other stage', async () => {
    const { run, stages } = runStoppedAt('canary.verify');
    const withSlug = {
      ...run,
      input: { ...run.input, projectSlug: 'acme/payments' },
    };
    const rollback = stageRecord({
      kind: 'rollback',
      environment: 'canary',
      state: {},
    });

    await expect(
      kind.load(withSlug, stages.find(s => s.name === 'canary.verify')!),
    ).rejects.toThrow('credentials were asked for');
    expect(await kind.load(withSlug, rollback)).toEqual({
      service: {
        entity: {
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'component',
          metadata: { name: 'payments', namespace: 'default' },
        },
        entityRef: INPUT.entityRef,
        projectSlug: 'acme/payments',
        kubernetesId: '',
      },
    });
  });

  it('refuses a cancel once every environment runs the new version and it is being marked stable', () => {
    const marking = runStoppedAt('mark-stable');
    expect(kind.cancelRefusal!(marking.run, marking.stages)).toBe(
      `every environment runs ${INPUT.commitSha.slice(
        0,
        7,
      )} already and it is being marked stable; it cannot be cancelled`,
    );
  });

  it('lets a deployment be cancelled up to its production verification', () => {
    for (const stage of [
      'validate',
      'uat.deploy',
      'production.approval',
      'production.verify',
    ]) {
      const { run, stages } = runStoppedAt(stage);
      expect({ stage, refusal: kind.cancelRefusal!(run, stages) }).toEqual({
        stage,
        refusal: undefined,
      });
    }
  });
});
