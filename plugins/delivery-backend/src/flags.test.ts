import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { Sandbox, buildSeed, startSandbox } from '@internal/sandbox';
import { JsonObject } from '@backstage/types';
import request from 'supertest';
import { createServiceFactory } from '@backstage/backend-plugin-api';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import deliveryPlugin from './index';
import { createTestBackendDatabase } from './__testUtils__/databases';
import { sandboxConfig, seedComponent } from '../dev/replicas';

/*
 * Flags through HTTP: create, change, the two-person rule, the kill switch, archive, history,
 * preview, permissions, and flagd's HTTP sync source.
 */

jest.setTimeout(60_000);

const database = createTestBackendDatabase();
const seed = buildSeed(Date.now());
const ADA = 'user:default/ada';
const GRACE = 'user:default/grace';
const OUTSIDER = 'user:default/outsider';
const ONCALL = 'user:default/oncall-olga';
const ONCALL_GROUP = 'group:default/oncall';
const TOKEN = 'sync-secret-for-tests';

const component = (name: string, annotations: Record<string, string> = {}) =>
  seedComponent(seed.services.find(x => x.name === name)!, annotations);

const PAYMENTS = '/entities/default/component/payments-api';
const CHECKOUT = '/entities/default/component/checkout-web';

let sandbox: Sandbox;
let server: Awaited<ReturnType<typeof startTestBackend>>['server'];

/** Every audit event the routes wrote, with its outcome. */
const audit: Array<{ eventId: string; meta: any; outcome?: string }> = [];
const auditor = mockServices.auditor.mock();

/** Every signal the backend published. */
const signals: Array<{ channel: string; message: any }> = [];
const signalsFactory = createServiceFactory({
  service: signalsServiceRef,
  deps: {},
  factory: () => ({
    publish: async (signal: { channel: string; message: any }) => {
      signals.push({ channel: signal.channel, message: signal.message });
    },
  }),
});
auditor.createEvent.mockImplementation(async options => {
  const event = { eventId: options.eventId, meta: options.meta } as {
    eventId: string;
    meta: any;
    outcome?: string;
  };
  audit.push(event);
  return {
    success: async () => {
      event.outcome = 'success';
    },
    fail: async () => {
      event.outcome = 'failure';
    },
  };
});

beforeAll(async () => {
  sandbox = await startSandbox({ rolloutStepMs: 20 });
  ({ server } = await startTestBackend({
    features: [
      await database(),
      auditor.factory,
      signalsFactory,
      deliveryPlugin,
      mockServices.httpAuth.factory({
        defaultCredentials: mockCredentials.none(),
      }),
      mockServices.permissions.mock({
        authorize: async (requests, options) => {
          const principal = (options.credentials as any).principal;
          return requests.map(() => ({
            result: [OUTSIDER, ONCALL].includes(principal?.userEntityRef)
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
      catalogServiceMock.factory({
        entities: [
          // payments-api's production flag changes need a second person.
          component('payments-api', {
            'delivery.backstage.io/flag-approval': 'production',
          }),
          component('checkout-web'),
          component('inventory-service'),
        ],
      }),
      mockServices.rootConfig.factory({
        data: sandboxConfig(sandbox, {
          onCall: { group: ONCALL_GROUP },
          flags: {
            sync: { token: TOKEN, grpc: { host: '127.0.0.1', port: 0 } },
            initial: [
              {
                service: 'inventory-service',
                key: 'bulk-reservations',
                change: 'INV-31',
                rollout: { uat: 100, canary: 10 },
              },
            ],
          },
        } as JsonObject),
      }),
    ],
  }));
});

afterAll(async () => {
  await sandbox?.close();
});

const as = (user: string) => mockCredentials.user.header(user);
const get = (path: string, user = ADA) =>
  request(server).get(`/api/delivery${path}`).set('Authorization', as(user));
const post = (path: string, body: object = {}, user = ADA) =>
  request(server)
    .post(`/api/delivery${path}`)
    .set('Authorization', as(user))
    .send(body);

function settings(flag: any, environment: string) {
  return flag.environments.find((e: any) => e.environment === environment);
}

describe('creating flags', () => {
  it('creates the flags of delivery.flags.initial at start, as config', async () => {
    const res = await get(
      '/entities/default/component/inventory-service/flags/bulk-reservations',
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ change: 'INV-31', createdBy: 'config' });
    expect(
      res.body.environments.map((e: any) => [e.environment, e.rolloutPercent]),
    ).toEqual([
      ['uat', 100],
      ['canary', 10],
      ['production', 0],
    ]);
  });

  it('creates a flag off in every environment, with its history', async () => {
    const res = await post(`${PAYMENTS}/flags`, {
      key: 'http2-payment-client',
      description: 'Switch the payment provider client to HTTP/2',
      type: 'boolean',
      change: 'PAY-142',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      key: 'http2-payment-client',
      type: 'boolean',
      variants: { on: true, off: false },
      offVariant: 'off',
      onVariant: 'on',
      change: 'PAY-142',
      createdBy: ADA,
    });
    expect(
      res.body.environments.map((e: any) => [
        e.environment,
        e.defaultVariant,
        e.on,
        e.rolloutPercent,
      ]),
    ).toEqual([
      ['uat', 'off', false, 0],
      ['canary', 'off', false, 0],
      ['production', 'off', false, 0],
    ]);
    const history = await get(`${PAYMENTS}/flags/http2-payment-client/history`);
    expect(history.body.history).toEqual([
      expect.objectContaining({ action: 'created', actor: ADA }),
    ]);
  });

  it('refuses a taken key (409) and a bad definition (422) naming each problem, storing nothing', async () => {
    const taken = await post(`${PAYMENTS}/flags`, {
      key: 'http2-payment-client',
      type: 'boolean',
    });
    expect(taken.status).toBe(409);

    const bad = await post(`${PAYMENTS}/flags`, {
      key: 'checkout-theme',
      type: 'string',
      variants: { light: 'light', dark: 3 },
      offVariant: 'classic',
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error.message).toContain(
      "variants.dark: a string flag's variants are strings, this one is a number",
    );
    expect(bad.body.error.message).toContain(
      'defaultVariant: "classic" is not a variant of this flag (variants: light, dark)',
    );
    const list = await get(`${PAYMENTS}/flags`);
    expect(list.body.flags.map((f: any) => f.key)).toEqual([
      'http2-payment-client',
    ]);

    // The spec refuses what is not a flag at all, before the service sees it.
    const malformed = await post(`${PAYMENTS}/flags`, {
      key: '1-starts-with-a-digit',
      type: 'boolean',
    });
    expect(malformed.status).toBe(400);
  });

  it('refuses people who do not own the service', async () => {
    const res = await post(
      `${CHECKOUT}/flags`,
      { key: 'new-cart', type: 'boolean' },
      OUTSIDER,
    );
    expect(res.status).toBe(403);
    expect(res.body.error.message).toBe(
      'user:default/outsider may not create flags of component:default/checkout-web: only its owners may',
    );
    expect((await get(`${CHECKOUT}/flags`)).body.flags).toEqual([]);
  });
});

describe('changing flags', () => {
  const flag = `${CHECKOUT}/flags/new-cart`;
  beforeAll(async () => {
    const created = await post(`${CHECKOUT}/flags`, {
      key: 'new-cart',
      type: 'boolean',
    });
    if (created.status !== 201) {
      throw new Error(`Could not create new-cart: ${created.text}`);
    }
  });

  it('toggles, rolls out to a percentage and records before and after', async () => {
    const on = await post(`${flag}/environments/uat`, {
      action: 'toggle',
      enabled: true,
    });
    expect(on.status).toBe(200);
    expect(settings(on.body.flag, 'uat')).toMatchObject({
      defaultVariant: 'on',
      on: true,
      rolloutPercent: 100,
      updatedBy: ADA,
    });
    const ten = await post(`${flag}/environments/canary`, {
      action: 'rollout',
      percent: 10,
      reason: 'canary first',
    });
    expect(settings(ten.body.flag, 'canary')).toMatchObject({
      defaultVariant: 'off',
      targeting: {
        fractional: [
          ['on', 10],
          ['off', 90],
        ],
      },
      rolloutPercent: 10,
      on: true,
    });
    const history = (await get(`${flag}/history`)).body.history;
    expect(history[0]).toMatchObject({
      action: 'rollout',
      environment: 'canary',
      actor: ADA,
      reason: 'canary first',
      before: { state: 'ENABLED', defaultVariant: 'off' },
      after: {
        state: 'ENABLED',
        defaultVariant: 'off',
        targeting: {
          fractional: [
            ['on', 10],
            ['off', 90],
          ],
        },
      },
    });
    expect(history[1]).toMatchObject({
      action: 'toggled',
      environment: 'uat',
      before: { defaultVariant: 'off' },
      after: { defaultVariant: 'on' },
    });
  });

  it('refuses bad targeting with the exact problem, changing nothing', async () => {
    const before = (await get(flag)).body;
    const res = await post(`${flag}/environments/canary`, {
      action: 'targeting',
      targeting: {
        if: [
          { starts_with: [{ var: 'email' }, 'qa-'] },
          'onn',
          {
            fractional: [
              ['on', 0],
              ['off', 100],
            ],
          },
        ],
      },
    });
    expect(res.status).toBe(422);
    expect(res.body.error.message).toBe(
      'The flag is not valid: environments.canary.targeting.if[1]: "onn" is not a variant of this flag (variants: on, off); environments.canary.targeting.if[2].fractional[0][1]: a fractional weight is a whole number above 0, got 0',
    );
    expect((await get(flag)).body).toEqual(before);
    const unknown = await post(`${flag}/environments/canary`, {
      action: 'targeting',
      targeting: { regex: [{ var: 'email' }, '.*'] },
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error.message).toContain(
      'environments.canary.targeting.regex: unknown operator "regex"',
    );
  });

  it('previews who gets what with flagd’s evaluator', async () => {
    await post(`${flag}/environments/canary`, {
      action: 'targeting',
      targeting: {
        if: [
          { ends_with: [{ var: 'email' }, '@acme.example'] },
          'on',
          {
            fractional: [
              ['on', 10],
              ['off', 90],
            ],
          },
        ],
      },
    });
    const one = await post(`${flag}/preview`, {
      environment: 'canary',
      contexts: [
        { targetingKey: 'u-1', email: 'ada@acme.example' },
        { targetingKey: 'u-1', email: 'ada@elsewhere.example' },
      ],
    });
    expect(one.status).toBe(200);
    expect(one.body.results[0]).toEqual({
      targetingKey: 'u-1',
      variant: 'on',
      value: true,
      reason: 'TARGETING_MATCH',
    });
    const many = await post(`${flag}/preview`, {
      environment: 'canary',
      contexts: Array.from({ length: 1000 }, (_, i) => ({
        targetingKey: `user-${i}`,
      })),
    });
    const on = many.body.results.filter((r: any) => r.value === true).length;
    expect(on).toBeGreaterThan(60);
    expect(on).toBeLessThan(140);
    // Production is off: everyone gets the off variant.
    const production = await post(`${flag}/preview`, {
      environment: 'production',
      contexts: [{ targetingKey: 'u-1' }],
    });
    expect(production.body.results[0]).toMatchObject({
      variant: 'off',
      value: false,
      reason: 'STATIC',
    });
  });

  it('refuses people who do not own the service, and unknown environments and flags', async () => {
    const denied = await post(
      `${flag}/environments/uat`,
      { action: 'toggle', enabled: false },
      OUTSIDER,
    );
    expect(denied.status).toBe(403);
    expect(settings((await get(flag)).body, 'uat').on).toBe(true);
    expect(
      (await post(`${flag}/environments/staging`, { action: 'kill' })).status,
    ).toBe(404);
    expect(
      (
        await post(`${CHECKOUT}/flags/nope/environments/uat`, {
          action: 'toggle',
          enabled: true,
        })
      ).status,
    ).toBe(404);
    const missing = await post(`${flag}/environments/uat`, {
      action: 'rollout',
    });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toContain('names a percentage');
  });
});

describe('the two-person rule in production', () => {
  const flag = `${PAYMENTS}/flags/http2-payment-client`;

  it('keeps a change that turns the flag on waiting for a second person, never its requester', async () => {
    const asked = await post(`${flag}/environments/production`, {
      action: 'rollout',
      percent: 10,
      reason: 'PAY-142 canary was healthy',
    });
    expect(asked.status).toBe(202);
    expect(asked.body.pending).toMatchObject({
      flagKey: 'http2-payment-client',
      environment: 'production',
      action: 'rollout',
      summary: 'http2-payment-client in production: on for 10 % of users',
      requestedBy: ADA,
      status: 'pending',
      after: { rolloutPercent: 10, on: true },
    });
    // Nothing changed yet.
    expect(settings(asked.body.flag, 'production').on).toBe(false);
    const list = (await get(`${PAYMENTS}/flags`)).body;
    expect(list.approvalRequired).toEqual(['production']);
    expect(list.pending).toHaveLength(1);

    const id = asked.body.pending.id;
    const self = await post(`/flag-changes/${id}/approve`);
    expect(self.status).toBe(403);
    expect(self.body.error.message).toContain('a second person must');
    const outsider = await post(`/flag-changes/${id}/approve`, {}, OUTSIDER);
    expect(outsider.status).toBe(403);

    const approved = await post(
      `/flag-changes/${id}/approve`,
      { reason: 'looked at the canary' },
      GRACE,
    );
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({
      status: 'approved',
      decidedBy: GRACE,
    });
    expect(settings((await get(flag)).body, 'production')).toMatchObject({
      rolloutPercent: 10,
      on: true,
    });
    expect((await post(`/flag-changes/${id}/approve`, {}, GRACE)).status).toBe(
      409,
    );
    const history = (await get(`${flag}/history`)).body.history;
    expect(history.slice(0, 2).map((h: any) => [h.action, h.actor])).toEqual([
      ['approved', GRACE],
      ['requested', ADA],
    ]);
    // Other environments do not wait.
    expect(
      (
        await post(`${flag}/environments/canary`, {
          action: 'toggle',
          enabled: true,
        })
      ).status,
    ).toBe(200);
  });

  it('lets turning off through at once and supersedes what waited', async () => {
    const asked = await post(`${flag}/environments/production`, {
      action: 'rollout',
      percent: 50,
    });
    expect(asked.status).toBe(202);
    const off = await post(`${flag}/environments/production`, {
      action: 'rollout',
      percent: 0,
    });
    expect(off.status).toBe(200);
    expect(settings(off.body.flag, 'production').on).toBe(false);
    const change = await post(
      `/flag-changes/${asked.body.pending.id}/approve`,
      {},
      GRACE,
    );
    expect(change.status).toBe(409);
    expect((await get(`${PAYMENTS}/flags`)).body.pending).toEqual([]);
  });

  it('does not apply an approved change over a flag that changed meanwhile', async () => {
    const asked = await post(`${flag}/environments/production`, {
      action: 'toggle',
      enabled: true,
    });
    expect(asked.status).toBe(202);
    // Another change asked and approved first.
    const other = await post(
      `${flag}/environments/production`,
      { action: 'rollout', percent: 10 },
      GRACE,
    );
    expect(
      (await post(`/flag-changes/${other.body.pending.id}/approve`)).status,
    ).toBe(200);
    const stale = await post(
      `/flag-changes/${asked.body.pending.id}/approve`,
      {},
      GRACE,
    );
    expect(stale.status).toBe(409);
    expect(stale.body.error.message).toContain('was not applied');
    expect(settings((await get(flag)).body, 'production').rolloutPercent).toBe(
      10,
    );
  });
});

describe('the kill switch and archiving', () => {
  const flag = `${PAYMENTS}/flags/http2-payment-client`;

  it('lets the on-call group kill a flag everywhere, superseding pending changes, with its reason', async () => {
    const asked = await post(`${flag}/environments/production`, {
      action: 'toggle',
      enabled: true,
    });
    expect(asked.status).toBe(202);
    expect((await post(`${flag}/kill`, { reason: 'x' }, OUTSIDER)).status).toBe(
      400,
    );
    expect(
      (await post(`${flag}/kill`, { reason: 'errors on /pay' }, OUTSIDER))
        .status,
    ).toBe(403);
    const killed = await post(
      `${flag}/kill`,
      { reason: 'errors on /pay since 03:12' },
      ONCALL,
    );
    expect(killed.status).toBe(200);
    expect(killed.body.environments.map((e: any) => e.on)).toEqual([
      false,
      false,
      false,
    ]);
    expect((await get(`${PAYMENTS}/flags`)).body.pending).toEqual([]);
    const history = (await get(`${flag}/history`)).body.history;
    expect(
      history
        .filter((h: any) => h.action === 'killed')
        .map((h: any) => [h.environment, h.actor, h.reason]),
    ).toEqual(
      expect.arrayContaining([
        ['production', ONCALL, 'errors on /pay since 03:12'],
        ['canary', ONCALL, 'errors on /pay since 03:12'],
      ]),
    );
  });

  it('archives a flag only once it is off everywhere; it is then served no more', async () => {
    const cart = `${CHECKOUT}/flags/new-cart`;
    const refused = await post(`${cart}/archive`, {});
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(
      /^new-cart is on in uat, canary/,
    );
    await post(`${cart}/kill`, { reason: 'done with it' });
    const archived = await post(`${cart}/archive`, { reason: 'PAY-9 shipped' });
    expect(archived.status).toBe(200);
    expect(archived.body.archivedBy).toBe(ADA);
    expect((await get(`${CHECKOUT}/flags`)).body.flags).toEqual([]);
    expect(
      (await get(`${CHECKOUT}/flags?archived=true`)).body.flags.map(
        (f: any) => f.key,
      ),
    ).toEqual(['new-cart']);
    const served = await request(server)
      .get('/api/delivery/flagd/uat')
      .set('Authorization', `Bearer ${TOKEN}`);
    expect(Object.keys(served.body.flags)).not.toContain(
      'checkout-web.new-cart',
    );
    expect(
      (
        await post(`${cart}/environments/uat`, {
          action: 'toggle',
          enabled: true,
        })
      ).status,
    ).toBe(409);
  });
});

describe("flagd's HTTP sync source", () => {
  const sync = (path: string) =>
    request(server)
      .get(`/api/delivery/flagd${path}`)
      .set('Authorization', `Bearer ${TOKEN}`);

  it('serves an environment’s flags with namespaced keys, or one service’s with their own', async () => {
    await post(`${CHECKOUT}/flags`, {
      key: 'express-checkout',
      type: 'boolean',
    });
    await post(`${CHECKOUT}/flags/express-checkout/environments/canary`, {
      action: 'rollout',
      percent: 25,
    });
    const all = await sync('/canary');
    expect(all.status).toBe(200);
    expect(all.headers['content-type']).toMatch(/^application\/json/);
    expect(all.body).toEqual({
      $schema: 'https://flagd.dev/schema/v0/flags.json',
      flags: {
        'checkout-web.express-checkout': {
          state: 'ENABLED',
          variants: { on: true, off: false },
          defaultVariant: 'off',
          targeting: {
            fractional: [
              ['on', 25],
              ['off', 75],
            ],
          },
          metadata: { service: 'component:default/checkout-web' },
        },
        'inventory-service.bulk-reservations': {
          state: 'ENABLED',
          variants: { on: true, off: false },
          defaultVariant: 'off',
          targeting: {
            fractional: [
              ['on', 10],
              ['off', 90],
            ],
          },
          metadata: {
            service: 'component:default/inventory-service',
            change: 'INV-31',
          },
        },
        'payments-api.http2-payment-client': {
          state: 'ENABLED',
          variants: { on: true, off: false },
          defaultVariant: 'off',
          metadata: {
            service: 'component:default/payments-api',
            change: 'PAY-142',
          },
        },
      },
    });
    const one = await sync('/canary?service=checkout-web');
    expect(Object.keys(one.body.flags)).toEqual(['express-checkout']);
    const byRef = await sync(
      `/canary?service=${encodeURIComponent('component:default/checkout-web')}`,
    );
    expect(byRef.body).toEqual(one.body);
    expect(byRef.headers.etag).toBe(one.headers.etag);
  });

  it('answers 304 while unchanged and 200 with a new ETag after a change', async () => {
    const first = await sync('/canary?service=checkout-web');
    const etag = first.headers.etag;
    expect(etag).toMatch(/^"canary:\d+:component:default\/checkout-web"$/);
    const again = await sync('/canary?service=checkout-web').set(
      'If-None-Match',
      etag,
    );
    expect(again.status).toBe(304);
    await post(`${CHECKOUT}/flags/express-checkout/environments/canary`, {
      action: 'rollout',
      percent: 50,
    });
    const changed = await sync('/canary?service=checkout-web').set(
      'If-None-Match',
      etag,
    );
    expect(changed.status).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
    expect(
      changed.body.flags['express-checkout'].targeting.fractional[0],
    ).toEqual(['on', 50]);
  });

  it('refuses requests without the token (401), and unknown environments (404)', async () => {
    const none = await request(server).get('/api/delivery/flagd/canary');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    const wrong = await request(server)
      .get('/api/delivery/flagd/canary')
      .set('Authorization', `Bearer ${TOKEN}x`);
    expect(wrong.status).toBe(401);
    // A Backstage user token is not the sync token.
    const user = await request(server)
      .get('/api/delivery/flagd/canary')
      .set('Authorization', as(ADA));
    expect(user.status).toBe(401);
    expect((await sync('/staging')).status).toBe(404);
  });
});

describe('deployments that ship behind flags', () => {
  const sha = () => {
    const repo = seed.repositories.find(r => r.name === 'payments-api')!;
    const main = repo.commits.filter(c => !c.message.startsWith('WIP'));
    return main[main.length - 1 - 5].sha;
  };

  it('refuses flags the service does not have (422 naming them), queuing nothing', async () => {
    const res = await post(`${PAYMENTS}/deployments`, {
      commitSha: sha(),
      flags: ['http2-payment-client', 'no-such-flag'],
    });
    expect(res.status).toBe(422);
    expect(res.body.error.message).toBe(
      `Commit ${sha().slice(
        0,
        7,
      )} cannot ship behind its flags: component:default/payments-api has no flag no-such-flag: create it (off everywhere) on the Flags tab first`,
    );
    expect((await get(`${PAYMENTS}/deployments`)).body.queue).toEqual([]);
  });

  it('records the flags a deployment ships behind', async () => {
    const res = await post(`${PAYMENTS}/deployments`, {
      commitSha: sha(),
      flags: ['http2-payment-client'],
    });
    expect(res.status).toBe(201);
    expect(res.body.deployment.flags).toEqual(['http2-payment-client']);
    const token = res.body.deployment.token;
    expect((await get(`/deployments/${token}`)).body.flags).toEqual([
      'http2-payment-client',
    ]);
    expect((await post(`/deployments/${token}/cancel`)).status).toBe(200);
  });
});

describe('audit', () => {
  it('records every flag change with its actor and outcome, refusals too', () => {
    const seen = (eventId: string, outcome: string, meta: object) =>
      audit.some(
        e =>
          e.eventId === eventId &&
          e.outcome === outcome &&
          Object.entries(meta).every(([k, v]) => e.meta?.[k] === v),
      );
    expect(
      seen('flag-create', 'success', {
        flag: 'http2-payment-client',
        actor: ADA,
      }),
    ).toBe(true);
    expect(
      seen('flag-create', 'failure', { flag: 'new-cart', actor: OUTSIDER }),
    ).toBe(true);
    expect(
      seen('flag-change', 'success', {
        flag: 'new-cart',
        environment: 'canary',
        action: 'rollout',
        reason: 'canary first',
      }),
    ).toBe(true);
    expect(seen('flag-change-approve', 'success', { actor: GRACE })).toBe(true);
    expect(seen('flag-change-approve', 'failure', { actor: ADA })).toBe(true);
    expect(
      seen('flag-kill', 'success', {
        flag: 'http2-payment-client',
        environment: 'all',
        actor: ONCALL,
        reason: 'errors on /pay since 03:12',
      }),
    ).toBe(true);
    expect(
      seen('flag-archive', 'success', {
        flag: 'new-cart',
        reason: 'PAY-9 shipped',
      }),
    ).toBe(true);
  });
});

describe('signals', () => {
  it('tells browsers showing a service’s flags of every change, pending ones too', () => {
    const channel = 'delivery-flags:component:default/payments-api';
    const messages = signals
      .filter(s => s.channel === channel)
      .map(s => s.message);
    // The kill in every environment, and a change that only waits for approval.
    expect(messages).toContainEqual({
      entityRef: 'component:default/payments-api',
      environments: ['uat', 'canary', 'production'],
    });
    expect(messages).toContainEqual({
      entityRef: 'component:default/payments-api',
      environments: [],
    });
    expect(
      signals.some(
        s =>
          s.channel === 'delivery-flags:component:default/checkout-web' &&
          s.message.environments.includes('canary'),
      ),
    ).toBe(true);
  });
});
