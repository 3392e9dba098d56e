import { LeaseLostError } from '../../engine';
import {
  ENVIRONMENTS,
  INPUT,
  StepJournal,
  at,
  deliveryEntity,
  deploymentStageContext,
} from '../__testUtils__/stageContext';
import { FakeKubernetes, FakeStableVersions } from '../__testUtils__/fakes';
import { createMarkStableStage } from './markStable';

describe('mark-stable stage', () => {
  function setup(options: { loseLeaseAtFence?: number } = {}) {
    const journal = new StepJournal();
    const kubernetes = new FakeKubernetes(journal);
    const stable = new FakeStableVersions(journal);
    const stage = createMarkStableStage({
      kubernetes,
      environments: ENVIRONMENTS,
      stable,
      pollIntervalMs: 1_000,
    });
    const context = (service = deliveryEntity()) =>
      deploymentStageContext<object>(journal, {
        kind: 'mark-stable',
        now: at(120_000),
        service,
        loseLeaseAtFence: options.loseLeaseAtFence,
      });
    return { journal, kubernetes, stable, stage, context };
  }

  const data = {
    commitSha: INPUT.commitSha,
    image: INPUT.image,
    version: 'abcdef0',
    markedAt: at(120_000).toISOString(),
    markedBy: 'user:default/alice',
    token: 'dep-0042',
  };
  const labels = {
    'backstage.io/kubernetes-id': 'payments',
    'app.kubernetes.io/managed-by': 'delivery',
  };

  it('writes the stable ConfigMap in every environment, with its labels', async () => {
    const { kubernetes, stage, context } = setup();

    const result = await stage.run(context());

    expect(result).toEqual({ type: 'done' });
    expect(kubernetes.upserts).toEqual([
      {
        cluster: 'uat-cluster',
        namespace: 'uat-apps',
        name: 'delivery-stable-payments',
        labels,
        data,
      },
      {
        cluster: 'prod-cluster',
        namespace: 'canary-apps',
        name: 'delivery-stable-payments',
        labels,
        data,
      },
      {
        cluster: 'prod-cluster',
        namespace: 'apps',
        name: 'delivery-stable-payments',
        labels,
        data,
      },
    ]);
  });

  it('records a stable row per environment, and says where it marked the version', async () => {
    const { journal, stable, stage, context } = setup();

    await stage.run(context());

    expect(stable.recorded).toEqual(
      ['uat', 'canary', 'production'].map(environment => ({
        entityRef: INPUT.entityRef,
        environment,
        commitSha: INPUT.commitSha,
        image: INPUT.image,
        token: 'dep-0042',
        markedBy: 'user:default/alice',
        markedAt: at(120_000),
      })),
    );
    expect(journal.lines).toEqual([
      'info: Marked abcdef0 stable in uat, canary, production',
    ]);
    // Each ConfigMap is written right after a fence.
    expect(journal.calls).toEqual([
      'fence',
      'kubernetes.upsertConfigMap',
      'stable.recordStable',
      'fence',
      'kubernetes.upsertConfigMap',
      'stable.recordStable',
      'fence',
      'kubernetes.upsertConfigMap',
      'stable.recordStable',
      'log',
    ]);
  });

  it("writes the ConfigMaps in the service's own namespace when it names one", async () => {
    const { kubernetes, stage, context } = setup();

    await stage.run(context(deliveryEntity({ kubernetesNamespace: 'pay' })));

    expect(
      kubernetes.upserts.map(u => `${u.cluster}/${u.namespace}/${u.name}`),
    ).toEqual([
      'uat-cluster/pay/delivery-stable-payments',
      'prod-cluster/pay/delivery-stable-payments',
      'prod-cluster/pay/delivery-stable-payments',
    ]);
  });

  it('is idempotent: a second step writes the same', async () => {
    const { kubernetes, stable, stage, context } = setup();

    await stage.run(context());
    const first = new Map(kubernetes.configMaps);
    await stage.run(context());

    expect(kubernetes.configMaps).toEqual(first);
    expect(stable.recorded.slice(3)).toEqual(stable.recorded.slice(0, 3));
  });

  it('writes nothing more once the lease is lost', async () => {
    const { journal, kubernetes, stable, stage, context } = setup({
      loseLeaseAtFence: 2,
    });

    await expect(stage.run(context())).rejects.toThrow(LeaseLostError);

    expect([...kubernetes.configMaps.keys()]).toEqual([
      'uat-cluster/uat-apps/delivery-stable-payments',
    ]);
    expect(stable.recorded.map(r => r.environment)).toEqual(['uat']);
    expect(journal.logs).toEqual([]);
  });

  it('is retried for as long as a cluster refuses, with a backoff that tops out at 30 s', () => {
    const { stage } = setup();
    expect(stage.retry?.maxAttempts).toBe(Infinity);
    expect(stage.retry?.backoffMs(3)).toBe(3_000);
    expect(stage.retry?.backoffMs(100)).toBe(30_000);
  });
});
