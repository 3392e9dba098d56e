import { isDeliveryAvailable } from './conditions';

const annotated = {
  'github.com/project-slug': 'acme/api',
  'backstage.io/kubernetes-id': 'api',
};

describe('isDeliveryAvailable', () => {
  it('is true for components with both annotations', () => {
    expect(
      isDeliveryAvailable({
        apiVersion: 'v1',
        kind: 'Component',
        metadata: { name: 'api', annotations: annotated },
      }),
    ).toBe(true);
  });
  it('is false without an annotation or for other kinds', () => {
    expect(
      isDeliveryAvailable({
        apiVersion: 'v1',
        kind: 'Component',
        metadata: {
          name: 'api',
          annotations: { 'github.com/project-slug': 'acme/api' },
        },
      }),
    ).toBe(false);
    expect(
      isDeliveryAvailable({
        apiVersion: 'v1',
        kind: 'System',
        metadata: { name: 'api', annotations: annotated },
      }),
    ).toBe(false);
  });
});
