import { missingAnnotations, stableConfigMapName } from './annotations';

describe('missingAnnotations', () => {
  it('names each required annotation that is absent or blank', () => {
    expect(missingAnnotations(undefined)).toEqual([
      'github.com/project-slug',
      'backstage.io/kubernetes-id',
    ]);
    expect(
      missingAnnotations({
        'github.com/project-slug': 'acme/api',
        'backstage.io/kubernetes-id': ' ',
      }),
    ).toEqual(['backstage.io/kubernetes-id']);
    expect(
      missingAnnotations({
        'github.com/project-slug': 'acme/api',
        'backstage.io/kubernetes-id': 'api',
      }),
    ).toEqual([]);
  });
});

describe('stableConfigMapName', () => {
  it('prefixes the kubernetes id', () => {
    expect(stableConfigMapName('payments-api')).toBe(
      'delivery-stable-payments-api',
    );
  });
});
