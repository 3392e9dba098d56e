import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { Entity } from '@backstage/catalog-model';
import { Sandbox, buildSeed, startSandbox } from '@internal/sandbox';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import request from 'supertest';
import deliveryPlugin from './index';
import { createTestBackendDatabase } from './__testUtils__/databases';

const database = createTestBackendDatabase();

/*
 * The whole plugin through HTTP: the real @kubernetes/client-node and @octokit/rest clients
 * talk to the sandbox's Kubernetes and GitHub servers over real sockets.
 */

const NOW = Date.parse('2026-11-20T12:00:00Z');
const seed = buildSeed(NOW);

function component(name: string, annotations: Record<string, string>): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace: 'default', annotations },
    spec: { type: 'service', owner: 'team-payments', lifecycle: 'production' },
  };
}

const entities: Entity[] = [
  ...seed.services.map(s =>
    component(s.name, {
      'github.com/project-slug': s.projectSlug,
      'backstage.io/kubernetes-id': s.name,
      'backstage.io/kubernetes-namespace': s.namespace,
    }),
  ),
  component('money-lib', {}),
  component('half-annotated', {
    'github.com/project-slug': 'acme/payments-api',
  }),
  component('ghost-repo', {
    'github.com/project-slug': 'acme/does-not-exist',
    'backstage.io/kubernetes-id': 'ghost-repo',
  }),
];

function clusterConfig(urls: Record<string, string>) {
  return {
    kubernetes: {
      clusterLocatorMethods: [
        {
          type: 'config',
          clusters: Object.entries(urls).map(([name, url]) => ({
            name,
            url,
            authProvider: 'serviceAccount',
            serviceAccountToken: 'sandbox',
            skipTLSVerify: true,
          })),
        },
      ],
    },
  };
}

async function startDelivery(options: {
  clusterUrls: Record<string, string>;
  githubUrl: string;
  githubToken: string;
  timeoutMs?: number;
}) {
  const { server } = await startTestBackend({
    features: [
      await database(),
      deliveryPlugin,
      // No Authorization header means no credentials (the mock's default would be a user).
      mockServices.httpAuth.factory({
        defaultCredentials: mockCredentials.none(),
      }),
      catalogServiceMock.factory({ entities }),
      mockServices.rootConfig.factory({
        data: {
          ...clusterConfig(options.clusterUrls),
          integrations: {
            github: [
              {
                host: 'sandbox.github',
                apiBaseUrl: options.githubUrl,
                token: options.githubToken,
              },
            ],
          },
          delivery: {
            github: { host: 'sandbox.github' },
            environments: [
              { name: 'uat', cluster: 'uat' },
              { name: 'canary', cluster: 'canary' },
              { name: 'production', cluster: 'production' },
            ],
            requestTimeout: { milliseconds: options.timeoutMs ?? 5000 },
            flags: { sync: { grpc: { host: '127.0.0.1', port: 0 } } },
          },
        },
      }),
    ],
  });
  return server;
}

describe('delivery backend against the sandbox', () => {
  let sandbox: Sandbox;
  let server: Awaited<ReturnType<typeof startDelivery>>;
  const auth = mockCredentials.user.header('user:default/guest');

  beforeAll(async () => {
    sandbox = await startSandbox({ now: NOW, rolloutStepMs: 50 });
    server = await startDelivery({
      clusterUrls: sandbox.clusterUrls,
      githubUrl: sandbox.githubUrl,
      githubToken: sandbox.githubToken,
    });
  });

  afterAll(async () => {
    await sandbox?.close();
  });

  it('answers its health check without a token', async () => {
    const res = await request(server).get('/api/delivery/health');
    expect(res.status).toBe(200);
  });

  it('requires a user token', async () => {
    const res = await request(server).get(
      '/api/delivery/entities/default/component/payments-api/environments',
    );
    expect(res.status).toBe(401);
  });

  describe('GET /entities/{namespace}/{kind}/{name}/environments', () => {
    it('reports the deployed version, replicas, rollout and stable version of each environment', async () => {
      const payments = seed.services.find(s => s.name === 'payments-api')!;
      const res = await request(server)
        .get(
          '/api/delivery/entities/default/component/payments-api/environments',
        )
        .set('Authorization', auth);
      expect(res.status).toBe(200);
      expect(res.body.entityRef).toBe('component:default/payments-api');
      expect(res.body.environments.map((e: any) => e.environment)).toEqual([
        'uat',
        'canary',
        'production',
      ]);
      for (const env of res.body.environments) {
        const sha = payments.deployed[env.environment];
        expect(env).toMatchObject({
          cluster: env.environment,
          namespace: 'payments',
          workload: 'payments-api',
          version: { commitSha: sha, imageTag: sha.slice(0, 7) },
          replicas: { desired: 3, ready: 3, updated: 3, available: 3 },
          rollout: 'complete',
          revision: '1',
          stable: {
            state: 'recorded',
            commitSha: payments.stable[env.environment],
          },
        });
        expect(Date.parse(env.deployedAt)).toBeLessThan(NOW);
      }
      // Three different versions: production oldest, uat newest.
      expect(
        new Set(res.body.environments.map((e: any) => e.version.commitSha))
          .size,
      ).toBe(3);
    });

    it('shows a missing stable version as unknown, not as an error', async () => {
      const res = await request(server)
        .get(
          '/api/delivery/entities/default/component/inventory-service/environments',
        )
        .set('Authorization', auth);
      expect(res.status).toBe(200);
      expect(res.body.environments.map((e: any) => e.stable)).toEqual([
        { state: 'unknown' },
        { state: 'unknown' },
        { state: 'unknown' },
      ]);
    });

    it('follows a rollout that the cluster is running', async () => {
      const uat = sandbox.clusters.uat.store;
      const deployment = uat.get('deployments', 'storefront', 'checkout-web')!;
      const newImage = 'sandbox.local/acme/checkout-web:fffffff';
      uat.update('deployments', {
        ...deployment,
        spec: {
          ...deployment.spec,
          template: {
            ...deployment.spec.template,
            spec: {
              containers: [
                {
                  ...deployment.spec.template.spec.containers[0],
                  image: newImage,
                },
              ],
            },
          },
        },
      });
      const during = await request(server)
        .get(
          '/api/delivery/entities/default/component/checkout-web/environments',
        )
        .set('Authorization', auth);
      expect(during.status).toBe(200);
      expect(during.body.environments[0]).toMatchObject({
        rollout: 'progressing',
        version: { image: newImage, imageTag: 'fffffff' },
        revision: '2',
      });
      await waitFor(async () => {
        const after = await request(server)
          .get(
            '/api/delivery/entities/default/component/checkout-web/environments',
          )
          .set('Authorization', auth);
        expect(after.body.environments[0]).toMatchObject({
          rollout: 'complete',
          replicas: { desired: 2, ready: 2, updated: 2 },
        });
      });
    });

    it('404s an unknown entity with a message', async () => {
      const res = await request(server)
        .get('/api/delivery/entities/default/component/nope/environments')
        .set('Authorization', auth);
      expect(res.status).toBe(404);
      expect(res.body.error.message).toBe(
        'No entity component:default/nope in the catalog',
      );
    });

    it('404s an entity without the annotations, naming what is missing', async () => {
      const none = await request(server)
        .get('/api/delivery/entities/default/component/money-lib/environments')
        .set('Authorization', auth);
      expect(none.status).toBe(404);
      expect(none.body.error.message).toBe(
        'Entity component:default/money-lib is missing the annotations github.com/project-slug, backstage.io/kubernetes-id',
      );
      const half = await request(server)
        .get(
          '/api/delivery/entities/default/component/half-annotated/environments',
        )
        .set('Authorization', auth);
      expect(half.status).toBe(404);
      expect(half.body.error.message).toBe(
        'Entity component:default/half-annotated is missing the annotation backstage.io/kubernetes-id',
      );
    });

    it('400s a malformed entity reference', async () => {
      const res = await request(server)
        .get(
          '/api/delivery/entities/default/component/bad%20name!/environments',
        )
        .set('Authorization', auth);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(/name/);
    });
  });

  describe('GET /entities/{namespace}/{kind}/{name}/commits', () => {
    it('lists the latest commits of main with author, time, message and CI state', async () => {
      const repo = seed.repositories.find(r => r.name === 'payments-api')!;
      const main = repo.commits
        .filter(c => !c.message.startsWith('WIP'))
        .reverse();
      const res = await request(server)
        .get('/api/delivery/entities/default/component/payments-api/commits')
        .set('Authorization', auth);
      expect(res.status).toBe(200);
      expect(res.body.repository).toMatchObject({
        slug: 'acme/payments-api',
        defaultBranch: 'main',
      });
      expect(res.body.commits).toHaveLength(20);
      expect(res.body.commits.map((c: any) => c.sha)).toEqual(
        main.slice(0, 20).map(c => c.sha),
      );
      const head = res.body.commits[0];
      expect(head).toMatchObject({
        sha: main[0].sha,
        shortSha: main[0].sha.slice(0, 7),
        message: main[0].message,
        author: { name: main[0].authorName, login: main[0].authorLogin },
        committedAt: main[0].date,
        ci: { state: 'pending' },
      });
      expect(head.url).toContain(main[0].sha);
      const states = new Set(res.body.commits.map((c: any) => c.ci.state));
      expect(states).toEqual(new Set(['success', 'failure', 'pending']));
      const failing = res.body.commits.find(
        (c: any) => c.ci.state === 'failure',
      );
      const seeded = main.find(c => c.sha === failing.sha)!;
      expect(failing.ci.checks).toEqual(
        expect.arrayContaining(
          seeded.checks.map(ch =>
            expect.objectContaining({ name: ch.name, state: ch.state }),
          ),
        ),
      );
    });

    it('404s a repository that GitHub does not know', async () => {
      const res = await request(server)
        .get('/api/delivery/entities/default/component/ghost-repo/commits')
        .set('Authorization', auth);
      expect(res.status).toBe(404);
      expect(res.body.error.message).toBe(
        'GitHub: cannot read the repository in acme/does-not-exist: not found',
      );
    });
  });
});

describe('delivery backend when a system fails', () => {
  let sandbox: Sandbox;
  let silent: Server;
  let silentUrl: string;
  const auth = mockCredentials.user.header('user:default/guest');

  beforeAll(async () => {
    sandbox = await startSandbox({ now: NOW });
    // Accepts connections and never answers: a hung API server.
    silent = createServer(() => {});
    await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve));
    silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    silent.closeAllConnections();
    await new Promise(resolve => silent.close(resolve));
    await sandbox?.close();
  });

  it('503s naming the cluster that refuses connections', async () => {
    const closedPort = await freePort();
    const server = await startDelivery({
      clusterUrls: {
        ...sandbox.clusterUrls,
        production: `http://127.0.0.1:${closedPort}`,
      },
      githubUrl: sandbox.githubUrl,
      githubToken: sandbox.githubToken,
    });
    const res = await request(server)
      .get('/api/delivery/entities/default/component/payments-api/environments')
      .set('Authorization', auth);
    expect(res.status).toBe(503);
    expect(res.body.error.message).toMatch(
      new RegExp(
        `^Kubernetes cluster 'production' \\(http://127.0.0.1:${closedPort}\\) is unreachable: ECONNREFUSED`,
      ),
    );
  });

  it('503s within the timeout when a cluster hangs', async () => {
    const server = await startDelivery({
      clusterUrls: { ...sandbox.clusterUrls, canary: silentUrl },
      githubUrl: sandbox.githubUrl,
      githubToken: sandbox.githubToken,
      timeoutMs: 300,
    });
    const res = await request(server)
      .get('/api/delivery/entities/default/component/payments-api/environments')
      .set('Authorization', auth)
      .timeout(10_000);
    expect(res.status).toBe(503);
    expect(res.body.error.message).toBe(
      `Kubernetes cluster 'canary' (${silentUrl}) is unreachable: no answer before the request timeout`,
    );
  });

  it('503s within the timeout when GitHub hangs', async () => {
    const server = await startDelivery({
      clusterUrls: sandbox.clusterUrls,
      githubUrl: silentUrl,
      githubToken: sandbox.githubToken,
      timeoutMs: 300,
    });
    const res = await request(server)
      .get('/api/delivery/entities/default/component/payments-api/commits')
      .set('Authorization', auth)
      .timeout(10_000);
    expect(res.status).toBe(503);
    expect(res.body.error.message).toBe(
      `GitHub (${silentUrl}) is unreachable: no answer before the request timeout`,
    );
  });

  it('503s when GitHub refuses connections', async () => {
    const closedPort = await freePort();
    const server = await startDelivery({
      clusterUrls: sandbox.clusterUrls,
      githubUrl: `http://127.0.0.1:${closedPort}`,
      githubToken: sandbox.githubToken,
    });
    const res = await request(server)
      .get('/api/delivery/entities/default/component/payments-api/commits')
      .set('Authorization', auth);
    expect(res.status).toBe(503);
    expect(res.body.error.message).toMatch(
      /^GitHub \(http:\/\/127\.0\.0\.1:\d+\) is unreachable: ECONNREFUSED/,
    );
  });

  it('502s when GitHub rejects the credentials', async () => {
    const server = await startDelivery({
      clusterUrls: sandbox.clusterUrls,
      githubUrl: sandbox.githubUrl,
      githubToken: 'wrong-token',
    });
    const res = await request(server)
      .get('/api/delivery/entities/default/component/payments-api/commits')
      .set('Authorization', auth);
    expect(res.status).toBe(502);
    expect(res.body.error.message).toBe(
      `GitHub (${sandbox.githubUrl}) failed to read the repository for acme/payments-api: HTTP 401 Bad credentials - https://docs.github.com/rest`,
    );
  });
});

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>(resolve => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise(resolve => probe.close(resolve));
  return port;
}

async function waitFor(assertion: () => Promise<void>, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await assertion();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise(resolve => setTimeout(resolve, 100));
    }
  }
}
