import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import {
  EventParams,
  eventsServiceFactory,
  eventsServiceRef,
} from '@backstage/plugin-events-node';
import eventsPlugin from '@backstage/plugin-events-backend';
import type { DoraEvent } from '@internal/plugin-delivery-common';
import request from 'supertest';
import { deliveryEventsModuleGitHub } from '../../index';
import { createGitHubDoraSubscriber } from './GitHubDoraEvents';
import { gitHubSignature, verifyGitHubSignature } from './module';

/*
 * GitHub webhooks through the real events backend: its HTTP ingress with this module's
 * signature check, published on the `github` topic to subscribers in other plugins.
 */

const SECRET = 'test-webhook-secret';
const SHA = '0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c';

const push = {
  ref: 'refs/heads/main',
  before: '0000000000000000000000000000000000000001',
  after: SHA,
  repository: {
    id: 1,
    name: 'payments-api',
    full_name: 'acme/payments-api',
    owner: { name: 'acme', login: 'acme' },
    default_branch: 'main',
    pushed_at: 1795167012,
  },
  pusher: { name: 'ada', email: 'ada@acme.example' },
  sender: { login: 'ada', id: 1 },
  commits: [
    {
      id: SHA,
      message: 'Add refunds',
      timestamp: '2026-11-20T10:15:00+01:00',
      author: { name: 'Ada', email: 'ada@acme.example', username: 'ada' },
    },
  ],
  head_commit: {
    id: SHA,
    message: 'Add refunds',
    timestamp: '2026-11-20T10:15:00+01:00',
  },
};

const backends: Array<{ stop(): Promise<void> }> = [];

afterEach(async () => {
  for (const backend of backends.splice(0)) await backend.stop();
});

async function startWebhooks(config: Record<string, unknown>) {
  const received: EventParams[] = [];
  const ingested: DoraEvent[] = [];
  const subscriber = createBackendPlugin({
    pluginId: 'webhook-subscriber',
    register(env) {
      env.registerInit({
        deps: { events: eventsServiceRef, logger: coreServices.logger },
        async init({ events, logger }) {
          await events.subscribe({
            id: 'raw',
            topics: ['github'],
            onEvent: async event => {
              received.push(event);
            },
          });
          await createGitHubDoraSubscriber({
            events,
            logger,
            ingest: async event => {
              ingested.push(event);
              return true;
            },
            entitiesOfRepository: async slug =>
              slug === 'acme/payments-api'
                ? ['component:default/payments-api']
                : [],
          });
        },
      });
    },
  });
  const backend = await startTestBackend({
    features: [
      eventsPlugin,
      deliveryEventsModuleGitHub,
      subscriber,
      // One events service for every plugin (the test backend's mock is per plugin), in-process.
      eventsServiceFactory,
      mockServices.rootConfig.factory({
        data: { events: { useEventBus: 'never' }, ...config },
      }),
    ],
  });
  backends.push(backend);
  return { server: backend.server, received, ingested };
}

function post(
  server: Parameters<typeof request>[0],
  body: string,
  headers: Record<string, string>,
) {
  return request(server)
    .post('/api/events/http/github')
    .set({
      'Content-Type': 'application/json',
      'User-Agent': 'GitHub-Hookshot/test',
      'X-GitHub-Event': 'push',
      'X-GitHub-Delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      ...headers,
    })
    .send(body);
}

describe('GitHub webhooks', () => {
  const config = { delivery: { dora: { github: { webhookSecret: SECRET } } } };

  it('refuses a delivery without a signature with 401 and publishes nothing', async () => {
    const { server, received } = await startWebhooks(config);
    const res = await post(server, JSON.stringify(push), {});
    expect(res.status).toBe(401);
    expect(res.body.error.message).toMatch(/Missing X-Hub-Signature-256/);
    expect(received).toEqual([]);
  });

  it('refuses a bad signature with 401: another secret, another body, or no hex', async () => {
    const { server, received, ingested } = await startWebhooks(config);
    const body = JSON.stringify(push);
    for (const signature of [
      gitHubSignature('another-secret', body),
      gitHubSignature(SECRET, `${body} `),
      `sha1=${'0'.repeat(40)}`,
      'sha256=xyz',
    ]) {
      const res = await post(server, body, {
        'X-Hub-Signature-256': signature,
      });
      expect(res.status).toBe(401);
      expect(res.body.error.message).toMatch(/Bad X-Hub-Signature-256/);
    }
    expect(received).toEqual([]);
    expect(ingested).toEqual([]);
  });

  it('publishes a well-signed delivery on the github topic, with its headers, and DORA gets it', async () => {
    const { server, received, ingested } = await startWebhooks(config);
    // Signed over the bytes as sent: GitHub's own formatting, not a re-serialisation.
    const body = JSON.stringify(push, null, 2);
    const res = await post(server, body, {
      'X-Hub-Signature-256': gitHubSignature(SECRET, body),
    });
    expect(res.status).toBe(202);
    expect(received).toHaveLength(1);
    expect(received[0].topic).toBe('github');
    expect(received[0].eventPayload).toEqual(push);
    expect(received[0].metadata).toMatchObject({
      'x-github-event': 'push',
      'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
    });
    expect(ingested).toEqual([
      {
        type: 'push',
        sourceId: `github:push:acme/payments-api:${SHA}:component:default/payments-api`,
        source: 'github',
        entityRef: 'component:default/payments-api',
        at: Date.parse('2026-11-20T09:30:12Z'),
        commits: [
          { sha: SHA, committedAt: Date.parse('2026-11-20T09:15:00Z') },
        ],
      },
    ]);
  });

  it('refuses every delivery with 401 while no secret is configured', async () => {
    const { server, received } = await startWebhooks({});
    const body = JSON.stringify(push);
    const res = await post(server, body, {
      'X-Hub-Signature-256': gitHubSignature('', body),
    });
    expect(res.status).toBe(401);
    expect(res.body.error.message).toMatch(/secret is not configured/);
    expect(received).toEqual([]);
  });
});

describe('verifyGitHubSignature', () => {
  it('checks GitHub’s documented example', () => {
    // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
    const signature =
      'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    expect(
      verifyGitHubSignature(
        "It's a Secret to Everybody",
        Buffer.from('Hello, World!'),
        signature,
      ),
    ).toBe(true);
    expect(
      verifyGitHubSignature(
        "It's a Secret to Everybody",
        Buffer.from('Hello, World?'),
        signature,
      ),
    ).toBe(false);
    expect(verifyGitHubSignature('x', Buffer.from(''), undefined)).toBe(false);
  });
});
