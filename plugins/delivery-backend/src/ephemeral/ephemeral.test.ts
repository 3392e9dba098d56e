import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import eventsPlugin from '@backstage/plugin-events-backend';
import { eventsServiceFactory } from '@backstage/plugin-events-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { Sandbox, buildSeed, startSandbox } from '@internal/sandbox';
import request from 'supertest';
import deliveryPlugin, { deliveryEventsModuleGitHub } from '../index';
import { createTestBackendDatabase } from '../__testUtils__/databases';
import { sandboxKubectl } from '../__testUtils__/kubectl';
import { sandboxConfig, seedComponent } from '../../dev/replicas';
import { gitHubSignature } from '../dora/github/module';

/*
 * Ephemeral environments end to end, through the real parts: signed GitHub webhooks through the
 * events backend, the run engine on the test database, Jenkins, the Kubernetes API (the sandbox,
 * read back with kubectl as an independent client), and the routes with their permissions.
 */

jest.setTimeout(180_000);

const database = createTestBackendDatabase();
const SECRET = 'ephemeral-test-secret';
const seed = buildSeed(Date.now());
const SERVICE = 'component:default/payments-api';
const JOB = 'acme/payments-api/ephemeral';
const SHA1 = '1111111111111111111111111111111111111111';
const SHA2 = '2222222222222222222222222222222222222222';
const SHA3 = '3333333333333333333333333333333333333333';
const repository = {
  id: 7,
  name: 'payments-api',
  full_name: 'acme/payments-api',
  owner: { login: 'acme' },
  default_branch: 'main',
};

describe('ephemeral environments against the sandbox', () => {
  let sandbox: Sandbox;
  let server: Awaited<ReturnType<typeof startTestBackend>>['server'];
  const kubeClient = sandboxKubectl();
  // The permission policy's answer: flipped by the denial tests.
  let decision: AuthorizeResult.ALLOW | AuthorizeResult.DENY =
    AuthorizeResult.ALLOW;

  beforeAll(async () => {
    sandbox = await startSandbox({ rolloutStepMs: 20 });
    sandbox.jenkins.state.addJob(JOB);
    sandbox.jenkins.state.setOutcome(JOB, {
      result: 'SUCCESS',
      durationMs: 300,
      queueMs: 100,
    });
    const component = seedComponent(
      seed.services.find(s => s.name === 'payments-api')!,
      { 'jenkins.io/job-full-name': JOB },
    );
    const permissions = mockServices.permissions.mock({
      authorize: async requests => requests.map(() => ({ result: decision })),
    });
    ({ server } = await startTestBackend({
      features: [
        await database(),
        eventsPlugin,
        deliveryEventsModuleGitHub,
        eventsServiceFactory,
        deliveryPlugin,
        schedulerServiceFactory,
        permissions.factory,
        catalogServiceMock.factory({ entities: [component] }),
        mockServices.rootConfig.factory({
          data: {
            ...sandboxConfig(sandbox, {
              dora: { github: { webhookSecret: SECRET } },
              jenkins: {
                baseUrl: sandbox.jenkinsUrl,
                username: sandbox.jenkinsCredentials.username,
                apiToken: sandbox.jenkinsCredentials.apiToken,
                jobOwners: [
                  {
                    folder: 'acme/payments-api',
                    owners: [`group:default/${component.spec!.owner}`],
                  },
                ],
              },
              ephemeral: {
                ttl: { hours: 3 },
                maxLifetime: { hours: 6 },
                quota: { 'requests.cpu': '1', pods: '4' },
                networkPolicy: {
                  egress: [{ namespace: 'payments', ports: [5432] }],
                },
                appUrlTemplate: 'https://{{namespace}}.preview.test',
                dashboardUrlTemplate:
                  'https://grafana.test/d/ns?var-namespace={{namespace}}',
              },
            }),
            events: { useEventBus: 'never' },
          },
        }),
      ],
    }));
  });

  afterAll(async () => {
    await sandbox?.close();
    kubeClient.close();
  });

  const deliver = (event: string, payload: object, signature?: string) => {
    const body = JSON.stringify(payload);
    return request(server)
      .post('/api/events/http/github')
      .set({
        'Content-Type': 'application/json',
        'X-GitHub-Event': event,
        'X-GitHub-Delivery': `${event}-${Math.random()}`,
        'X-Hub-Signature-256': signature ?? gitHubSignature(SECRET, body),
      })
      .send(body);
  };
  const push = (branch: string, after: string, extra: object = {}) => ({
    ref: `refs/heads/${branch}`,
    before: '0000000000000000000000000000000000000000',
    after,
    created: true,
    deleted: false,
    commits: [],
    head_commit: { id: after, timestamp: new Date().toISOString() },
    pusher: { name: 'dev-one' },
    sender: { login: 'dev-one' },
    repository,
    ...extra,
  });
  const api = (
    method: 'get' | 'post' | 'put' | 'delete',
    path: string,
    body?: object,
  ) => {
    const req = request(server)
      [method](`/api/delivery${path}`)
      .set('Authorization', mockCredentials.user.header());
    return body ? req.send(body) : req;
  };
  const list = async () => {
    const res = await api(
      'get',
      '/entities/default/component/payments-api/ephemeral-environments',
    );
    expect(res.status).toBe(200);
    return res.body;
  };
  const until = async <T>(fn: () => Promise<T>, ok: (v: T) => boolean) => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const v = await fn();
      if (ok(v)) return v;
      if (Date.now() > deadline) {
        throw new Error(`Timed out; last ${JSON.stringify(v, null, 1)}`);
      }
      await new Promise(r => setTimeout(r, 150));
    }
  };
  const kubectl = (...args: string[]) =>
    kubeClient.run(sandbox.clusterUrls.uat, ...args);
  const kubectlJson = async (...args: string[]) => {
    const run = await kubectl(...args, '-o', 'json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    return JSON.parse(run.stdout);
  };
  const byBranch = (body: any, branch: string) =>
    body.items.find((e: any) => e.branch === branch && e.status !== 'deleted');

  it('refuses a push whose signature does not match, and creates nothing', async () => {
    const payload = push('deploy/forged', SHA1);
    const res = await deliver(
      'push',
      payload,
      gitHubSignature('not-the-secret', JSON.stringify(payload)),
    );
    expect(res.status).toBe(401);
    const unsigned = await request(server)
      .post('/api/events/http/github')
      .set({ 'Content-Type': 'application/json', 'X-GitHub-Event': 'push' })
      .send(JSON.stringify(payload));
    expect(unsigned.status).toBe(401);
    await new Promise(r => setTimeout(r, 500));
    expect(byBranch(await list(), 'deploy/forged')).toBeUndefined();
  });

  it('makes a ready environment of a deploy/* push: build, namespace with quota and policies, UAT workload with the branch image, flags', async () => {
    expect((await deliver('push', push('deploy/try-this', SHA1))).status).toBe(
      202,
    );
    const env = await until(
      async () => byBranch(await list(), 'deploy/try-this'),
      // Ready is written by the last stage, which then ends: wait for the run to end too.
      e =>
        e?.status === 'failed' ||
        (e?.status === 'ready' &&
          e.stages.every((s: any) => s.status === 'succeeded')),
    );
    expect(env.statusReason).toBeUndefined();
    expect(env.status).toBe('ready');
    expect(env.namespace).toMatch(/^payments-api-try-this-[0-9a-f]{10}$/);
    expect(env.commitSha).toBe(SHA1);
    expect(env.createdBy).toBe('user:default/dev-one');
    expect(env.build).toMatchObject({
      job: JOB,
      building: false,
      result: 'SUCCESS',
    });
    expect(env.appUrl).toBe(`https://${env.namespace}.preview.test`);
    expect(env.dashboardUrl).toBe(
      `https://grafana.test/d/ns?var-namespace=${env.namespace}`,
    );
    expect(env.stages.map((s: any) => `${s.name}:${s.status}`)).toEqual([
      'build:succeeded',
      'namespace:succeeded',
      'workload:succeeded',
      'rollout:succeeded',
      'copy-flags:succeeded',
      'announce:succeeded',
    ]);
    // The flag the sandbox's service has, as UAT serves it (off).
    expect(env.flags).toEqual([
      expect.objectContaining({
        key: 'http2-payment-client',
        state: 'ENABLED',
      }),
    ]);
    const lifetime = Date.parse(env.expiresAt) - Date.parse(env.createdAt);
    expect(lifetime).toBe(3 * 3_600_000);
    // Jenkins built the branch with its parameters.
    const build = sandbox.jenkins.state
      .builds(JOB)
      .find(b => b.record.parameters.BRANCH === 'deploy/try-this');
    expect(build?.record.parameters).toMatchObject({
      BRANCH: 'deploy/try-this',
      GIT_COMMIT_SHA: SHA1,
      TARGET_ENV: env.namespace,
    });

    // What kubectl sees.
    const ns = await kubectlJson('get', 'namespace', env.namespace);
    expect(ns.metadata.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'backstage-delivery',
      'delivery.backstage.io/ephemeral': 'true',
      'delivery.backstage.io/service': 'payments-api',
      'delivery.backstage.io/owner': 'dev-one',
      'delivery.backstage.io/branch': 'deploy_try-this',
      expiration: `${env.expiresAt.slice(0, 19).replace(/:/g, '-')}Z`,
      'delivery.backstage.io/persistent': 'false',
    });
    expect(ns.metadata.annotations).toMatchObject({
      'delivery.backstage.io/expiration': `${env.expiresAt.slice(0, 19)}Z`,
      'delivery.backstage.io/branch': 'deploy/try-this',
      'delivery.backstage.io/entity-ref': SERVICE,
      'delivery.backstage.io/created-by': 'user:default/dev-one',
    });
    const quota = await kubectlJson(
      'get',
      'resourcequota',
      'ephemeral-quota',
      '-n',
      env.namespace,
    );
    expect(quota.spec.hard).toEqual({ 'requests.cpu': '1', pods: '4' });
    const limits = await kubectlJson(
      'get',
      'limitrange',
      'ephemeral-limits',
      '-n',
      env.namespace,
    );
    expect(limits.spec.limits).toEqual([
      expect.objectContaining({
        type: 'Container',
        default: { cpu: '500m', memory: '512Mi' },
        defaultRequest: { cpu: '100m', memory: '128Mi' },
        max: { cpu: '2', memory: '2Gi' },
      }),
    ]);
    const policies = await kubectlJson(
      'get',
      'networkpolicies',
      '-n',
      env.namespace,
    );
    const deny = policies.items.find(
      (p: any) => p.metadata.name === 'ephemeral-default-deny',
    );
    expect(deny.spec).toEqual({
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
    });
    const allow = policies.items.find(
      (p: any) => p.metadata.name === 'ephemeral-allow',
    );
    expect(allow.spec.ingress[0].from).toEqual([
      {
        namespaceSelector: {
          matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' },
        },
        podSelector: {
          matchLabels: { 'app.kubernetes.io/name': 'ingress-nginx' },
        },
      },
    ]);
    expect(allow.spec.egress).toEqual([
      {
        to: [
          {
            namespaceSelector: {
              matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' },
            },
            podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
          },
        ],
        ports: [
          { protocol: 'UDP', port: 53 },
          { protocol: 'TCP', port: 53 },
        ],
      },
      { to: [{ podSelector: {} }] },
      {
        to: [
          {
            namespaceSelector: {
              matchLabels: { 'kubernetes.io/metadata.name': 'payments' },
            },
            podSelector: { matchLabels: {} },
          },
        ],
        ports: [{ protocol: 'TCP', port: 5432 }],
      },
    ]);
    const deployment = await kubectlJson(
      'get',
      'deployment',
      'payments-api',
      '-n',
      env.namespace,
    );
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.template.spec.containers[0].image).toBe(env.image);
    expect(env.image).toContain(SHA1);
    expect(
      deployment.metadata.annotations['delivery.backstage.io/commit-sha'],
    ).toBe(SHA1);
    const flags = await kubectlJson(
      'get',
      'configmap',
      'ephemeral-flags',
      '-n',
      env.namespace,
    );
    expect(
      Object.keys(JSON.parse(flags.data['flags.flagd.json']).flags),
    ).toEqual(['http2-payment-client']);

    // Its namespace deleted by hand: the same push again makes it again, flags and all.
    const removed = await kubectl('delete', 'namespace', env.namespace);
    expect(removed.code).toBe(0);
    expect((await deliver('push', push('deploy/try-this', SHA1))).status).toBe(
      202,
    );
    const remade = await until(
      async () => byBranch(await list(), 'deploy/try-this'),
      e =>
        e.stages[0]?.startedAt !== env.stages[0].startedAt &&
        e.status === 'ready' &&
        e.stages.every((s: any) => s.status === 'succeeded'),
    );
    expect(remade.id).toBe(env.id);
    expect(remade.stages.map((s: any) => s.name)).toContain('copy-flags');
    await kubectlJson(
      'get',
      'resourcequota',
      'ephemeral-quota',
      '-n',
      env.namespace,
    );

    // A redelivery of the same push changes nothing.
    expect((await deliver('push', push('deploy/try-this', SHA1))).status).toBe(
      202,
    );
    await new Promise(r => setTimeout(r, 500));
    const again = byBranch(await list(), 'deploy/try-this');
    expect(again.id).toBe(env.id);
    expect(again.stages).toHaveLength(6);
  });

  it('updates the environment to a new push, and moves its label, annotation and countdown when extended', async () => {
    const before = byBranch(await list(), 'deploy/try-this');
    expect(
      (await deliver('push', push('deploy/try-this', SHA2, { created: false })))
        .status,
    ).toBe(202);
    const updated = await until(
      async () => byBranch(await list(), 'deploy/try-this'),
      e =>
        e.commitSha === SHA2 &&
        e.status === 'ready' &&
        e.stages.every((s: any) => s.status === 'succeeded'),
    );
    expect(updated.id).toBe(before.id);
    expect(updated.namespace).toBe(before.namespace);
    expect(updated.stages.map((s: any) => s.name)).toEqual([
      'build',
      'namespace',
      'workload',
      'rollout',
      'announce',
    ]);
    const deployment = await kubectlJson(
      'get',
      'deployment',
      'payments-api',
      '-n',
      updated.namespace,
    );
    expect(deployment.spec.template.spec.containers[0].image).toContain(SHA2);

    const extended = await api(
      'post',
      `/ephemeral-environments/${updated.id}/extend`,
      { minutes: 60 },
    );
    expect(extended.status).toBe(200);
    expect(Date.parse(extended.body.expiresAt)).toBe(
      Date.parse(updated.expiresAt) + 3_600_000,
    );
    const ns = await kubectlJson('get', 'namespace', updated.namespace);
    expect(ns.metadata.labels.expiration).toBe(
      `${extended.body.expiresAt.slice(0, 19).replace(/:/g, '-')}Z`,
    );
    expect(ns.metadata.annotations['delivery.backstage.io/expiration']).toBe(
      `${extended.body.expiresAt.slice(0, 19)}Z`,
    );
    // Beyond the maximum lifetime (6 h from creation; 4 h used): 422, nothing moves.
    const tooLong = await api(
      'post',
      `/ephemeral-environments/${updated.id}/extend`,
      { minutes: 180 },
    );
    expect(tooLong.status).toBe(422);
    expect(tooLong.body.error.message).toMatch(
      /lives at most 6 h from its creation: this one can be extended by 2 h at most/,
    );
    expect(
      (await api('get', `/ephemeral-environments/${updated.id}`)).body
        .expiresAt,
    ).toBe(extended.body.expiresAt);
    // Bad input: 400, nothing changes.
    expect(
      (
        await api('post', `/ephemeral-environments/${updated.id}/extend`, {
          minutes: -5,
        })
      ).status,
    ).toBe(400);
  });

  it('fails the environment with the job result when the branch build fails', async () => {
    sandbox.jenkins.state.setOutcome(JOB, {
      result: 'FAILURE',
      durationMs: 200,
      queueMs: 50,
    });
    try {
      const created = await api(
        'post',
        '/entities/default/component/payments-api/ephemeral-environments',
        { branch: 'deploy/broken-build', commitSha: SHA3 },
      );
      expect(created.status).toBe(202);
      expect(created.body.status).toBe('creating');
      const failed = await until(
        async () =>
          (
            await api('get', `/ephemeral-environments/${created.body.id}`)
          ).body,
        e => e.status === 'failed',
      );
      expect(failed.statusReason).toMatch(
        /^build: Jenkins build #\d+ of acme\/payments-api\/ephemeral ended FAILURE$/,
      );
      expect(failed.build).toMatchObject({ result: 'FAILURE' });
      // Nothing was made in the cluster.
      const ns = await kubectl('get', 'namespace', failed.namespace);
      expect(ns.code).not.toBe(0);
      expect(ns.stderr).toMatch(/NotFound|not found/);
    } finally {
      sandbox.jenkins.state.setOutcome(JOB, {
        result: 'SUCCESS',
        durationMs: 300,
        queueMs: 100,
      });
    }
  });

  it('answers bad requests with 4xx and changes nothing', async () => {
    const path =
      '/entities/default/component/payments-api/ephemeral-environments';
    expect((await api('post', path, { branch: 'feature/x' })).status).toBe(400);
    expect(
      (await api('post', path, { branch: 'deploy/a..b', commitSha: SHA3 }))
        .status,
    ).toBe(400);
    expect(
      (
        await api('post', path, {
          branch: 'deploy/x',
          commitSha: SHA3,
          ttlMinutes: 7 * 60,
        })
      ).status,
    ).toBe(422);
    const noBranch = await api('post', path, { branch: 'deploy/never-pushed' });
    expect(noBranch.status).toBe(422);
    expect(noBranch.body.error.message).toBe(
      'acme/payments-api has no branch deploy/never-pushed',
    );
    const twice = await api('post', path, {
      branch: 'deploy/try-this',
      commitSha: SHA3,
    });
    expect(twice.status).toBe(409);
    expect(twice.body.error.message).toMatch(/already has the environment/);
    expect((await api('get', '/ephemeral-environments/ENV-1-1')).status).toBe(
      400,
    );
    expect(
      (await api('get', '/ephemeral-environments/ENV-1234567890123-000001'))
        .status,
    ).toBe(404);
    const items = (await list()).items;
    expect(items.map((e: any) => e.branch).sort()).toEqual([
      'deploy/broken-build',
      'deploy/try-this',
    ]);
  });

  it('denies what the permission policy denies, and the admin-only actions', async () => {
    const env = byBranch(await list(), 'deploy/try-this');
    decision = AuthorizeResult.DENY;
    try {
      const create = await api(
        'post',
        '/entities/default/component/payments-api/ephemeral-environments',
        { branch: 'deploy/not-allowed', commitSha: SHA3 },
      );
      expect(create.status).toBe(403);
      expect(create.body.error.message).toMatch(
        /needs delivery\.environment\.create/,
      );
      // The mock user is not its creator (dev-one pushed it).
      const extend = await api(
        'post',
        `/ephemeral-environments/${env.id}/extend`,
        { minutes: 30 },
      );
      expect(extend.status).toBe(403);
      const del = await api('delete', `/ephemeral-environments/${env.id}`);
      expect(del.status).toBe(403);
      expect(del.body.error.message).toMatch(
        /only its creator \(user:default\/dev-one\) and those with delivery\.environment\.delete/,
      );
      const persist = await api(
        'put',
        `/ephemeral-environments/${env.id}/persistent`,
        { persistent: true },
      );
      expect(persist.status).toBe(403);
      const sweep = await api('post', '/ephemeral-environments/sweep');
      expect(sweep.status).toBe(403);
      // Nothing changed.
      const after = (await api('get', `/ephemeral-environments/${env.id}`))
        .body;
      expect(after.expiresAt).toBe(env.expiresAt);
      expect(after.persistent).toBe(false);
      expect(after.status).toBe('ready');
      expect(byBranch(await list(), 'deploy/not-allowed')).toBeUndefined();
    } finally {
      decision = AuthorizeResult.ALLOW;
    }
  });

  it('deletes the environment when its branch is deleted', async () => {
    const env = byBranch(await list(), 'deploy/try-this');
    const res = await deliver('delete', {
      ref: 'deploy/try-this',
      ref_type: 'branch',
      pusher_type: 'user',
      repository,
      sender: { login: 'dev-one' },
    });
    expect(res.status).toBe(202);
    const gone = await until(
      async () => (await api('get', `/ephemeral-environments/${env.id}`)).body,
      e => e.status === 'deleted',
    );
    expect(gone.statusReason).toBe('the branch deploy/try-this was deleted');
    expect(gone.deletedBy).toBe('delivery');
    const ns = await kubectl('get', 'namespace', env.namespace, '-o', 'json');
    // Gone, or terminating.
    const phase =
      ns.code === 0 ? JSON.parse(ns.stdout).status.phase : ns.stderr;
    expect(phase).toMatch(/^Terminating$|NotFound|not found/);
  });
});
