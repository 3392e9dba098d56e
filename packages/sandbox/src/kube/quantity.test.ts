import {
  QUANTITY_FORMAT_MESSAGE,
  addQuantities,
  canonicalQuantity,
  compareQuantities,
  formatQuantity,
  isQuantity,
  multiplyQuantity,
  parseQuantity,
  quantityValue,
  zeroQuantity,
} from './quantity';

describe('quantities', () => {
  it('parses decimal, binary and exponent forms exactly', () => {
    expect(parseQuantity('500m')).toEqual({
      nanos: 500_000_000n,
      format: 'DecimalSI',
    });
    expect(parseQuantity('1.5')).toEqual({
      nanos: 1_500_000_000n,
      format: 'DecimalSI',
    });
    expect(parseQuantity('256Mi')).toEqual({
      nanos: 256n * 2n ** 20n * 1_000_000_000n,
      format: 'BinarySI',
    });
    expect(parseQuantity('1e3')).toEqual({
      nanos: 1000n * 1_000_000_000n,
      format: 'DecimalExponent',
    });
    expect(parseQuantity(2).nanos).toBe(2_000_000_000n);
    expect(parseQuantity('.5').nanos).toBe(500_000_000n);
    expect(parseQuantity('-1').nanos).toBe(-1_000_000_000n);
    expect(quantityValue(parseQuantity('1Gi'))).toBe(2 ** 30);
    expect(quantityValue(parseQuantity('250m'))).toBe(0.25);
  });

  it('rounds a non-zero value below a nano unit up, like the real server', () => {
    expect(parseQuantity('0.1n').nanos).toBe(1n);
    expect(formatQuantity(parseQuantity('1.0000000001'))).toBe('1000000001n');
  });

  it('refuses what is not a quantity with the real message', () => {
    for (const bad of ['', 'abc', '1..2', '1x', 'Mi', '1 Gi']) {
      expect(() => parseQuantity(bad)).toThrow(QUANTITY_FORMAT_MESSAGE);
    }
    expect(() => parseQuantity('1e')).toThrow(
      "unable to parse quantity's suffix",
    );
    expect(isQuantity('100Mi')).toBe(true);
    expect(isQuantity('lots')).toBe(false);
    expect(isQuantity(undefined)).toBe(false);
  });

  it('formats canonically, as the API server answers', () => {
    const cases: Array<[string, string]> = [
      ['0', '0'],
      ['0.5', '500m'],
      ['1000m', '1'],
      ['1500m', '1500m'],
      ['1.5', '1500m'],
      ['2000', '2k'],
      ['1500', '1500'],
      ['100m', '100m'],
      ['0.1', '100m'],
      ['256Mi', '256Mi'],
      ['1024Mi', '1Gi'],
      ['1536Mi', '1536Mi'],
      ['1.5Gi', '1536Mi'],
      ['512Ki', '512Ki'],
      ['1000Ki', '1000Ki'],
      // Below 1024 bytes or not whole bytes, binary values are written in decimal.
      ['1000', '1k'],
      ['0.5Ki', '512'],
      ['1M', '1M'],
      ['128974848', '128974848'],
      ['129e6', '129e6'],
      ['1e3', '1e3'],
      ['-2Gi', '-2Gi'],
    ];
    for (const [input, canonical] of cases) {
      expect([input, canonicalQuantity(input)]).toEqual([input, canonical]);
    }
  });

  it('adds in the format of the first term, multiplies and compares', () => {
    const sum = addQuantities(parseQuantity('256Mi'), parseQuantity('768Mi'));
    expect(formatQuantity(sum)).toBe('1Gi');
    expect(
      formatQuantity(addQuantities(zeroQuantity(), parseQuantity('128Mi'))),
    ).toBe('128Mi');
    expect(
      formatQuantity(addQuantities(parseQuantity('500m'), parseQuantity('1'))),
    ).toBe('1500m');
    expect(formatQuantity(multiplyQuantity(parseQuantity('250m'), 4))).toBe(
      '1',
    );
    expect(formatQuantity(multiplyQuantity(parseQuantity('128Mi'), 3))).toBe(
      '384Mi',
    );
    expect(compareQuantities(parseQuantity('1'), parseQuantity('1000m'))).toBe(
      0,
    );
    expect(
      compareQuantities(parseQuantity('1Gi'), parseQuantity('1G')),
    ).toBeGreaterThan(0);
    expect(
      compareQuantities(parseQuantity('999m'), parseQuantity('1')),
    ).toBeLessThan(0);
  });
});
