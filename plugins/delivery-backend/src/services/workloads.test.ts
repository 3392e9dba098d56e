import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { Entity } from '@backstage/catalog-model';
import { Sandbox, startSandbox } from '@internal/sandbox';
import request from 'supertest';
import deliveryPlugin from '../index';
import { createTestBackendDatabase } from '../__testUtils__/databases';
import { sandboxKubectl } from '../__testUtils__/kubectl';
import { sandboxConfig } from '../../dev/replicas';

/*
 * A new service's workload registered in every environment, through the route, against the
 * sandbox's three clusters, read back with kubectl.
 */

jest.setTimeout(120_000);

const database = createTestBackendDatabase();
const SERVICE = 'component:default/greeting-service';
const ROUTE =
  '/api/delivery/entities/default/component/greeting-service/environments';

const component: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'greeting-service',
    namespace: 'default',
    annotations: {
      'github.com/project-slug': 'acme/greeting-service',
      'backstage.io/kubernetes-id': 'greeting-service',
      'backstage.io/kubernetes-namespace': 'greeting-service',
    },
  },
  spec: { type: 'service', owner: 'team-payments', lifecycle: 'experimental' },
};

const squatter: Entity = {
  ...component,
  metadata: {
    name: 'squatter',
    namespace: 'default',
    annotations: {
      'github.com/project-slug': 'acme/squatter',
      'backstage.io/kubernetes-id': 'squatter',
      'backstage.io/kubernetes-namespace': 'payments',
    },
  },
};

const latecomer: Entity = {
  ...component,
  metadata: {
    name: 'latecomer',
    namespace: 'default',
    annotations: {
      'github.com/project-slug': 'acme/latecomer',
      'backstage.io/kubernetes-id': 'latecomer',
      'backstage.io/kubernetes-namespace': 'latecomer',
    },
  },
};

const labels = { 'backstage.io/kubernetes-id': 'greeting-service' };
const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'greeting-service',
    labels,
    annotations: { 'delivery.backstage.io/entity-refs': SERVICE },
  },
  spec: {
    replicas: 1,
    selector: { matchLabels: labels },
    template: {
      metadata: { labels },
      spec: {
        containers: [
          {
            name: 'app',
            image: 'sandbox.local/acme/greeting-service:initial',
            ports: [{ containerPort: 8080 }],
          },
        ],
      },
    },
  },
};
const service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'greeting-service', labels },
  spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] },
};

describe('workload registration', () => {
  let sandbox: Sandbox;
  let server: Awaited<ReturnType<typeof startTestBackend>>['server'];
  const kubectl = sandboxKubectl();
  let decision: AuthorizeResult.ALLOW | AuthorizeResult.DENY =
    AuthorizeResult.ALLOW;

  beforeAll(async () => {
    sandbox = await startSandbox({ rolloutStepMs: 20 });
    const permissions = mockServices.permissions.mock({
      authorize: async requests => requests.map(() => ({ result: decision })),
    });
    ({ server } = await startTestBackend({
      features: [
        await database(),
        deliveryPlugin,
        permissions.factory,
        catalogServiceMock.factory({
          entities: [component, squatter, latecomer],
        }),
        mockServices.rootConfig.factory({ data: sandboxConfig(sandbox) }),
      ],
    }));
  });

  afterAll(async () => {
    await sandbox?.close();
    kubectl.close();
  });

  const post = (body: object) =>
    request(server)
      .post(ROUTE)
      .set('Authorization', mockCredentials.user.header('user:default/guest'))
      .send(body);
  const namespaceIn = async (cluster: string) =>
    kubectl.run(
      sandbox.clusterUrls[cluster],
      'get',
      'namespace',
      'greeting-service',
    );

  it('refuses manifests that would not make a workload the portal finds, and changes nothing', async () => {
    const response = await post({
      manifests: [
        {
          ...deployment,
          metadata: { ...deployment.metadata, labels: {}, annotations: {} },
        },
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds' } },
        {
          ...service,
          metadata: { ...service.metadata, namespace: 'payments' },
        },
      ],
    });
    expect(response.status).toBe(400);
    const message: string = response.body.error.message;
    expect(message).toContain(
      'manifests[0].metadata.labels: needs backstage.io/kubernetes-id: greeting-service',
    );
    expect(message).toContain(
      `manifests[0].metadata.annotations: needs delivery.backstage.io/entity-refs: ${SERVICE}`,
    );
    expect(message).toContain('manifests[1].kind: must be one of');
    expect(message).toContain(
      "manifests[2].metadata.namespace: the service's namespace is greeting-service",
    );
    for (const cluster of ['uat', 'canary', 'production']) {
      expect((await namespaceIn(cluster)).code).not.toBe(0);
    }
    // The OpenAPI schema refuses what is not a list of objects.
    const empty = await post({ manifests: [] });
    expect(empty.status).toBe(400);
  });

  it('refuses a person the policy denies, and changes nothing', async () => {
    decision = AuthorizeResult.DENY;
    try {
      const response = await post({ manifests: [deployment, service] });
      expect(response.status).toBe(403);
      expect(response.body.error.message).toContain(
        `may not register the workload of ${SERVICE}`,
      );
    } finally {
      decision = AuthorizeResult.ALLOW;
    }
    expect((await namespaceIn('uat')).code).not.toBe(0);
  });

  it("refuses another team's namespace, and creates nothing in it", async () => {
    // squatter claims the payments namespace, which the seed's payments-api runs in.
    const response = await request(server)
      .post('/api/delivery/entities/default/component/squatter/environments')
      .set('Authorization', mockCredentials.user.header('user:default/guest'))
      .send({
        manifests: [
          {
            ...deployment,
            metadata: {
              name: 'squatter',
              labels: { 'backstage.io/kubernetes-id': 'squatter' },
              annotations: {
                'delivery.backstage.io/entity-refs':
                  'component:default/squatter',
              },
            },
            spec: {
              ...deployment.spec,
              selector: {
                matchLabels: { 'backstage.io/kubernetes-id': 'squatter' },
              },
              template: {
                ...deployment.spec.template,
                metadata: {
                  labels: { 'backstage.io/kubernetes-id': 'squatter' },
                },
              },
            },
          },
        ],
      });
    expect(response.status).toBe(403);
    expect(response.body.error.message).toContain(
      "Namespace payments in uat (cluster uat) exists and is not component:default/squatter's",
    );
    const found = await kubectl.run(
      sandbox.clusterUrls.uat,
      'get',
      'deployment',
      'squatter',
      '-n',
      'payments',
    );
    expect(found.code).not.toBe(0);
  });

  it("checks every environment's namespace before it changes any", async () => {
    // Someone else's namespace of that name, in production only.
    const made = await kubectl.run(
      sandbox.clusterUrls.production,
      'create',
      'namespace',
      'latecomer',
    );
    expect(made.code).toBe(0);
    const ids = { 'backstage.io/kubernetes-id': 'latecomer' };
    const response = await request(server)
      .post('/api/delivery/entities/default/component/latecomer/environments')
      .set('Authorization', mockCredentials.user.header('user:default/guest'))
      .send({
        manifests: [
          {
            ...deployment,
            metadata: {
              name: 'latecomer',
              labels: ids,
              annotations: {
                'delivery.backstage.io/entity-refs':
                  'component:default/latecomer',
              },
            },
            spec: {
              ...deployment.spec,
              selector: { matchLabels: ids },
              template: {
                ...deployment.spec.template,
                metadata: { labels: ids },
              },
            },
          },
        ],
      });
    expect(response.status).toBe(403);
    expect(response.body.error.message).toContain(
      'Namespace latecomer in production (cluster production) exists',
    );
    // UAT and canary come first in the pipeline, and were left alone.
    for (const cluster of ['uat', 'canary']) {
      const found = await kubectl.run(
        sandbox.clusterUrls[cluster],
        'get',
        'namespace',
        'latecomer',
      );
      expect(found.code).not.toBe(0);
    }
  });

  it('says what a dry run would create, and creates nothing', async () => {
    const response = await post({
      manifests: [deployment, service],
      dryRun: true,
    });
    expect(response.status).toBe(200);
    expect(response.body.dryRun).toBe(true);
    expect(
      response.body.environments.map((e: any) => [
        e.environment,
        e.namespace,
        e.namespaceResult,
        e.objects.map((o: any) => `${o.kind}/${o.name}:${o.result}`),
      ]),
    ).toEqual(
      ['uat', 'canary', 'production'].map(env => [
        env,
        'greeting-service',
        'would-create',
        [
          'ConfigMap/delivery-environment:would-create',
          'Service/greeting-service:would-create',
          'Deployment/greeting-service:would-create',
        ],
      ]),
    );
    expect((await namespaceIn('production')).code).not.toBe(0);
  });

  it('creates the namespace and the objects in every environment, then leaves them on a retry', async () => {
    const first = await post({ manifests: [deployment, service] });
    expect(first.status).toBe(200);
    expect(
      first.body.environments.map((e: any) => [
        e.environment,
        e.namespaceResult,
        e.objects.map((o: any) => o.result),
      ]),
    ).toEqual([
      ['uat', 'created', ['created', 'created', 'created']],
      ['canary', 'created', ['created', 'created', 'created']],
      ['production', 'created', ['created', 'created', 'created']],
    ]);
    for (const cluster of ['uat', 'canary', 'production']) {
      const url = sandbox.clusterUrls[cluster];
      const ns = await kubectl.json(
        url,
        'get',
        'namespace',
        'greeting-service',
      );
      expect(ns.metadata.annotations).toMatchObject({
        'delivery.backstage.io/created-by': 'user:default/guest',
        'delivery.backstage.io/entity-refs': SERVICE,
      });
      const found = await kubectl.json(
        url,
        'get',
        'deployments',
        '-n',
        'greeting-service',
        '-l',
        'backstage.io/kubernetes-id=greeting-service',
      );
      expect(
        found.items.map((d: any) => d.spec.template.spec.containers[0].image),
      ).toEqual(['sandbox.local/acme/greeting-service:initial']);
      // The workload reads its environment from here (its flag selector is <environment>/<id>).
      const environment = await kubectl.json(
        url,
        'get',
        'configmap',
        'delivery-environment',
        '-n',
        'greeting-service',
      );
      expect(environment.data).toEqual({ DEPLOY_ENVIRONMENT: cluster });
      const svc = await kubectl.json(
        url,
        'get',
        'service',
        'greeting-service',
        '-n',
        'greeting-service',
      );
      expect(svc.spec.ports[0].port).toBe(80);
    }

    // Someone scales production meanwhile: a retry leaves what is there as it is.
    const scaled = await kubectl.run(
      sandbox.clusterUrls.production,
      'scale',
      'deployment/greeting-service',
      '-n',
      'greeting-service',
      '--replicas=3',
    );
    expect(scaled.code).toBe(0);
    const again = await post({ manifests: [deployment, service] });
    expect(again.status).toBe(200);
    expect(
      again.body.environments.map((e: any) => [
        e.namespaceResult,
        ...e.objects.map((o: any) => o.result),
      ]),
    ).toEqual([
      ['exists', 'exists', 'exists', 'exists'],
      ['exists', 'exists', 'exists', 'exists'],
      ['exists', 'exists', 'exists', 'exists'],
    ]);
    const production = await kubectl.json(
      sandbox.clusterUrls.production,
      'get',
      'deployment',
      'greeting-service',
      '-n',
      'greeting-service',
    );
    expect(production.spec.replicas).toBe(3);

    // The Deployments tab sees the workload in each environment.
    const environments = await request(server)
      .get(ROUTE)
      .set('Authorization', mockCredentials.user.header('user:default/guest'));
    expect(environments.status).toBe(200);
    expect(
      environments.body.environments.map((e: any) => [
        e.environment,
        e.rollout,
      ]),
    ).not.toContainEqual(expect.arrayContaining(['missing']));
  });
});
