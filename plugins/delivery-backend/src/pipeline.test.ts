import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { Entity } from '@backstage/catalog-model';
import { Sandbox, buildSeed, startSandbox } from '@internal/sandbox';
import request from 'supertest';
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import { JsonObject } from '@backstage/types';
import {
  BackendFeature,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { deliveryMetricsExtensionPoint } from '@internal/plugin-delivery-node';
import deliveryPlugin from './index';
import { createTestBackendDatabase } from './__testUtils__/databases';
import { ChatReceiver, startChatReceiver } from './__testUtils__/chat';

const database = createTestBackendDatabase();
import { sandboxConfig, seedComponent } from '../dev/replicas';

/*
 * The deploy flow through HTTP: request → token → called → start → UAT → canary → production,
 * against the sandbox's clusters, GitHub, simulated traffic and Jenkins over real sockets.
 */

jest.setTimeout(120_000);

const seed = buildSeed(Date.now());
const ADA = 'user:default/ada';
const GRACE = 'user:default/grace';
const OUTSIDER = 'user:default/outsider';
/** Owns nothing, but is a member of the on-call group. */
const ONCALL = 'user:default/oncall-olga';
const ONCALL_GROUP = 'group:default/oncall';

function mainCommit(service: string, back: number) {
  const repo = seed.repositories.find(r => r.name === service)!;
  const main = repo.commits.filter(c => !c.message.startsWith('WIP'));
  return main[main.length - 1 - back];
}

function component(name: string, extra: Record<string, string> = {}): Entity {
  return seedComponent(seed.services.find(x => x.name === name)!, extra);
}

/** Registered by someone else, naming payments-api's workload and inventory's Jenkins job. */
const hijack: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'innocent-tool',
    namespace: 'default',
    annotations: {
      ...component('payments-api').metadata.annotations,
    },
  },
  spec: { type: 'service', owner: 'team-mallory', lifecycle: 'production' },
};

const entities = [
  hijack,
  {
    ...hijack,
    metadata: {
      ...hijack.metadata,
      name: 'innocent-job',
      annotations: {
        ...component('checkout-web').metadata.annotations,
        'jenkins.io/job-full-name': 'acme/inventory-service/acceptance',
      },
    },
  },
  component('payments-api'),
  component('checkout-web'),
  component('inventory-service', {
    'jenkins.io/job-full-name': 'acme/inventory-service/acceptance',
  }),
  // The same repository and workload, catalogued as a regulated service.
  {
    ...component('payments-api', { 'delivery.backstage.io/regulated': 'true' }),
    metadata: {
      ...component('payments-api').metadata,
      name: 'payments-regulated',
      annotations: {
        ...component('payments-api').metadata.annotations,
        'delivery.backstage.io/regulated': 'true',
      },
    },
  },
];

async function startDelivery(
  sandbox: Sandbox,
  chat: ChatReceiver,
  overrides: Record<string, unknown> = {},
  extraFeatures: BackendFeature[] = [],
) {
  const { server } = await startTestBackend({
    features: [
      await database(),
      ...extraFeatures,
      deliveryPlugin,
      // The real scheduler: it runs the pipeline task on its schedule (the mock runs it once).
      schedulerServiceFactory,
      mockServices.httpAuth.factory({
        defaultCredentials: mockCredentials.none(),
      }),
      // The portal's policy grants delivery actions to owners; here the outsider owns nothing.
      mockServices.permissions.mock({
        authorize: async (requests, options) => {
          const principal = (options.credentials as any).principal;
          return requests.map(() => ({
            result:
              principal?.userEntityRef === OUTSIDER ||
              principal?.userEntityRef === ONCALL
                ? AuthorizeResult.DENY
                : AuthorizeResult.ALLOW,
          }));
        },
      }).factory,
      mockServices.userInfo.mock({
        getUserInfo: async credentials => {
          const ref = (credentials.principal as { userEntityRef: string })
            .userEntityRef;
          return {
            userEntityRef: ref,
            ownershipEntityRefs: ref === ONCALL ? [ref, ONCALL_GROUP] : [ref],
          };
        },
      }).factory,
      catalogServiceMock.factory({ entities }),
      mockServices.rootConfig.factory({
        data: sandboxConfig(sandbox, {
          jenkins: {
            baseUrl: sandbox.jenkinsUrl,
            username: sandbox.jenkinsCredentials.username,
            apiToken: sandbox.jenkinsCredentials.apiToken,
            jobOwners: [
              {
                folder: 'acme/inventory-service',
                owners: ['group:default/team-storefront'],
              },
            ],
          },
          chat: { webhookUrl: chat.url },
          // The demo's bad commit names its flag in a Flag: trailer: the flag must exist.
          flags: {
            sync: { grpc: { host: '127.0.0.1', port: 0 } },
            initial: [
              { service: 'payments-api', key: 'http2-payment-client' },
              { service: 'payments-regulated', key: 'http2-payment-client' },
            ],
          },
          pipeline: {
            tick: { milliseconds: 100 },
            pollInterval: { milliseconds: 100 },
            rolloutTimeout: { seconds: 20 },
            jenkinsTimeout: { seconds: 3 },
            verification: {
              uat: {
                window: { milliseconds: 800 },
                interval: { milliseconds: 200 },
              },
              canary: {
                window: { seconds: 3 },
                interval: { milliseconds: 300 },
              },
              production: {
                window: { milliseconds: 800 },
                interval: { milliseconds: 200 },
              },
            },
          },
          ...(overrides as JsonObject),
        }),
      }),
    ],
  });
  return server;
}

type Server_ = Awaited<ReturnType<typeof startDelivery>>;

const as = (user: string) => mockCredentials.user.header(user);

/** Calls the delivery routes of a test backend as a user (Ada unless told). */
function client(server: () => Server_) {
  return {
    get: (path: string, user = ADA) =>
      request(server())
        .get(`/api/delivery${path}`)
        .set('Authorization', as(user)),
    post: (path: string, body: object = {}, user = ADA) =>
      request(server())
        .post(`/api/delivery${path}`)
        .set('Authorization', as(user))
        .send(body),
  };
}

/**
 * A sandbox, a chat receiver and a delivery backend for the tests of one describe block, started
 * before them and stopped after; with a client for the routes.
 */
function withDelivery(options: {
  seed: number;
  /** Simulated requests per second per Deployment (200 unless told). */
  rps?: number;
  overrides?: Record<string, unknown>;
  features?: BackendFeature[];
}) {
  const setup = {} as { sandbox: Sandbox; chat: ChatReceiver; server: Server_ };
  beforeAll(async () => {
    setup.sandbox = await startSandbox({
      rolloutStepMs: 20,
      traffic: { tickMs: 100, rps: options.rps ?? 200, seed: options.seed },
    });
    // payments-api's owners let their regulated catalog entry deploy onto its workload too.
    for (const cluster of Object.values(setup.sandbox.clusters)) {
      const workload = cluster.store.get(
        'deployments',
        'payments',
        'payments-api',
      )!;
      workload.metadata.annotations!['delivery.backstage.io/entity-refs'] +=
        ',component:default/payments-regulated';
      cluster.store.update(undefined, workload);
    }
    setup.chat = await startChatReceiver();
    setup.server = await startDelivery(
      setup.sandbox,
      setup.chat,
      options.overrides,
      options.features,
    );
  });
  afterAll(async () => {
    await setup.chat?.close();
    await setup.sandbox?.close();
  });
  return Object.assign(
    setup,
    client(() => setup.server),
  );
}

async function waitFor<T>(
  fn: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(
        `Timed out; last value: ${JSON.stringify(value, null, 2)}`,
      );
    await new Promise(resolve => setTimeout(resolve, 100));
  }
}

function image(
  sandbox: Sandbox,
  cluster: string,
  namespace: string,
  name: string,
): string {
  return sandbox.clusters[cluster].store.get('deployments', namespace, name)!
    .spec.template.spec.containers[0].image;
}

const short = {
  window: { milliseconds: 300 },
  interval: { milliseconds: 100 },
};

/** Pipeline settings for tests about gates: fast ticks and a 300 ms window everywhere. */
const quickPipeline = {
  tick: { milliseconds: 100 },
  pollInterval: { milliseconds: 100 },
  verification: { uat: short, canary: short, production: short },
};

describe('deploying through the queue and the pipeline', () => {
  const setup = withDelivery({ seed: 7 });
  const { get, post } = setup;
  const deployment = async (token: string) =>
    (await get(`/deployments/${token}`)).body;

  describe('bad input', () => {
    it('400s a malformed sha and changes nothing', async () => {
      const res = await post(
        '/entities/default/component/payments-api/deployments',
        { commitSha: 'not-a-sha' },
      );
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(/commitSha/);
      expect(
        (await get('/entities/default/component/payments-api/deployments')).body
          .queue,
      ).toEqual([]);
    });

    it('400s unknown fields and missing bodies', async () => {
      expect(
        (
          await post('/entities/default/component/payments-api/deployments', {
            commitSha: 'a'.repeat(40),
            extra: 1,
          })
        ).status,
      ).toBe(400);
      expect(
        (await post('/entities/default/component/payments-api/deployments', {}))
          .status,
      ).toBe(400);
    });

    it('404s an unknown commit and an unknown entity', async () => {
      const unknown = await post(
        '/entities/default/component/payments-api/deployments',
        { commitSha: 'f'.repeat(40) },
      );
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.message).toBe(
        'Commit fffffff does not exist in the repository acme/payments-api',
      );
      const entity = await post(
        '/entities/default/component/nope/deployments',
        { commitSha: mainCommit('payments-api', 5).sha },
      );
      expect(entity.status).toBe(404);
      expect(entity.body.error.message).toBe(
        'No entity component:default/nope in the catalog',
      );
    });

    it('422s an ineligible commit listing every reason', async () => {
      // checkout-web has an open deploy-blocker issue; its head has a pending check.
      const head = mainCommit('checkout-web', 0);
      const res = await post(
        '/entities/default/component/checkout-web/deployments',
        { commitSha: head.sha },
      );
      expect(res.status).toBe(422);
      expect(res.body.error.message).toBe(
        `Commit ${head.sha.slice(
          0,
          7,
        )} is not eligible: Required checks are not green: unit-tests (pending); Open issue #2 "Checkout fails for saved cards: hold deployments" is labelled deploy-blocker`,
      );
      const feature = seed.repositories.find(r => r.name === 'payments-api')!
        .branches['feature/experiment'];
      const off = await post(
        '/entities/default/component/payments-api/deployments',
        { commitSha: feature },
      );
      expect(off.status).toBe(422);
      expect(off.body.error.message).toContain('is not on main');
      const red = mainCommit('payments-api', 3);
      const failing = await post(
        '/entities/default/component/payments-api/deployments',
        { commitSha: red.sha },
      );
      expect(failing.status).toBe(422);
      expect(failing.body.error.message).toMatch(
        /Required checks are not green: \S+ \(failure\)/,
      );
    });

    it('reports eligibility of several commits for the Deploy buttons', async () => {
      const shas = [
        mainCommit('payments-api', 5).sha,
        mainCommit('payments-api', 3).sha,
      ];
      const res = await get(
        `/entities/default/component/payments-api/eligibility?commit=${shas[0]}&commit=${shas[1]}`,
      );
      expect(res.status).toBe(200);
      expect(res.body.eligibility.map((e: any) => e.eligible)).toEqual([
        true,
        false,
      ]);
      expect(
        (
          await get(
            '/entities/default/component/payments-api/eligibility?commit=xyz',
          )
        ).status,
      ).toBe(400);
    });

    it('403s a user who does not own the service', async () => {
      const res = await post(
        '/entities/default/component/payments-api/deployments',
        { commitSha: mainCommit('payments-api', 5).sha },
        OUTSIDER,
      );
      expect(res.status).toBe(403);
      expect(res.body.error.message).toBe(
        'user:default/outsider may not request deployments of component:default/payments-api: only its owners may',
      );
    });

    it('400s malformed tokens and 404s unknown ones', async () => {
      expect((await get('/deployments/nope')).status).toBe(400);
      const res = await get('/deployments/DEP-0000000000000-000000');
      expect(res.status).toBe(404);
      expect(res.body.error.message).toBe(
        'No deployment DEP-0000000000000-000000',
      );
      expect(
        (await post('/deployments/DEP-0000000000000-000000/start')).status,
      ).toBe(404);
    });

    it('400s a lock without a reason', async () => {
      expect(
        (await post('/entities/default/component/payments-api/queue/lock', {}))
          .status,
      ).toBe(400);
      expect(
        (
          await post('/entities/default/component/payments-api/queue/lock', {
            reason: '   ',
          })
        ).status,
      ).toBe(400);
      expect(
        (await post('/entities/default/component/payments-api/queue/unlock'))
          .status,
      ).toBe(409);
    });
  });

  it('takes a healthy commit from UAT through canary to production, in FIFO order', async () => {
    const commit = mainCommit('payments-api', 5);
    const first = await post(
      '/entities/default/component/payments-api/deployments',
      { commitSha: commit.sha },
    );
    expect(first.status).toBe(201);
    expect(first.body.deployment.token).toMatch(/^DEP-\d{13}-\d{6}$/);
    expect(first.body.queuePosition).toBe(1);
    expect(first.body.deployment.status).toBe('called');
    const token = first.body.deployment.token;

    // A second request waits behind the first.
    const second = await post(
      '/entities/default/component/payments-api/deployments',
      { commitSha: commit.sha },
      GRACE,
    );
    expect(second.body).toMatchObject({
      queuePosition: 2,
      deployment: { status: 'queued' },
    });
    expect(second.body.deployment.token > token).toBe(true);

    // Only the requester starts it; only a called token starts.
    expect((await post(`/deployments/${token}/start`, {}, GRACE)).status).toBe(
      403,
    );
    expect(
      (
        await post(
          `/deployments/${second.body.deployment.token}/start`,
          {},
          GRACE,
        )
      ).status,
    ).toBe(409);
    const started = await post(`/deployments/${token}/start`);
    expect(started.status).toBe(200);
    expect(started.body.status).toBe('running');
    // Tagged with the full sha: no other build can shadow it.
    expect(started.body.image).toBe(
      `sandbox.local/acme/payments-api:${commit.sha}`,
    );

    const done = await waitFor(
      () => deployment(token),
      d => !['running'].includes(d.status),
    );
    expect(done.reason).toBeUndefined();
    expect(done.status).toBe('succeeded');
    expect(done.stages.map((s: any) => `${s.name}:${s.status}`)).toEqual([
      'validate:succeeded',
      'uat.backup:succeeded',
      'uat.deploy:succeeded',
      'uat.rollout:succeeded',
      'uat.verify:succeeded',
      'canary.backup:succeeded',
      'canary.deploy:succeeded',
      'canary.rollout:succeeded',
      'canary.verify:succeeded',
      'production.validate:succeeded',
      'production.backup:succeeded',
      'production.deploy:succeeded',
      'production.rollout:succeeded',
      'production.verify:succeeded',
      'mark-stable:succeeded',
    ]);
    for (const stage of done.stages) {
      expect(stage.startedAt).toBeDefined();
      expect(stage.finishedAt).toBeDefined();
      expect(stage.actor).toBe('delivery');
      expect(stage.logs.length).toBeGreaterThan(0);
    }
    for (const cluster of ['uat', 'canary', 'production']) {
      expect(image(setup.sandbox, cluster, 'payments', 'payments-api')).toBe(
        started.body.image,
      );
      const stable = setup.sandbox.clusters[cluster].store.get(
        'configmaps',
        'payments',
        'delivery-stable-payments-api',
      )!;
      expect(stable.data).toMatchObject({
        commitSha: commit.sha,
        token,
        markedBy: ADA,
      });
    }
    // GitHub shows a deployment per environment, each ending in success.
    const github = (path: string) =>
      fetch(`${setup.sandbox.githubUrl}/repos/acme/payments-api${path}`, {
        headers: { Authorization: `token ${setup.sandbox.githubToken}` },
      }).then(r => r.json());
    const deployments: any[] = await github(`/deployments?sha=${commit.sha}`);
    for (const env of ['uat', 'canary', 'production']) {
      const d = deployments.find(
        x => x.environment === env && x.payload?.token === token,
      );
      expect(d).toBeDefined();
      const statuses: any[] = await github(`/deployments/${d.id}/statuses`);
      expect(statuses.map(x => x.state)).toEqual(
        expect.arrayContaining(['in_progress', 'success']),
      );
    }
    // DORA counts it, with the commit GitHub says it brought (the service's first production
    // version: the commit alone) and its lead time from the commit's time.
    const dora = await waitFor(
      async () =>
        (
          await get('/dora?entity=component%3Adefault%2Fpayments-api')
        ).body,
      d => d.metrics?.deploymentFrequency.count === 1,
    );
    expect(dora.metrics.successRate).toMatchObject({ numerator: 1, count: 1 });
    const commits = (
      await get(
        '/dora/details?entity=component%3Adefault%2Fpayments-api&kind=commits',
      )
    ).body;
    expect(commits.commits).toEqual([
      expect.objectContaining({ sha: commit.sha, token }),
    ]);
    const [{ deployedAt, committedAt, leadTime }] = commits.commits;
    expect(leadTime).toBe(Date.parse(deployedAt) - Date.parse(committedAt));
    // The sandbox's seed is built a moment apart from this file's.
    expect(
      Math.abs(Date.parse(committedAt) - Date.parse(commit.date)),
    ).toBeLessThan(5_000);
    expect(
      Math.abs(Date.parse(deployedAt) - Date.parse(done.finishedAt)),
    ).toBeLessThan(5_000);
    // The next in line is called, and the requester heard about it.
    expect((await deployment(second.body.deployment.token)).status).toBe(
      'called',
    );
    await waitFor(
      async () => setup.chat.messages,
      m => m.some(x => x.includes(token) && x.includes('reached production')),
    );
    expect(
      (
        await post(
          `/deployments/${second.body.deployment.token}/cancel`,
          {},
          GRACE,
        )
      ).body.status,
    ).toBe('cancelled');
  });

  it('catches an unhealthy version in canary and returns canary to its backup version', async () => {
    const bad = mainCommit('payments-api', 2);
    const canaryBefore = image(
      setup.sandbox,
      'canary',
      'payments',
      'payments-api',
    );
    const res = await post(
      '/entities/default/component/payments-api/deployments',
      { commitSha: bad.sha },
    );
    expect(res.status).toBe(201);
    const token = res.body.deployment.token;
    await waitFor(
      () => deployment(token),
      d => d.status === 'called',
    );
    await post(`/deployments/${token}/start`);
    const done = await waitFor(
      () => deployment(token),
      d => d.status !== 'running',
    );
    expect(done.status).toBe('rolled_back');
    expect(done.reason).toMatch(
      /^canary\.verify: Unhealthy in canary: error rate \d+\.\d+% above 1\.00%/,
    );
    const byName = Object.fromEntries(done.stages.map((s: any) => [s.name, s]));
    expect(byName['uat.verify'].status).toBe('succeeded');
    expect(byName['canary.verify'].status).toBe('failed');
    expect(byName['production.deploy'].status).toBe('skipped');
    expect(byName['canary.rollback'].status).toBe('succeeded');
    expect(image(setup.sandbox, 'canary', 'payments', 'payments-api')).toBe(
      canaryBefore,
    );
    // Production never saw it.
    expect(
      image(setup.sandbox, 'production', 'payments', 'payments-api'),
    ).not.toContain(bad.sha.slice(0, 7));
    await waitFor(
      async () => setup.chat.messages,
      m => m.some(x => x.includes(token) && x.includes('rolled back')),
    );
  });
});

describe('the queue over time', () => {
  const setup = withDelivery({
    seed: 3,
    overrides: { queue: { callTimeout: { milliseconds: 700 } } },
  });
  const { get, post } = setup;

  it('expires a called token that is not started and calls the next one', async () => {
    const sha = mainCommit('payments-api', 5).sha;
    const a = (
      await post('/entities/default/component/payments-api/deployments', {
        commitSha: sha,
      })
    ).body.deployment.token;
    const b = (
      await post(
        '/entities/default/component/payments-api/deployments',
        { commitSha: sha },
        GRACE,
      )
    ).body.deployment.token;
    const expired = await waitFor(
      () => get(`/deployments/${a}`).then(r => r.body),
      d => d.status === 'expired',
    );
    expect(expired.reason).toMatch(/^Not started within the call window/);
    expect((await get(`/deployments/${b}`)).body.status).toBe('called');
    await waitFor(
      async () => setup.chat.messages,
      m => m.some(x => x.includes(a) && x.includes('expired')),
    );
    // Ada owns the service too: she may abort Grace's deployment, but only saying why.
    expect((await post(`/deployments/${b}/cancel`, {}, ADA)).status).toBe(400);
    expect((await post(`/deployments/${b}/cancel`, {}, OUTSIDER)).status).toBe(
      403,
    );
    expect(
      (await post(`/deployments/${b}/cancel`, {}, GRACE)).body.status,
    ).toBe('cancelled');
    expect((await post(`/deployments/${b}/cancel`, {}, GRACE)).status).toBe(
      409,
    );
  });

  it('holds calls while the queue is locked, with the reason shown', async () => {
    const locked = await post(
      '/entities/default/component/checkout-web/queue/lock',
      { reason: 'Incident INC-1234' },
    );
    expect(locked.status).toBe(200);
    expect(locked.body.lock).toMatchObject({
      lockedBy: ADA,
      reason: 'Incident INC-1234',
    });
    expect(
      (
        await post(
          '/entities/default/component/checkout-web/queue/lock',
          { reason: 'Not mine to lock' },
          OUTSIDER,
        )
      ).status,
    ).toBe(403);
    // inventory-service is unlocked: a request there is called at once.
    const sha = mainCommit('inventory-service', 3).sha;
    const other = await post(
      '/entities/default/component/inventory-service/deployments',
      { commitSha: sha },
    );
    expect(other.body.deployment.status).toBe('called');
    await post(`/deployments/${other.body.deployment.token}/cancel`);
    // A lock on inventory-service keeps its next request queued until unlocked.
    await post('/entities/default/component/inventory-service/queue/lock', {
      reason: 'Freeze for the release',
    });
    const held = await post(
      '/entities/default/component/inventory-service/deployments',
      { commitSha: sha },
    );
    expect(held.body.deployment.status).toBe('queued');
    await new Promise(resolve => setTimeout(resolve, 400));
    expect(
      (await get(`/deployments/${held.body.deployment.token}`)).body.status,
    ).toBe('queued');
    const unlocked = await post(
      '/entities/default/component/inventory-service/queue/unlock',
    );
    expect(unlocked.body.lock).toBeUndefined();
    expect(
      (await get(`/deployments/${held.body.deployment.token}`)).body.status,
    ).toBe('called');
    await post(`/deployments/${held.body.deployment.token}/cancel`);
    await post('/entities/default/component/checkout-web/queue/unlock');
  });

  describe('the Jenkins stage', () => {
    async function runInventory(outcome: Record<string, unknown>) {
      setup.sandbox.jenkins.state.setOutcome(
        'acme/inventory-service/acceptance',
        outcome as any,
      );
      const sha = mainCommit('inventory-service', 3).sha;
      const res = await post(
        '/entities/default/component/inventory-service/deployments',
        { commitSha: sha },
      );
      const token = res.body.deployment.token;
      await waitFor(
        () => get(`/deployments/${token}`).then(r => r.body),
        d => d.status === 'called',
      );
      // The call window of this backend is short: start at once.
      expect((await post(`/deployments/${token}/start`)).status).toBe(200);
      return waitFor(
        () => get(`/deployments/${token}`).then(r => r.body),
        d => d.status !== 'running',
      );
    }

    it('passes when the build succeeds', async () => {
      const done = await runInventory({
        result: 'SUCCESS',
        durationMs: 300,
        queueMs: 100,
      });
      expect(done.status).toBe('succeeded');
      const stage = done.stages.find((s: any) => s.name === 'uat.jenkins');
      expect(stage.status).toBe('succeeded');
      expect(stage.logs.map((l: any) => l.message).join('\n')).toMatch(
        /Jenkins build #\d+ succeeded/,
      );
    });

    it('rolls UAT back when the build fails', async () => {
      const done = await runInventory({
        result: 'FAILURE',
        durationMs: 300,
        queueMs: 100,
      });
      expect(done.status).toBe('rolled_back');
      expect(done.reason).toMatch(
        /^uat\.jenkins: Jenkins build #\d+ of acme\/inventory-service\/acceptance ended FAILURE$/,
      );
      expect(
        done.stages.find((s: any) => s.name === 'uat.rollback').status,
      ).toBe('succeeded');
    });

    it('gives up when the build does not finish in time', async () => {
      const done = await runInventory({ result: 'HANG', queueMs: 100 });
      expect(done.status).toBe('rolled_back');
      expect(done.reason).toBe(
        'uat.jenkins: Jenkins build of acme/inventory-service/acceptance did not finish within 3 s',
      );
    });
  });
});

describe('approvals and audit', () => {
  const auditor = mockServices.auditor.mock();
  const events: Array<{ eventId: string; meta?: any; outcome?: string }> = [];
  auditor.createEvent.mockImplementation(async options => {
    const event: { eventId: string; meta?: any; outcome?: string } = {
      eventId: options.eventId,
      meta: options.meta,
    };
    events.push(event);
    return {
      success: async () => {
        event.outcome = 'success';
      },
      fail: async () => {
        event.outcome = 'failure';
      },
    };
  });
  const setup = withDelivery({
    seed: 5,
    overrides: {
      pipeline: {
        ...quickPipeline,
        productionApproval: true,
      },
    },
    features: [auditor.factory],
  });
  const { get, post } = setup;

  it('needs someone other than the requester to approve a regulated deployment before it starts', async () => {
    const sha = mainCommit('payments-api', 5).sha;
    const res = await post(
      '/entities/default/component/payments-regulated/deployments',
      { commitSha: sha },
    );
    expect(res.status).toBe(201);
    const token = res.body.deployment.token;
    const refused = await post(`/deployments/${token}/start`);
    expect(refused.status).toBe(422);
    expect(refused.body.error.message).toBe(
      'Regulated service: needs an approval by someone other than the requester (user:default/ada)',
    );
    expect((await get(`/deployments/${token}`)).body.status).toBe('called');
    const own = await post(`/deployments/${token}/approve`);
    expect(own.status).toBe(403);
    expect(own.body.error.message).toBe(
      'Requesters cannot approve their own deployments',
    );
    const approved = await post(`/deployments/${token}/approve`, {}, GRACE);
    expect(approved.status).toBe(200);
    expect(approved.body.approvals).toEqual([
      { approver: GRACE, kind: 'request', at: expect.any(String) },
    ]);
    expect((await post(`/deployments/${token}/start`)).status).toBe(200);
    // Production waits at its approval gate.
    const waiting = await waitFor(
      () => get(`/deployments/${token}`).then(r => r.body),
      d =>
        d.stages.some(
          (s: any) =>
            s.name === 'production.approval' && s.status === 'waiting',
        ),
    );
    expect(waiting.status).toBe('running');
    expect(
      image(setup.sandbox, 'production', 'payments', 'payments-api'),
    ).not.toContain(sha.slice(0, 7));
    expect((await post(`/deployments/${token}/approve`)).status).toBe(403);
    expect(
      (await post(`/deployments/${token}/approve`, {}, OUTSIDER)).status,
    ).toBe(403);
    expect(
      (await post(`/deployments/${token}/approve`, {}, GRACE)).status,
    ).toBe(200);
    const done = await waitFor(
      () => get(`/deployments/${token}`).then(r => r.body),
      d => d.status !== 'running',
    );
    expect(done.status).toBe('succeeded');
    const gate = done.stages.find((s: any) => s.name === 'production.approval');
    expect(gate).toMatchObject({ status: 'succeeded', actor: GRACE });
    expect(
      image(setup.sandbox, 'production', 'payments', 'payments-api'),
    ).toContain(sha.slice(0, 7));
  });

  it('audits every mutating call with the actor and the outcome', async () => {
    const ids = events.map(e => `${e.eventId}:${e.outcome}`);
    expect(ids).toEqual(
      expect.arrayContaining([
        'deployment-request:success',
        'deployment-start:failure',
        'deployment-approve:failure',
        'deployment-approve:success',
        'deployment-start:success',
      ]),
    );
    const requested = events.find(e => e.eventId === 'deployment-request')!;
    expect(requested.meta).toMatchObject({
      actor: ADA,
      entityRef: 'component:default/payments-regulated',
    });
    const approvedBy = events.filter(
      e => e.eventId === 'deployment-approve' && e.outcome === 'success',
    );
    expect(approvedBy.every(e => e.meta.actor === GRACE)).toBe(true);
  });
});

describe('a metrics provider added by a backend module', () => {
  // A module brings its own metrics system: slow in canary, healthy elsewhere.
  const slowCanary = createBackendModule({
    pluginId: 'delivery',
    moduleId: 'test-latency-metrics',
    register(env) {
      env.registerInit({
        deps: { metrics: deliveryMetricsExtensionPoint },
        async init({ metrics }) {
          metrics.addMetricsProviderFactory({
            type: 'latency-lab',
            create: ({ config }) => ({
              health: async target => ({
                errorRate: 0,
                p95Seconds:
                  target.environment === config.getString('slowIn') ? 3 : 0.1,
                requestsPerSecond: 50,
                sampledAt: new Date().toISOString(),
              }),
            }),
          });
        },
      });
    },
  });
  const setup = withDelivery({
    seed: 13,
    features: [slowCanary],
    overrides: {
      metrics: { provider: 'latency-lab', slowIn: 'canary' },
    },
  });

  it('verifies health with it, chosen by delivery.metrics.provider', async () => {
    const sha = mainCommit('payments-api', 5).sha;
    const res = await setup.post(
      '/entities/default/component/payments-api/deployments',
      { commitSha: sha },
    );
    expect(res.status).toBe(201);
    const token = res.body.deployment.token;
    expect((await setup.post(`/deployments/${token}/start`)).status).toBe(200);
    const done = await waitFor(
      async () => (await setup.get(`/deployments/${token}`)).body,
      d => d.status !== 'running',
    );
    expect(done.status).toBe('rolled_back');
    expect(done.reason).toBe(
      'canary.verify: Unhealthy in canary: p95 latency 3.00 s above 2 s',
    );
    const uat = done.stages.find((s: any) => s.name === 'uat.verify');
    expect(uat.logs.map((l: any) => l.message)).toContain(
      'Health sample 1: error rate 0.00%, p95 0.10 s, 50.0 req/s',
    );
  });
});

describe('a lock stops things', () => {
  const setup = withDelivery({ seed: 17 });
  const { get, post } = setup;
  const service = '/entities/default/component/payments-api';
  const deployment = async (token: string) =>
    (await get(`/deployments/${token}`)).body;

  it('un-calls the head when the queue is locked, and start refuses until it is unlocked', async () => {
    const sha = mainCommit('payments-api', 5).sha;
    const res = await post(`${service}/deployments`, { commitSha: sha });
    const token = res.body.deployment.token;
    expect(res.body.deployment.status).toBe('called');
    await post(`${service}/queue/lock`, { reason: 'Incident INC-77' });
    expect((await deployment(token)).status).toBe('queued');
    const refused = await post(`/deployments/${token}/start`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toBe(
      `${token} is queued; only a called deployment can be started`,
    );
    await waitFor(
      async () => setup.chat.messages,
      m =>
        m.some(
          x =>
            x.includes('Your call was withdrawn') &&
            x.includes(token) &&
            x.includes('Incident INC-77'),
        ),
    );
    await post(`${service}/queue/unlock`);
    expect((await deployment(token)).status).toBe('called');
    await post(`/deployments/${token}/cancel`);
  });

  it('pauses a running deployment before its next environment while the queue is locked, and resumes on unlock', async () => {
    const sha = mainCommit('payments-api', 4).sha;
    const res = await post(`${service}/deployments`, { commitSha: sha });
    const token = res.body.deployment.token;
    expect((await post(`/deployments/${token}/start`)).status).toBe(200);
    const canaryBefore = image(
      setup.sandbox,
      'canary',
      'payments',
      'payments-api',
    );
    await waitFor(
      () => deployment(token),
      d =>
        d.stages.find((s: any) => s.name === 'uat.verify').status === 'running',
    );
    await post(`${service}/queue/lock`, { reason: 'Freeze for INC-78' });
    const paused = await waitFor(
      () => deployment(token),
      d =>
        d.stages.find((s: any) => s.name === 'canary.backup').status ===
        'waiting',
    );
    const backup = paused.stages.find((s: any) => s.name === 'canary.backup');
    expect(backup.logs.map((l: any) => l.message)).toEqual([
      `Paused before canary: the queue is locked by ${ADA}: Freeze for INC-78`,
    ]);
    // It stays there, and canary is not touched, while the lock holds.
    await new Promise(resolve => setTimeout(resolve, 600));
    expect((await deployment(token)).status).toBe('running');
    expect(image(setup.sandbox, 'canary', 'payments', 'payments-api')).toBe(
      canaryBefore,
    );
    await post(`${service}/queue/unlock`);
    const done = await waitFor(
      () => deployment(token),
      d => d.status !== 'running',
    );
    expect(done.status).toBe('succeeded');
    expect(
      done.stages
        .find((s: any) => s.name === 'canary.backup')
        .logs.map((l: any) => l.message),
    ).toEqual([
      `Paused before canary: the queue is locked by ${ADA}: Freeze for INC-78`,
      'Resumed: the queue was unlocked',
      expect.stringMatching(/^Recorded the running version /),
    ]);
  });
});

describe('a rollback never gives up', () => {
  const setup = withDelivery({
    seed: 19,
    overrides: { onCall: { group: 'group:default/oncall' } },
  });
  const { get, post } = setup;
  const service = '/entities/default/component/payments-api';
  const deployment = async (token: string) =>
    (await get(`/deployments/${token}`)).body;

  it('retries past any attempt limit with the queue locked and on-call paged, then unlocks when it finishes', async () => {
    const bad = mainCommit('payments-api', 2).sha;
    const res = await post(`${service}/deployments`, { commitSha: bad });
    const token = res.body.deployment.token;
    await post(`/deployments/${token}/start`);
    await waitFor(
      () => deployment(token),
      d =>
        d.stages.find((s: any) => s.name === 'canary.verify').status ===
        'running',
    );
    // Canary refuses every change to the service's Deployment from now on.
    const failing = setup.sandbox.clusters.canary.failRequests(
      r => r.method === 'PUT' && r.path.endsWith('/deployments/payments-api'),
    );
    const next = await post(`${service}/deployments`, {
      commitSha: mainCommit('payments-api', 5).sha,
    });
    const nextToken = next.body.deployment.token;
    try {
      // Past the ten attempts any other step gets, it is still trying.
      const stuck = await waitFor(
        () => deployment(token),
        d =>
          d.stages
            .find((s: any) => s.name === 'canary.rollback')
            ?.logs.some((l: any) =>
              l.message.startsWith('Attempt 12 failed, retrying'),
            ),
        90_000,
      );
      expect(stuck.status).toBe('running');
      const queue = (await get(`${service}/deployments`)).body;
      expect(queue.lock).toMatchObject({
        lockedBy: 'delivery',
        reason: `Rollback of ${token} in canary cannot finish: its last 3 attempts failed (see the stage's log)`,
      });
      expect((await deployment(nextToken)).status).toBe('queued');
      await waitFor(
        async () => setup.chat.messages,
        m =>
          m.some(
            x =>
              x.includes('A rollback cannot finish') &&
              x.includes(token) &&
              x.includes('group:default/oncall'),
          ),
      );
    } finally {
      failing.stop();
    }
    const done = await waitFor(
      () => deployment(token),
      d => d.status !== 'running',
      90_000,
    );
    expect(done.status).toBe('rolled_back');
    expect(
      image(setup.sandbox, 'canary', 'payments', 'payments-api'),
    ).not.toContain(bad.slice(0, 7));
    const after = (await get(`${service}/deployments`)).body;
    expect(after.lock).toBeUndefined();
    expect((await deployment(nextToken)).status).toBe('called');
    await waitFor(
      async () => setup.chat.messages,
      m =>
        m.some(x => x.includes('The rollback finished') && x.includes(token)),
    );
    await post(`/deployments/${nextToken}/cancel`);
  });
});

describe('mark-stable finishes', () => {
  const setup = withDelivery({ seed: 23 });
  const { get, post } = setup;
  const service = '/entities/default/component/payments-api';
  const deployment = async (token: string) =>
    (await get(`/deployments/${token}`)).body;

  it('retries until every cluster has the stable ConfigMap, and cannot be cancelled into a misleading cancelled', async () => {
    const sha = mainCommit('payments-api', 5).sha;
    const failing = setup.sandbox.clusters.production.failRequests(
      r =>
        (r.method === 'PUT' || r.method === 'POST') &&
        r.path.includes('/configmaps'),
    );
    const res = await post(`${service}/deployments`, { commitSha: sha });
    const token = res.body.deployment.token;
    await post(`/deployments/${token}/start`);
    try {
      const stuck = await waitFor(
        () => deployment(token),
        d =>
          d.stages
            .find((s: any) => s.name === 'mark-stable')
            .logs.some((l: any) =>
              l.message.startsWith('Attempt 12 failed, retrying'),
            ),
        90_000,
      );
      expect(stuck.status).toBe('running');
      const refused = await post(`/deployments/${token}/cancel`);
      expect(refused.status).toBe(409);
      expect(refused.body.error.message).toBe(
        `${token}: every environment runs ${sha.slice(
          0,
          7,
        )} already and it is being marked stable; it cannot be cancelled`,
      );
    } finally {
      failing.stop();
    }
    const done = await waitFor(
      () => deployment(token),
      d => d.status !== 'running',
      90_000,
    );
    expect({ status: done.status, reason: done.reason }).toEqual({
      status: 'succeeded',
      reason: undefined,
    });
    const stable = setup.sandbox.clusters.production.store.get(
      'configmaps',
      'payments',
      'delivery-stable-payments-api',
    );
    expect(stable?.data?.commitSha).toBe(sha);
  });
});

describe('nothing waits forever on one person', () => {
  const setup = withDelivery({
    seed: 29,
    overrides: { onCall: { group: ONCALL_GROUP } },
  });
  const { get, post } = setup;
  const service = '/entities/default/component/payments-api';
  const deployment = async (token: string) =>
    (await get(`/deployments/${token}`)).body;

  it("lets the service's owners and on-call abort someone else's deployment with a reason the requester is told", async () => {
    const first = await post(`${service}/deployments`, {
      commitSha: mainCommit('payments-api', 5).sha,
    });
    const called = first.body.deployment.token;
    expect(first.body.deployment.status).toBe('called');
    const second = await post(`${service}/deployments`, {
      commitSha: mainCommit('payments-api', 4).sha,
    });
    const queued = second.body.deployment.token;

    // Nobody outside the owners and on-call may, and an abort needs a reason.
    const outsider = await post(
      `/deployments/${called}/cancel`,
      { reason: 'mine now' },
      OUTSIDER,
    );
    expect(outsider.status).toBe(403);
    expect(outsider.body.error.message).toBe(
      `${OUTSIDER} may not abort ${called} of component:default/payments-api: only its requester, the service's owners and the on-call group may`,
    );
    const silent = await post(`/deployments/${called}/cancel`, {}, GRACE);
    expect(silent.status).toBe(400);
    expect(silent.body.error.message).toBe(
      `Say why you abort ${called}: its requester (${ADA}) is told`,
    );
    expect((await deployment(called)).status).toBe('called');

    // An owner aborts the called one; the requester hears why, and the next one is called.
    const aborted = await post(
      `/deployments/${called}/cancel`,
      { reason: 'Freeze for the sale' },
      GRACE,
    );
    expect(aborted.status).toBe(200);
    expect(aborted.body).toMatchObject({
      status: 'cancelled',
      reason: `Aborted by ${GRACE}: Freeze for the sale`,
    });
    await waitFor(
      async () => setup.chat.messages,
      m =>
        m.some(
          x =>
            x.includes('Deployment cancelled') &&
            x.includes(called) &&
            x.includes(`Aborted by ${GRACE}: Freeze for the sale`) &&
            x.includes(`requested by ${ADA}`),
        ),
    );
    expect((await deployment(queued)).status).toBe('called');

    // On-call, who owns nothing, aborts a running one.
    expect((await post(`/deployments/${queued}/start`)).status).toBe(200);
    await waitFor(
      () => deployment(queued),
      d => d.status === 'running',
    );
    const byOnCall = await post(
      `/deployments/${queued}/cancel`,
      { reason: 'INC-812: checkout errors' },
      ONCALL,
    );
    expect(byOnCall.status).toBe(200);
    const done = await waitFor(
      () => deployment(queued),
      d => d.status !== 'running',
    );
    expect(done.status).toBe('cancelled');
    expect(done.reason).toContain(
      `Aborted by ${ONCALL}: INC-812: checkout errors`,
    );
  });
});

describe('an approval that never comes', () => {
  const setup = withDelivery({
    seed: 31,
    overrides: {
      pipeline: {
        ...quickPipeline,
        productionApproval: true,
        approvalTimeout: { seconds: 2 },
      },
    },
  });
  const { get, post } = setup;

  it('fails the deployment at the production gate after the configured time, production untouched', async () => {
    const sha = mainCommit('payments-api', 5).sha;
    const res = await post(
      '/entities/default/component/payments-api/deployments',
      {
        commitSha: sha,
      },
    );
    const token = res.body.deployment.token;
    expect((await post(`/deployments/${token}/start`)).status).toBe(200);
    const done = await waitFor(
      () => get(`/deployments/${token}`).then(r => r.body),
      d => d.status !== 'running' && d.status !== 'called',
    );
    expect(done.status).toBe('failed');
    const gate = done.stages.find((s: any) => s.name === 'production.approval');
    expect(gate.status).toBe('failed');
    expect(done.reason).toContain(
      `No approval by someone other than ${ADA} within 2 s`,
    );
    expect(
      image(setup.sandbox, 'production', 'payments', 'payments-api'),
    ).not.toContain(sha.slice(0, 7));
  });
});

describe('workloads belong to their owners', () => {
  const setup = withDelivery({ seed: 37 });
  const { get, post } = setup;

  it("refuses a Component registered onto another team's workload or Jenkins job, through the API, touching nothing", async () => {
    const sha = mainCommit('payments-api', 5).sha;
    const before = image(setup.sandbox, 'uat', 'payments', 'payments-api');
    const refused = await post(
      '/entities/default/component/innocent-tool/deployments',
      { commitSha: sha },
    );
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toBe(
      `component:default/innocent-tool may not deploy: ${[
        'uat',
        'canary',
        'production',
      ]
        .map(
          c =>
            `Deployment payments/payments-api in ${c} belongs to component:default/payments-api,component:default/payments-regulated (annotation delivery.backstage.io/entity-refs), not to component:default/innocent-tool`,
        )
        .join('; ')}`,
    );
    const job = await post(
      '/entities/default/component/innocent-job/deployments',
      { commitSha: mainCommit('checkout-web', 5).sha },
    );
    expect(job.status).toBe(403);
    expect(job.body.error.message).toContain(
      'Jenkins folder acme/inventory-service belongs to group:default/team-storefront (delivery.jenkins.jobOwners), not to group:default/team-mallory, the owner of component:default/innocent-job',
    );
    // Nothing was queued, nothing changed in any cluster.
    expect(
      (await get('/entities/default/component/innocent-tool/deployments')).body
        .queue,
    ).toEqual([]);
    expect(image(setup.sandbox, 'uat', 'payments', 'payments-api')).toBe(
      before,
    );
  });

  it('rolls out one deployment per workload at a time, whichever catalog entry asked', async () => {
    const first = await post(
      '/entities/default/component/payments-api/deployments',
      { commitSha: mainCommit('payments-api', 5).sha },
    );
    expect(first.body.deployment.status).toBe('called');
    const twin = await post(
      '/entities/default/component/payments-regulated/deployments',
      { commitSha: mainCommit('payments-api', 4).sha },
    );
    expect(twin.status).toBe(201);
    // payments-regulated's queue is empty but payments-api's workload is taken.
    expect(twin.body.deployment.status).toBe('queued');
    await post(`/deployments/${first.body.deployment.token}/cancel`);
    await waitFor(
      () => get(`/deployments/${twin.body.deployment.token}`).then(r => r.body),
      d => d.status === 'called',
    );
    await post(`/deployments/${twin.body.deployment.token}/cancel`);
  });
});

describe('verification needs evidence', () => {
  describe('without traffic', () => {
    const setup = withDelivery({ seed: 41, rps: 0 });
    const { get, post } = setup;

    it('is inconclusive, never healthy: UAT fails for lack of evidence and returns to its version', async () => {
      const sha = mainCommit('payments-api', 5).sha;
      const before = image(setup.sandbox, 'uat', 'payments', 'payments-api');
      const res = await post(
        '/entities/default/component/payments-api/deployments',
        { commitSha: sha },
      );
      const token = res.body.deployment.token;
      expect((await post(`/deployments/${token}/start`)).status).toBe(200);
      const done = await waitFor(
        () => get(`/deployments/${token}`).then(r => r.body),
        d => d.status !== 'running' && d.status !== 'called',
      );
      expect(done.status).toBe('rolled_back');
      expect(done.reason).toMatch(
        new RegExp(
          `^uat\\.verify: Not verified in uat within 2 s: not enough evidence: 0 of \\d+ samples had traffic of ${sha.slice(
            0,
            7,
          )}, 3 needed$`,
        ),
      );
      expect(image(setup.sandbox, 'uat', 'payments', 'payments-api')).toBe(
        before,
      );
      expect(
        image(setup.sandbox, 'canary', 'payments', 'payments-api'),
      ).not.toContain(sha.slice(0, 7));
    });
  });

  describe('without a metrics provider', () => {
    const setup = withDelivery({
      seed: 43,
      overrides: { metrics: undefined as unknown as JsonObject },
    });
    const { get, post } = setup;

    it('refuses to start, touching nothing, unless config allows waiting alone', async () => {
      const res = await post(
        '/entities/default/component/payments-api/deployments',
        { commitSha: mainCommit('payments-api', 5).sha },
      );
      const token = res.body.deployment.token;
      const refused = await post(`/deployments/${token}/start`);
      expect(refused.status).toBe(422);
      expect(refused.body.error.message).toBe(
        'No metrics provider is configured (delivery.metrics), so no environment can be verified; delivery.pipeline.verifyWithoutMetrics: true allows waiting the windows out instead',
      );
      expect((await get(`/deployments/${token}`)).body.status).toBe('called');
    });
  });

  describe('before production', () => {
    const setup = withDelivery({ seed: 47 });
    const { get, post } = setup;

    it('checks blocking issues and CI again, and leaves production alone when one was opened meanwhile', async () => {
      const sha = mainCommit('payments-api', 5).sha;
      const slug = seed.services.find(
        s => s.name === 'payments-api',
      )!.projectSlug;
      const res = await post(
        '/entities/default/component/payments-api/deployments',
        { commitSha: sha },
      );
      const token = res.body.deployment.token;
      expect((await post(`/deployments/${token}/start`)).status).toBe(200);
      await waitFor(
        () => get(`/deployments/${token}`).then(r => r.body),
        d =>
          d.stages.some(
            (s: any) => s.name === 'canary.verify' && s.status === 'running',
          ),
      );
      const opened = await fetch(
        `${setup.sandbox.githubUrl}/repos/${slug}/issues`,
        {
          method: 'POST',
          headers: {
            authorization: `token ${setup.sandbox.githubToken}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify({
            title: 'Payments double-charge',
            labels: ['deploy-blocker'],
          }),
        },
      );
      expect(opened.status).toBe(201);
      const number = (await opened.json()).number;
      const done = await waitFor(
        () => get(`/deployments/${token}`).then(r => r.body),
        d => d.status !== 'running',
      );
      expect(done.status).toBe('failed');
      expect(done.reason).toBe(
        `production.validate: Not eligible any more: Open issue #${number} "Payments double-charge" is labelled deploy-blocker`,
      );
      expect(
        image(setup.sandbox, 'production', 'payments', 'payments-api'),
      ).not.toContain(sha.slice(0, 7));
      expect(
        image(setup.sandbox, 'canary', 'payments', 'payments-api'),
      ).toContain(sha.slice(0, 7));
    });
  });
});

describe('an approval gate before any environment', () => {
  const setup = withDelivery({
    seed: 53,
    overrides: {
      pipeline: {
        ...quickPipeline,
        approvals: ['canary'],
      },
    },
  });
  const { get, post } = setup;

  it('waits before canary for someone other than the requester, then goes on', async () => {
    const sha = mainCommit('payments-api', 5).sha;
    const res = await post(
      '/entities/default/component/payments-api/deployments',
      { commitSha: sha },
    );
    const token = res.body.deployment.token;
    expect((await post(`/deployments/${token}/start`)).status).toBe(200);
    await waitFor(
      () => get(`/deployments/${token}`).then(r => r.body),
      d =>
        d.stages.some(
          (s: any) => s.name === 'canary.approval' && s.status === 'waiting',
        ),
    );
    expect(image(setup.sandbox, 'uat', 'payments', 'payments-api')).toContain(
      sha,
    );
    expect(
      image(setup.sandbox, 'canary', 'payments', 'payments-api'),
    ).not.toContain(sha.slice(0, 7));
    expect((await post(`/deployments/${token}/approve`)).status).toBe(403);
    expect(
      (await post(`/deployments/${token}/approve`, {}, GRACE)).body.approvals,
    ).toEqual([{ approver: GRACE, kind: 'canary', at: expect.any(String) }]);
    const done = await waitFor(
      () => get(`/deployments/${token}`).then(r => r.body),
      d => d.status !== 'running',
    );
    expect(done.status).toBe('succeeded');
    expect(
      done.stages.find((s: any) => s.name === 'canary.approval'),
    ).toMatchObject({ status: 'succeeded', actor: GRACE });
    expect(done.stages.some((s: any) => s.name === 'production.approval')).toBe(
      false,
    );
  });
});

describe('the branches deployments may come from', () => {
  const setup = withDelivery({
    seed: 59,
    overrides: {
      eligibility: { branches: ['{default}', 'feature/experiment', 'release'] },
    },
  });
  const { get } = setup;

  it('accepts a commit on any configured branch, a branch missing from the repository counting as not', async () => {
    const repo = seed.repositories.find(r => r.name === 'payments-api')!;
    const feature = repo.branches['feature/experiment'];
    const main = mainCommit('payments-api', 5).sha;
    const res = await get(
      `/entities/default/component/payments-api/eligibility?commit=${feature}&commit=${main}`,
    );
    expect(res.status).toBe(200);
    const [onFeature, onMain] = res.body.eligibility;
    expect(onFeature.reasons.map((r: any) => r.code)).not.toContain(
      'not-on-default-branch',
    );
    expect(onMain.eligible).toBe(true);
  });
});
