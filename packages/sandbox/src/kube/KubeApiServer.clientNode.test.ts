/*
 * The sandbox driven by @kubernetes/client-node 2.x, as production code uses it.
 */
import * as k8s from '@kubernetes/client-node';
import { KubeServer, startKubeServer } from './KubeApiServer';

jest.setTimeout(30_000);

let server: KubeServer;
let kc: k8s.KubeConfig;

const labels = { app: 'api' };

beforeAll(async () => {
  server = await startKubeServer({
    name: 'client-node',
    rolloutStepMs: 20,
    objects: [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'api', namespace: 'team', labels },
        spec: {
          replicas: 2,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: { containers: [{ name: 'api', image: 'example/api:1' }] },
          },
        },
      },
    ],
  });
  kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'sandbox', server: server.url, skipTLSVerify: true }],
    users: [{ name: 'user', token: 'any-token' }],
    contexts: [{ name: 'sandbox', cluster: 'sandbox', user: 'user' }],
    currentContext: 'sandbox',
  });
});

afterAll(() => server.close());

describe('@kubernetes/client-node against the sandbox', () => {
  it('lists, reads and reports errors', async () => {
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const namespaces = await core.listNamespace();
    expect(namespaces.items.map(n => n.metadata?.name)).toEqual([
      'default',
      'kube-node-lease',
      'kube-public',
      'kube-system',
      'team',
    ]);
    const list = await apps.listDeploymentForAllNamespaces({
      labelSelector: 'app=api',
    });
    expect(list.items).toHaveLength(1);
    expect(list.items[0].status?.readyReplicas).toBe(2);
    expect(list.metadata?.resourceVersion).toBe(server.store.resourceVersion);

    const error = await apps
      .readNamespacedDeployment({ name: 'missing', namespace: 'team' })
      .then(
        () => undefined,
        e => e,
      );
    expect(error).toBeInstanceOf(k8s.ApiException);
    expect(error.code).toBe(404);
    expect(JSON.parse(error.body)).toMatchObject({
      kind: 'Status',
      reason: 'NotFound',
      message: 'deployments.apps "missing" not found',
    });
  });

  it('creates, patches and deletes', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const created = await core.createNamespacedConfigMap({
      namespace: 'team',
      body: { metadata: { name: 'settings' }, data: { a: '1' } },
    });
    expect(created.metadata?.uid).toBeDefined();
    const patched = await core.patchNamespacedConfigMap(
      { name: 'settings', namespace: 'team', body: { data: { b: '2' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    expect(patched.data).toEqual({ a: '1', b: '2' });
    const jsonPatched = await core.patchNamespacedConfigMap(
      {
        name: 'settings',
        namespace: 'team',
        body: [{ op: 'remove', path: '/data/a' }],
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
    expect(jsonPatched.data).toEqual({ b: '2' });
    await core.deleteNamespacedConfigMap({
      name: 'settings',
      namespace: 'team',
    });
    expect(server.store.get('configmaps', 'team', 'settings')).toBeUndefined();
  });

  it('creates, lists by label, patches, replaces and deletes Ingresses (NGINX canary weight)', async () => {
    const net = kc.makeApiClient(k8s.NetworkingV1Api);
    const labelsOf = { 'backstage.io/kubernetes-id': 'api' };
    await net.createNamespacedIngress({
      namespace: 'team',
      body: {
        metadata: {
          name: 'api-canary',
          labels: labelsOf,
          annotations: {
            'nginx.ingress.kubernetes.io/canary': 'true',
            'nginx.ingress.kubernetes.io/canary-weight': '100',
          },
        },
        spec: {
          rules: [
            {
              http: {
                paths: [
                  {
                    path: '/',
                    pathType: 'Prefix',
                    backend: { service: { name: 'api', port: { number: 80 } } },
                  },
                ],
              },
            },
          ],
        },
      },
    });
    const list = await net.listNamespacedIngress({
      namespace: 'team',
      labelSelector: 'backstage.io/kubernetes-id=api',
    });
    expect(list.items.map(i => i.metadata?.name)).toEqual(['api-canary']);
    expect(
      (
        await net.listIngressForAllNamespaces({
          labelSelector: 'backstage.io/kubernetes-id=other',
        })
      ).items,
    ).toEqual([]);
    const patched = await net.patchNamespacedIngress(
      {
        name: 'api-canary',
        namespace: 'team',
        body: {
          metadata: {
            annotations: { 'nginx.ingress.kubernetes.io/canary-weight': '0' },
          },
        },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    expect(
      patched.metadata?.annotations?.[
        'nginx.ingress.kubernetes.io/canary-weight'
      ],
    ).toBe('0');
    const read = await net.readNamespacedIngress({
      name: 'api-canary',
      namespace: 'team',
    });
    read.metadata!.annotations!['nginx.ingress.kubernetes.io/canary-weight'] =
      '25';
    const replaced = await net.replaceNamespacedIngress({
      name: 'api-canary',
      namespace: 'team',
      body: read,
    });
    expect(
      replaced.metadata?.annotations?.[
        'nginx.ingress.kubernetes.io/canary-weight'
      ],
    ).toBe('25');
    await net.deleteNamespacedIngress({
      name: 'api-canary',
      namespace: 'team',
    });
    expect(server.store.get('ingresses', 'team', 'api-canary')).toBeUndefined();
  });

  it('creates an ephemeral environment with KubernetesObjectApi (discovery), and reports a bad label', async () => {
    const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    const ns = 'payments-api-try-this-3f9a2c1b0d';
    const envLabels = {
      'app.kubernetes.io/managed-by': 'backstage-delivery',
      'delivery.backstage.io/ephemeral': 'true',
      'delivery.backstage.io/branch': 'deploy-try-this',
    };
    const bad = await objects
      .create({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name: ns,
          labels: { ...envLabels, expiration: '2024-01-15T15:30:00Z' },
        },
      })
      .then(
        () => undefined,
        e => e,
      );
    expect(bad).toBeInstanceOf(k8s.ApiException);
    expect(bad.code).toBe(422);
    expect(JSON.parse(bad.body)).toMatchObject({
      reason: 'Invalid',
      details: { causes: [{ field: 'metadata.labels' }] },
    });

    const manifests: Array<k8s.KubernetesObject & { spec?: unknown }> = [
      {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name: ns,
          labels: { ...envLabels, expiration: '2024-01-15T15-30-00Z' },
          annotations: {
            'delivery.backstage.io/expiration': '2024-01-15T15:30:00Z',
          },
        },
      },
      {
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: { name: 'env', namespace: ns },
        spec: { hard: { pods: '2', 'requests.cpu': '1' } },
      },
      {
        apiVersion: 'v1',
        kind: 'LimitRange',
        metadata: { name: 'defaults', namespace: ns },
        // client-node serialises through its models, where `default` is `_default` (and a
        // NetworkPolicy rule's `from` is `_from`): a plain `default` would not be sent.
        spec: {
          limits: [{ type: 'Container', _default: { cpu: '250m' } }],
        } as k8s.V1LimitRangeSpec,
      },
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'deny-by-default', namespace: ns },
        spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
      },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'api', namespace: ns, labels },
        spec: {
          replicas: 2,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: { containers: [{ name: 'api', image: 'example/api:3' }] },
          },
        },
      },
    ];
    for (const m of manifests) await objects.create(m);
    const limits = (await objects.read({
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: { name: 'defaults', namespace: ns },
    })) as k8s.V1LimitRange;
    // The server defaulted the request from the limit.
    expect(limits.spec?.limits[0]).toEqual({
      type: 'Container',
      _default: { cpu: '250m' },
      defaultRequest: { cpu: '250m' },
    });
    await objects.create({
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: { name: 'plain-json', namespace: ns },
      spec: { limits: [{ type: 'Container', default: { cpu: '1' } }] },
    } as k8s.KubernetesObject);
    expect(
      server.store.get('limitranges', ns, 'plain-json')!.spec.limits,
    ).toEqual([{ type: 'Container' }]);
    await objects.patch(
      {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name: ns,
          annotations: {
            'delivery.backstage.io/expiration': '2024-01-15T19:30:00Z',
          },
          labels: { expiration: '2024-01-15T19-30-00Z' },
        },
      },
      undefined,
      undefined,
      undefined,
      undefined,
      k8s.PatchStrategy.MergePatch,
    );
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const selected = await core.listNamespace({
      labelSelector: 'delivery.backstage.io/ephemeral=true',
    });
    expect(selected.items.map(n => n.metadata?.labels?.expiration)).toEqual([
      '2024-01-15T19-30-00Z',
    ]);
    let quota: k8s.V1ResourceQuota | undefined;
    for (let i = 0; i < 100; i++) {
      quota = await core.readNamespacedResourceQuota({
        name: 'env',
        namespace: ns,
      });
      if (quota.status?.used?.pods === '2') break;
      await new Promise(r => setTimeout(r, 20));
    }
    expect(quota?.status).toEqual({
      hard: { pods: '2', 'requests.cpu': '1' },
      used: { pods: '2', 'requests.cpu': '500m' },
    });
    await objects.delete({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns },
    });
    expect(server.store.count('deployments', ns)).toBe(0);
  });

  it('watches a rollout through an informer', async () => {
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const informer = k8s.makeInformer(
      kc,
      '/apis/apps/v1/namespaces/team/deployments',
      () => apps.listNamespacedDeployment({ namespace: 'team' }),
    );
    const updates: Array<k8s.V1DeploymentStatus | undefined> = [];
    const done = new Promise<void>(resolve => {
      informer.on('update', d => {
        updates.push(d.status);
        if (
          d.status?.observedGeneration === 2 &&
          d.status?.updatedReplicas === 3 &&
          d.status?.availableReplicas === 3
        ) {
          resolve();
        }
      });
    });
    await informer.start();
    await apps.patchNamespacedDeployment(
      {
        name: 'api',
        namespace: 'team',
        body: {
          spec: {
            replicas: 3,
            template: {
              spec: { containers: [{ name: 'api', image: 'example/api:2' }] },
            },
          },
        },
      },
      k8s.setHeaderOptions(
        'Content-Type',
        k8s.PatchStrategy.StrategicMergePatch,
      ),
    );
    await done;
    await informer.stop();
    expect(updates.length).toBeGreaterThanOrEqual(4);
    const deployment = server.store.get('deployments', 'team', 'api')!;
    expect(
      deployment.metadata.annotations['deployment.kubernetes.io/revision'],
    ).toBe('2');
    expect(deployment.spec.template.spec.containers[0].image).toBe(
      'example/api:2',
    );
  });
});
