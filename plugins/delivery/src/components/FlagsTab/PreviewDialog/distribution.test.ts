import { distribution, sampleKeys } from './distribution';

describe('distribution', () => {
  it('draws 1,000 distinct, stable sample keys', () => {
    const keys = sampleKeys();
    expect(keys).toHaveLength(1000);
    expect(new Set(keys).size).toBe(1000);
    expect(keys[0]).toBe('sample-user-0001');
    expect(sampleKeys()).toEqual(keys);
  });

  it('counts variants, most frequent first, and unserved results by reason', () => {
    const results = [
      ...Array.from({ length: 3 }, () => ({ variant: 'on', reason: 'SPLIT' })),
      ...Array.from({ length: 6 }, () => ({ variant: 'off', reason: 'SPLIT' })),
      { reason: 'DISABLED' },
    ];
    expect(distribution(results)).toEqual([
      { variant: 'off', count: 6, percent: 60 },
      { variant: 'on', count: 3, percent: 30 },
      { variant: '(disabled)', count: 1, percent: 10 },
    ]);
  });
});
