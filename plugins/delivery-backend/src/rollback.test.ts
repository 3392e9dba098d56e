import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { Sandbox, buildSeed, startSandbox } from '@internal/sandbox';
import request from 'supertest';
import deliveryPlugin from './index';
import { createTestBackendDatabase } from './__testUtils__/databases';
import { ChatReceiver, startChatReceiver } from './__testUtils__/chat';
import { freePort, sandboxConfig, seedComponent } from '../dev/replicas';

/*
 * Rollbacks through HTTP against the sandbox's clusters, traffic and PagerDuty over real
 * sockets: a bad version in canary and production is returned to the stable version, canary
 * first; the queue locks, an incident is opened and resolved; bad requests change nothing.
 */

jest.setTimeout(120_000);

const database = createTestBackendDatabase();
const automationDatabase = createTestBackendDatabase();
const seed = buildSeed(Date.now());
const ADA = 'user:default/ada';
const OUTSIDER = 'user:default/outsider';
const SERVICE = '/entities/default/component/payments-api';

function mainCommit(back: number) {
  const repo = seed.repositories.find(r => r.name === 'payments-api')!;
  const main = repo.commits.filter(c => !c.message.startsWith('WIP'));
  return main[main.length - 1 - back];
}

const as = (user: string) => mockCredentials.user.header(user);

describe('rollbacks', () => {
  let sandbox: Sandbox;
  let chat: ChatReceiver;
  let server: Awaited<ReturnType<typeof startTestBackend>>['server'];
  const auditor = mockServices.auditor.mock();
  const events: Array<{ eventId: string; outcome: string; meta: any }> = [];
  auditor.createEvent.mockImplementation(async options => ({
    success: async () => {
      events.push({ ...options, outcome: 'success' } as any);
    },
    fail: async () => {
      events.push({ ...options, outcome: 'failure' } as any);
    },
  }));

  beforeAll(async () => {
    sandbox = await startSandbox({
      rolloutStepMs: 20,
      traffic: { tickMs: 100, rps: 200, seed: 17 },
    });
    chat = await startChatReceiver();
    ({ server } = await startTestBackend({
      features: [
        await database(),
        auditor.factory,
        deliveryPlugin,
        schedulerServiceFactory,
        mockServices.httpAuth.factory({
          defaultCredentials: mockCredentials.none(),
        }),
        mockServices.permissions.mock({
          authorize: async (requests, options) => {
            const principal = (options.credentials as any).principal;
            return requests.map(() => ({
              result:
                principal?.userEntityRef === OUTSIDER
                  ? AuthorizeResult.DENY
                  : AuthorizeResult.ALLOW,
            }));
          },
        }).factory,
        catalogServiceMock.factory({
          entities: [
            seedComponent(seed.services.find(s => s.name === 'payments-api')!),
          ],
        }),
        mockServices.rootConfig.factory({
          data: sandboxConfig(sandbox, {
            pagerduty: {
              baseUrl: sandbox.pagerdutyUrl,
              routingKey: sandbox.pagerdutyRoutingKey,
            },
            chat: { webhookUrl: chat.url },
            // Only what a test starts: the automation is tested on its own.
            rollback: { automation: { enabled: false } },
          }),
        }),
      ],
    }));
  });
  afterAll(async () => {
    await chat?.close();
    await sandbox?.close();
  });

  const get = (path: string, user = ADA) =>
    request(server).get(`/api/delivery${path}`).set('Authorization', as(user));
  const post = (path: string, body: object, user = ADA) =>
    request(server)
      .post(`/api/delivery${path}`)
      .set('Authorization', as(user))
      .send(body);

  async function waitFor<T>(fn: () => Promise<T>, done: (v: T) => boolean) {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const value = await fn();
      if (done(value)) return value;
      if (Date.now() > deadline) {
        throw new Error(`Timed out; last: ${JSON.stringify(value, null, 2)}`);
      }
      await new Promise(r => setTimeout(r, 100));
    }
  }

  function workload(cluster: string) {
    return sandbox.clusters[cluster].store.get(
      'deployments',
      'payments',
      'payments-api',
    )!;
  }

  /** Puts a version on the workload behind the portal's back, as a bad hotfix would. */
  function runVersion(cluster: string, sha: string) {
    const w = workload(cluster);
    w.spec.template.spec.containers[0].image = `ghcr.io/acme/payments-api:${sha}`;
    w.metadata.annotations!['delivery.backstage.io/commit-sha'] = sha;
    sandbox.clusters[cluster].store.update(undefined, w);
  }

  it('400s bad input and 403s a user who neither owns the service nor is on call', async () => {
    const bad = [
      { environment: 'production', level: 4, reason: 'bad level' },
      { environment: 'production', level: 2 },
      { environment: 'production', level: 2, reason: '  ' },
      { environment: 'Prod!', level: 2, reason: 'bad env' },
      { environment: 'production', level: 2, reason: 'extra', force: true },
    ];
    for (const body of bad) {
      const res = await post(`${SERVICE}/rollbacks`, body);
      expect(res.status).toBe(400);
    }
    const unknown = await post(`${SERVICE}/rollbacks`, {
      environment: 'staging',
      level: 2,
      reason: 'no such environment',
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toMatch(/No environment 'staging'/);
    const denied = await post(
      `${SERVICE}/rollbacks`,
      { environment: 'production', level: 2, reason: 'not mine' },
      OUTSIDER,
    );
    expect(denied.status).toBe(403);
    expect(denied.body.error.message).toMatch(/owners and the on-call group/);
    const flagOff = await post(`${SERVICE}/rollbacks`, {
      environment: 'production',
      level: 1,
      reason: 'no flag is on',
    });
    expect(flagOff.status).toBe(422);
    expect(flagOff.body.error.message).toMatch(/No flag of the newest change/);
    expect((await get(`${SERVICE}/rollbacks`)).body.items).toEqual([]);
    expect((await get(`${SERVICE}/deployments`)).body.lock).toBeUndefined();
  });

  it('returns canary, then production, to the stable version; locks the queue; opens and resolves an incident', async () => {
    const stable =
      workload('production').metadata.annotations![
        'delivery.backstage.io/commit-sha'
      ];
    const bad = mainCommit(2).sha;
    runVersion('canary', bad);
    runVersion('production', bad);

    const health = await waitFor(
      () => get(`${SERVICE}/health?environment=production`),
      res => res.status === 200 && res.body.version === bad,
    );
    expect(health.body).toMatchObject({
      environment: 'production',
      cluster: 'production',
      stableVersion: stable,
      figures: { up: true },
    });

    const started = await post(`${SERVICE}/rollbacks`, {
      environment: 'production',
      level: 2,
      reason: 'Errors since the hotfix',
    });
    expect(started.status).toBe(202);
    const { rollback } = started.body;
    expect(rollback).toMatchObject({
      level: 2,
      environment: 'production',
      requestedBy: ADA,
      automated: false,
      status: 'running',
      targetVersion: stable,
    });
    expect(rollback.id).toMatch(/^RB-\d{13}-\d{6}$/);
    expect(rollback.stages.map((s: any) => s.name)).toEqual([
      'canary.stable-rollback',
      'canary.verify',
      'production.stable-rollback',
      'production.verify',
    ]);

    const again = await post(`${SERVICE}/rollbacks`, {
      environment: 'canary',
      level: 2,
      reason: 'A second one',
    });
    expect(again.status).toBe(409);
    expect(again.body.error.message).toContain(rollback.id);

    const lock = (await get(`${SERVICE}/deployments`)).body.lock;
    expect(lock).toMatchObject({ lockedBy: 'delivery' });
    expect(lock.reason).toContain(rollback.id);

    const done = await waitFor(
      async () => (await get(`/rollbacks/${rollback.id}`)).body,
      r => r.status !== 'running',
    );
    expect({ status: done.status, why: done.outcomeReason }).toEqual({
      status: 'succeeded',
      why: undefined,
    });
    // Canary first: production was touched only after canary verified.
    const byName = Object.fromEntries(done.stages.map((s: any) => [s.name, s]));
    expect(
      Date.parse(byName['production.stable-rollback'].startedAt),
    ).toBeGreaterThanOrEqual(Date.parse(byName['canary.verify'].finishedAt));
    for (const cluster of ['canary', 'production']) {
      expect(
        workload(cluster).metadata.annotations![
          'delivery.backstage.io/commit-sha'
        ],
      ).toBe(stable);
      expect(
        workload(cluster).metadata.annotations![
          'delivery.backstage.io/rollback'
        ],
      ).toBe(rollback.id);
    }
    // The queue stays locked until an owner has looked.
    expect((await get(`${SERVICE}/deployments`)).body.lock).toBeDefined();

    const incidents = (await get(`${SERVICE}/incidents`)).body.items;
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({
      id: done.incidentId,
      environment: 'production',
      level: 2,
      actedBy: ADA,
      rollbackId: rollback.id,
      reason: 'Errors since the hotfix',
    });
    expect(Date.parse(incidents[0].resolvedAt)).toBeGreaterThanOrEqual(
      Date.parse(incidents[0].startedAt),
    );
    expect((await get(`${SERVICE}/rollbacks`)).body.items[0].id).toBe(
      rollback.id,
    );
    // The chat hears of it when it starts (as loud as what was seen) and, once it has ended,
    // that it finished (told right after the end is written).
    const heard = await waitFor(
      async () => chat.messages.join('\n'),
      text => text.includes(`*Rollback ${rollback.id} finished*`),
    );
    expect(heard).toMatch(
      new RegExp(
        `(:warning:|:rotating_light:) \\*Rollback ${rollback.id} \\(level 2\\)`,
      ),
    );
    const audit = events.filter(e => e.eventId === 'rollback-start');
    expect(audit.map(e => e.outcome)).toEqual(
      expect.arrayContaining(['success', 'failure']),
    );
    expect(audit.find(e => e.outcome === 'success')!.meta).toMatchObject({
      actor: ADA,
      environment: 'production',
      level: '2',
      reason: 'Errors since the hotfix',
    });
  });

  it('escalates to PagerDuty at level 6', async () => {
    await post(`${SERVICE}/queue/unlock`, {});
    const res = await post(`${SERVICE}/rollbacks`, {
      environment: 'production',
      level: 6,
      reason: 'Nothing helps; page a person',
    });
    expect(res.status).toBe(202);
    const done = await waitFor(
      async () => (await get(`/rollbacks/${res.body.rollback.id}`)).body,
      r => r.status !== 'running',
    );
    expect(done.status).toBe('succeeded');
    const incidents = await waitFor(
      async () =>
        (await fetch(`${sandbox.pagerdutyUrl}/_sandbox/incidents`)).json(),
      (list: any) => JSON.stringify(list).includes(done.incidentId),
    );
    expect(JSON.stringify(incidents)).toContain('Nothing helps; page a person');
  });

  it('404s an unknown rollback, and keeps what the engine saw when a person chose a level', async () => {
    expect((await get('/rollbacks/RB-0000000000000-000000')).status).toBe(404);
    expect((await get('/rollbacks/nope')).status).toBe(400);
    const decisions = await get(`${SERVICE}/rollback-decisions`);
    expect(decisions.status).toBe(200);
    const rollbacks = (await get(`${SERVICE}/rollbacks`)).body.items;
    // One per rollback started above, each linked to it, with the figures of its moment.
    expect(
      decisions.body.items.map((d: any) => [
        d.decidedBy,
        d.environment,
        d.runId,
      ]),
    ).toEqual(rollbacks.map((r: any) => [ADA, r.environment, r.id]));
    expect(decisions.body.items[0].figures.up).toBe(true);
    expect(
      (await get(`${SERVICE}/rollback-decisions?environment=canary`)).body
        .items,
    ).toEqual([]);
  });
});

describe('the rollback automation', () => {
  let sandbox: Sandbox;
  let server: Awaited<ReturnType<typeof startTestBackend>>['server'];

  beforeAll(async () => {
    const grpcPort = await freePort();
    sandbox = await startSandbox({
      rolloutStepMs: 20,
      traffic: { tickMs: 100, rps: 200, seed: 23 },
      // The sandbox's services read their flags from this backend, as in the demo.
      flags: { host: '127.0.0.1', port: grpcPort },
    });
    ({ server } = await startTestBackend({
      features: [
        await automationDatabase(),
        deliveryPlugin,
        schedulerServiceFactory,
        mockServices.httpAuth.factory({
          defaultCredentials: mockCredentials.none(),
        }),
        catalogServiceMock.factory({
          entities: [
            seedComponent(seed.services.find(s => s.name === 'payments-api')!, {
              'delivery.backstage.io/flag-endpoints':
                'http2-payment-client=/payments',
            }),
          ],
        }),
        mockServices.rootConfig.factory({
          data: sandboxConfig(sandbox, {
            flags: {
              sync: { grpc: { host: '127.0.0.1', port: grpcPort } },
              initial: [
                { service: 'payments-api', key: 'http2-payment-client' },
              ],
            },
            rollback: { analysisInterval: { milliseconds: 200 } },
            // Enough requests in a window to tell a breach from chance.
            metrics: {
              provider: 'sandbox',
              sandbox: { baseUrl: sandbox.trafficUrl },
              window: { seconds: 5 },
            },
            pipeline: {
              tick: { milliseconds: 100 },
              pollInterval: { milliseconds: 100 },
              rolloutTimeout: { seconds: 30 },
              // The pipeline's own verification is slow to judge here: the automation acts first.
              consecutiveBreaches: 1000,
              verification: {
                uat: {
                  window: { milliseconds: 500 },
                  interval: { milliseconds: 100 },
                },
                canary: {
                  window: { seconds: 3 },
                  interval: { milliseconds: 100 },
                },
                production: {
                  window: { seconds: 3 },
                  interval: { milliseconds: 100 },
                },
              },
            },
          }),
        }),
      ],
    }));
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  const get = (path: string) =>
    request(server).get(`/api/delivery${path}`).set('Authorization', as(ADA));
  const post = (path: string, body: object = {}) =>
    request(server)
      .post(`/api/delivery${path}`)
      .set('Authorization', as(ADA))
      .send(body);

  async function waitFor<T>(fn: () => Promise<T>, done: (v: T) => boolean) {
    const deadline = Date.now() + 90_000;
    for (;;) {
      const value = await fn();
      if (done(value)) return value;
      if (Date.now() > deadline) {
        throw new Error(`Timed out; last: ${JSON.stringify(value, null, 2)}`);
      }
      await new Promise(r => setTimeout(r, 100));
    }
  }

  async function deploy(sha: string) {
    const requested = await post(`${SERVICE}/deployments`, { commitSha: sha });
    expect(requested.status).toBe(201);
    const { token } = requested.body.deployment;
    expect((await post(`/deployments/${token}/start`)).status).toBe(200);
    return token as string;
  }

  it('asks a person about a business drop with no technical breach, and acts on nothing', async () => {
    const before = (await get(`${SERVICE}/rollbacks`)).body.items.length;
    const previous = sandbox.clusters.production.store.get(
      'deployments',
      'payments',
      'payments-api',
    )!.metadata.annotations!['delivery.backstage.io/commit-sha'];
    const token = await deploy(mainCommit(4).sha);
    const { asked } = await waitFor(
      async () => ({
        asked: (
          await get(`${SERVICE}/rollback-decisions?environment=production`)
        ).body.items,
        deployment: (await get(`/deployments/${token}`)).body,
      }),
      ({ asked: items }) => items.some((d: any) => d.decision.action === 'ask'),
    );
    const ask = asked.find((d: any) => d.decision.action === 'ask');
    expect(ask.decision).toMatchObject({
      level: 'hold',
      then: 'stable-rollback',
    });
    expect(ask.decision.reasons.join(' ')).toMatch(
      /business metric .* below its baseline/,
    );
    expect(ask.runId).toBeUndefined();
    const deployment = await waitFor(
      async () => (await get(`/deployments/${token}`)).body,
      d => !['called', 'running'].includes(d.status),
    );
    expect(deployment.status).toBe('succeeded');
    expect((await get(`${SERVICE}/rollbacks`)).body.items).toHaveLength(before);
    // It passed the pipeline, so it is marked stable: a stable-version rollback returns to the
    // version it replaced.
    const health = (await get(`${SERVICE}/health?environment=production`)).body;
    expect({
      version: health.version,
      stableVersion: health.stableVersion,
    }).toEqual({ version: mainCommit(4).sha, stableVersion: previous });
  });

  it('restores the pre-deployment backup (level 5), and reroutes traffic away and back around a restore (level 3)', async () => {
    // After the business-drop deployment: production's backup is the version it replaced.
    const store = (cluster: string) => sandbox.clusters[cluster].store;
    const shaIn = (cluster: string) =>
      store(cluster).get('deployments', 'payments', 'payments-api')!.metadata
        .annotations!['delivery.backstage.io/commit-sha'];
    const health = (await get(`${SERVICE}/health?environment=production`)).body;
    expect(health.backupVersion).toBeDefined();
    expect(health.backupVersion).not.toBe(shaIn('production'));
    // Someone scaled production down and set an env var since: the restore undoes both.
    const w = store('production').get(
      'deployments',
      'payments',
      'payments-api',
    )!;
    const replicas = w.spec.replicas;
    w.spec.replicas = 1;
    w.spec.template.spec.containers[0].env = [
      { name: 'CHECKOUT_V2', value: 'on' },
    ];
    store('production').update(undefined, w);

    const restore = await post(`${SERVICE}/rollbacks`, {
      environment: 'production',
      level: 5,
      reason: 'Orders dropped since the checkout change',
    });
    expect(restore.status).toBe(202);
    expect(restore.body.rollback).toMatchObject({
      level: 5,
      targetVersion: health.backupVersion,
    });
    const restored = await waitFor(
      async () => (await get(`/rollbacks/${restore.body.rollback.id}`)).body,
      r => r.status !== 'running',
    );
    expect(restored.status).toBe('succeeded');
    expect(restored.stages.map((s: any) => s.name)).toEqual([
      'production.restore',
      'production.verify',
    ]);
    expect(shaIn('production')).toBe(health.backupVersion);
    const after = store('production').get(
      'deployments',
      'payments',
      'payments-api',
    )!;
    expect(after.spec.replicas).toBe(replicas);
    // The seed's Deployment has no env vars: the one set since is gone.
    expect(after.spec.template.spec.containers[0].env ?? []).toEqual([]);

    // Level 3 in canary, whose NGINX canary Ingress takes its share of user traffic.
    expect((await post(`${SERVICE}/queue/unlock`)).status).toBe(200);
    const weight = () =>
      store('canary').get('ingresses', 'payments', 'payments-api-canary')!
        .metadata.annotations!['nginx.ingress.kubernetes.io/canary-weight'];
    expect(weight()).toBe('100');
    const reroute = await post(`${SERVICE}/rollbacks`, {
      environment: 'canary',
      level: 3,
      reason: 'Canary pods answer nothing',
    });
    expect(reroute.status).toBe(202);
    const weights: string[] = [];
    const rerouted = await waitFor(
      async () => {
        weights.push(weight());
        return (await get(`/rollbacks/${reroute.body.rollback.id}`)).body;
      },
      r => r.status !== 'running',
    );
    expect(rerouted.status).toBe('succeeded');
    expect(rerouted.stages.map((s: any) => `${s.name}:${s.status}`)).toEqual([
      'canary.reroute:succeeded',
      'canary.restore:succeeded',
      'canary.traffic-back:succeeded',
      'canary.verify:succeeded',
    ]);
    const logs = (name: string) =>
      rerouted.stages
        .find((s: any) => s.name === name)
        .logs.map((l: any) => l.message)
        .join('\n');
    expect(logs('canary.reroute')).toContain('payments-api-canary 100 % → 0 %');
    expect(logs('canary.traffic-back')).toContain(
      'Gave traffic back: payments-api-canary at 100 %',
    );
    expect(weights).toContain('0');
    expect(weight()).toBe('100');
    expect((await post(`${SERVICE}/queue/unlock`)).status).toBe(200);
  });

  it("turns a bad change's flag off in canary on its own; the deployment ends rolled back and the queue locks", async () => {
    const before = (await get(`${SERVICE}/rollbacks`)).body.items.length;
    const token = await deploy(mainCommit(2).sha);
    const [rollback] = await waitFor(
      async () => (await get(`${SERVICE}/rollbacks`)).body.items,
      (items: any[]) => items.length > before,
    );
    expect({ ...rollback, stages: undefined }).toMatchObject({
      level: 1,
      environment: 'canary',
      automated: true,
      requestedBy: 'delivery',
      flags: ['http2-payment-client'],
      deploymentToken: token,
      reason: expect.stringMatching(
        /Automated .*on the new change's endpoints \(\/payments\)/,
      ),
    });
    expect(rollback.reason).toMatch(
      /Automated .*on the new change's endpoints \(\/payments\)/,
    );

    const { items: decisions } = (
      await get(`${SERVICE}/rollback-decisions?environment=canary`)
    ).body;
    const acted = decisions.find((d: any) => d.runId === rollback.id);
    expect(acted).toMatchObject({
      decidedBy: 'delivery',
      decision: {
        level: 1,
        action: 'flag-off',
        flags: ['http2-payment-client'],
      },
    });
    expect(acted.figures.errorRate).toBeGreaterThan(0.01);

    const done = await waitFor(
      async () => (await get(`/rollbacks/${rollback.id}`)).body,
      r => r.status !== 'running',
    );
    expect(done.status).toBe('succeeded');
    const flags = (await get(`${SERVICE}/flags`)).body.flags;
    const flag = flags.find((f: any) => f.key === 'http2-payment-client');
    expect(
      flag.environments.find((e: any) => e.environment === 'canary').on,
    ).toBe(false);

    const deployment = await waitFor(
      async () => (await get(`/deployments/${token}`)).body,
      d => !['called', 'running'].includes(d.status),
    );
    expect(deployment.status).toBe('rolled_back');
    expect(deployment.reason).toContain(`Stopped for rollback ${rollback.id}`);
    const lock = (await get(`${SERVICE}/deployments`)).body.lock;
    expect(lock).toMatchObject({ lockedBy: 'delivery' });
    const [incident] = (await get(`${SERVICE}/incidents`)).body.items;
    expect(incident).toMatchObject({
      rollbackId: rollback.id,
      level: 1,
      actedBy: 'delivery',
      deploymentToken: token,
    });
    expect(incident.resolvedAt).toBeDefined();
  });
});
