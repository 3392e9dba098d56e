import { workloadManifestProblems } from './workloads';

const SERVICE = 'component:default/greeting-service';
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
    template: { metadata: { labels }, spec: { containers: [] } },
  },
};
const service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'greeting-service', labels },
  spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] },
};

describe('workloadManifestProblems', () => {
  const target = {
    kubernetesId: 'greeting-service',
    namespace: 'greeting-service',
    entityRef: SERVICE,
  };

  it('accepts a labelled Deployment with its Service and ConfigMap', () => {
    expect(
      workloadManifestProblems(
        [
          deployment,
          service,
          {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: 'settings' },
            data: {},
          },
        ],
        target,
      ),
    ).toEqual([]);
  });

  it('names each problem with its path', () => {
    expect(
      workloadManifestProblems(
        [
          'text',
          { ...service, apiVersion: 'apps/v1', metadata: { name: 'Bad_Name' } },
          service,
          service,
          {
            ...deployment,
            metadata: {
              ...deployment.metadata,
              annotations: {
                'delivery.backstage.io/entity-refs': 'component:default/other',
              },
            },
            spec: {
              ...deployment.spec,
              template: { metadata: { labels: {} } },
            },
          },
        ],
        target,
      ),
    ).toEqual([
      'manifests[0]: must be an object',
      'manifests[1].apiVersion: a Service is v1',
      "manifests[1].metadata.name: must be a DNS label (lower-case letters, digits and '-', at most 63)",
      'manifests[3]: a second Service named greeting-service',
      `manifests[4].metadata.annotations: needs delivery.backstage.io/entity-refs: ${SERVICE} (the portal deploys only onto workloads that name the service)`,
      'manifests[4].spec.template.metadata.labels: needs backstage.io/kubernetes-id: greeting-service',
    ]);
    expect(workloadManifestProblems([service], target)).toEqual([
      'manifests: needs a Deployment',
    ]);
  });
});
