import {
  missingAnnotations,
  parseFlagEndpoints,
  stableConfigMapName,
} from './annotations';

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

describe('parseFlagEndpoints', () => {
  it('reads each flag key with its endpoints', () => {
    expect(
      parseFlagEndpoints(
        'http2-payment-client=/payments, /payments/:id; new-receipt-email=/receipts',
      ),
    ).toEqual(
      new Map([
        ['http2-payment-client', ['/payments', '/payments/:id']],
        ['new-receipt-email', ['/receipts']],
      ]),
    );
  });

  it('skips entries without a key or endpoints, and merges a repeated key', () => {
    expect(parseFlagEndpoints('=/x; empty=; a=/1;; b; a=/2')).toEqual(
      new Map([['a', ['/1', '/2']]]),
    );
    expect(parseFlagEndpoints(undefined)).toEqual(new Map());
  });
});
