import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import { Entity } from '@backstage/catalog-model';
import eventsPlugin from '@backstage/plugin-events-backend';
import { eventsServiceFactory } from '@backstage/plugin-events-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { Sandbox, buildSeed, startSandbox } from '@internal/sandbox';
import request from 'supertest';
import deliveryPlugin, { deliveryEventsModuleGitHub } from '../index';
import { createTestBackendDatabase } from '../__testUtils__/databases';
import { sandboxConfig, seedComponent } from '../../dev/replicas';
import { gitHubSignature } from './github/module';

/*
 * GitHub's signed webhooks, sent by this test as GitHub would, through the events backend to the
 * DORA numbers the cards read: a push, a deployment made elsewhere, an incident issue opened and
 * closed; a bad signature is refused and changes nothing; a replay is counted once.
 */

jest.setTimeout(120_000);

const database = createTestBackendDatabase();
const SECRET = 'dora-test-secret';
const seed = buildSeed(Date.now());
const SERVICE = 'component:default/payments-api';
const GROUP = 'group:default/team-payments';
const SHA1 = '1111111111111111111111111111111111111111';
const SHA2 = 'abcdef0123456789abcdef0123456789abcdef01';
const HOUR = 3_600_000;
const MIN = 60_000;
const repository = {
  id: 7,
  name: 'payments-api',
  full_name: 'acme/payments-api',
  owner: { login: 'acme' },
  default_branch: 'main',
};

describe('DORA from signed GitHub webhooks', () => {
  let sandbox: Sandbox;
  let server: Awaited<ReturnType<typeof startTestBackend>>['server'];
  const now = Date.now();
  // Two hours ago, written with a +02:00 offset as a developer's git would.
  const iso = (ms: number) =>
    new Date(ms + 2 * HOUR).toISOString().replace('Z', '+02:00');

  beforeAll(async () => {
    sandbox = await startSandbox({ rolloutStepMs: 20 });
    const component = seedComponent(
      seed.services.find(s => s.name === 'payments-api')!,
    );
    const team: Entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Group',
      metadata: { name: 'team-payments', namespace: 'default' },
      spec: { type: 'team', children: [] },
    };
    ({ server } = await startTestBackend({
      features: [
        await database(),
        eventsPlugin,
        deliveryEventsModuleGitHub,
        eventsServiceFactory,
        deliveryPlugin,
        schedulerServiceFactory,
        catalogServiceMock.factory({
          entities: [
            {
              ...component,
              relations: [{ type: 'ownedBy', targetRef: GROUP }],
            },
            team,
          ],
        }),
        mockServices.rootConfig.factory({
          data: {
            ...sandboxConfig(sandbox, {
              dora: { github: { webhookSecret: SECRET } },
            }),
            events: { useEventBus: 'never' },
          },
        }),
      ],
    }));
  });

  afterAll(async () => {
    await sandbox?.close();
  });

  const deliver = (
    event: string,
    payload: object,
    signature?: string,
    delivery = `${event}-${Math.random()}`,
  ) => {
    const body = JSON.stringify(payload);
    return request(server)
      .post('/api/events/http/github')
      .set({
        'Content-Type': 'application/json',
        'X-GitHub-Event': event,
        'X-GitHub-Delivery': delivery,
        'X-Hub-Signature-256': signature ?? gitHubSignature(SECRET, body),
      })
      .send(body);
  };
  const dora = async (query: string) => {
    const res = await request(server)
      .get(`/api/delivery/dora?${query}`)
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(200);
    return res.body;
  };
  const until = async <T>(fn: () => Promise<T>, ok: (v: T) => boolean) => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const v = await fn();
      if (ok(v)) return v;
      if (Date.now() > deadline) {
        throw new Error(`Timed out; last ${JSON.stringify(v)}`);
      }
      await new Promise(r => setTimeout(r, 100));
    }
  };

  const deployedAt = now - HOUR;
  const statusPayload = {
    action: 'created',
    deployment_status: {
      id: 9001,
      state: 'success',
      environment: 'production',
      created_at: new Date(deployedAt).toISOString(),
      target_url: 'https://ci.example/deploy/9001',
    },
    deployment: {
      id: 501,
      sha: SHA2,
      ref: 'main',
      environment: 'production',
      payload: {},
      created_at: new Date(deployedAt - 5 * MIN).toISOString(),
    },
    repository,
  };

  it('refuses a delivery signed with another secret, and nothing reaches the numbers', async () => {
    const res = await deliver(
      'deployment_status',
      statusPayload,
      gitHubSignature('not-the-secret', JSON.stringify(statusPayload)),
    );
    expect(res.status).toBe(401);
    const before = await dora(`entity=${encodeURIComponent(SERVICE)}`);
    expect(before.metrics.deploymentFrequency.count).toBe(0);
  });

  it('turns a push, a deployment made elsewhere and an incident issue into the cards’ numbers', async () => {
    const push = {
      ref: 'refs/heads/main',
      before: '0'.repeat(40),
      after: SHA2,
      repository: {
        ...repository,
        pushed_at: Math.floor((now - 2 * HOUR) / 1000),
      },
      commits: [
        { id: SHA1, message: 'Refunds API', timestamp: iso(now - 3 * HOUR) },
        {
          id: SHA2,
          message: 'Refunds UI',
          timestamp: iso(now - 2 * HOUR - 30 * MIN),
        },
      ],
      head_commit: { id: SHA2, timestamp: iso(now - 2 * HOUR - 30 * MIN) },
    };
    expect((await deliver('push', push)).status).toBe(202);
    expect(
      (await deliver('deployment_status', statusPayload, undefined, 'd-1'))
        .status,
    ).toBe(202);
    // GitHub redelivers: stored once.
    expect(
      (await deliver('deployment_status', statusPayload, undefined, 'd-1'))
        .status,
    ).toBe(202);
    const issue = {
      number: 42,
      title: 'Refund totals wrong',
      body: `Since ${SHA2.slice(0, 7)} was deployed, refunds are doubled.`,
      html_url: 'https://github.com/acme/payments-api/issues/42',
      state: 'open',
      labels: [{ name: 'incident' }],
      created_at: new Date(deployedAt + 10 * MIN).toISOString(),
      updated_at: new Date(deployedAt + 10 * MIN).toISOString(),
      closed_at: null,
    };
    expect(
      (await deliver('issues', { action: 'opened', issue, repository })).status,
    ).toBe(202);
    const closed = {
      ...issue,
      state: 'closed',
      closed_at: new Date(deployedAt + 35 * MIN).toISOString(),
      updated_at: new Date(deployedAt + 35 * MIN).toISOString(),
    };
    expect(
      (await deliver('issues', { action: 'closed', issue: closed, repository }))
        .status,
    ).toBe(202);

    const service = await until(
      () => dora(`entity=${encodeURIComponent(SERVICE)}`),
      d => d.metrics.recoveryTime.count === 1,
    );
    expect(service.metrics.deploymentFrequency).toMatchObject({ count: 1 });
    // Commits at −3 h and −2 h 30, deployed at −1 h.
    expect(service.metrics.leadTime).toMatchObject({
      count: 2,
      value: 90 * MIN,
      p90: 2 * HOUR,
      tier: 'elite',
      target: { met: true },
    });
    expect(service.metrics.changeFailureRate).toMatchObject({
      value: 1,
      numerator: 1,
      count: 1,
      tier: 'low',
    });
    expect(service.metrics.recoveryTime).toMatchObject({
      value: 25 * MIN,
      target: { met: false },
    });
    const team = await dora(`group=${encodeURIComponent(GROUP)}`);
    expect(team.scope).toMatchObject({ services: 1, teams: 1 });
    expect(team.metrics.leadTime.value).toBe(90 * MIN);

    const csv = await request(server)
      .get(
        `/api/delivery/dora/details?entity=${encodeURIComponent(
          SERVICE,
        )}&kind=deployments&format=csv`,
      )
      .set('Authorization', mockCredentials.user.header());
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const rows = csv.text.trim().split('\r\n');
    expect(rows).toHaveLength(2);
    expect(rows[1]).toContain(SHA2);
    expect(rows[1]).toContain('https://ci.example/deploy/9001');
  });

  it('answers bad questions with 400 and unknown scopes with 404', async () => {
    const get = (q: string) =>
      request(server)
        .get(`/api/delivery/dora?${q}`)
        .set('Authorization', mockCredentials.user.header());
    expect((await get('')).status).toBe(400);
    expect((await get('entity=payments-api&interval=month')).status).toBe(400);
    expect((await get('entity=payments-api&from=soon')).status).toBe(400);
    expect((await get('group=nobody')).status).toBe(404);
  });
});
