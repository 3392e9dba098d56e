import {
  FlagDefinition,
  flagDefinitionProblems,
  flagTrailers,
  rolloutSettings,
} from './flags';

const ENVIRONMENTS = ['uat', 'canary', 'production'];

const off = { state: 'ENABLED' as const, defaultVariant: 'off' };

function flag(overrides: Partial<FlagDefinition> = {}): FlagDefinition {
  return {
    key: 'http2-payment-client',
    description: 'Switch payment provider client to HTTP/2',
    type: 'boolean',
    variants: { on: true, off: false },
    defaultVariant: 'off',
    change: 'PAY-142',
    environments: { uat: off, canary: off, production: off },
    ...overrides,
  };
}

function withTargeting(targeting: any): FlagDefinition {
  return flag({
    environments: {
      uat: off,
      canary: { ...off, targeting },
      production: off,
    },
  });
}

describe('flagDefinitionProblems', () => {
  it('accepts a new flag, off everywhere, and rollouts and targeting flagd can evaluate', () => {
    expect(flagDefinitionProblems(flag(), ENVIRONMENTS)).toEqual([]);
    const rules = [
      {},
      {
        fractional: [
          ['on', 10],
          ['off', 90],
        ],
      },
      {
        fractional: [
          { cat: [{ var: '$flagd.flagKey' }, { var: 'email' }] },
          ['on', 50],
          ['off', 50],
        ],
      },
      {
        if: [
          { ends_with: [{ var: 'email' }, '@acme.example'] },
          'on',
          {
            fractional: [
              ['on', 1],
              ['off', 99],
            ],
          },
        ],
      },
      {
        if: [
          { in: [{ var: 'country' }, ['FR', 'DE']] },
          'on',
          { sem_ver: [{ var: 'version' }, '>=', '2.1.0'] },
          'on',
          null,
        ],
      },
    ];
    for (const rule of rules) {
      expect(flagDefinitionProblems(withTargeting(rule), ENVIRONMENTS)).toEqual(
        [],
      );
    }
  });

  it.each([
    [
      'an unknown variant in a fractional bucket',
      {
        fractional: [
          ['onn', 10],
          ['off', 90],
        ],
      },
      {
        path: 'environments.canary.targeting.fractional[0][0]',
        message: '"onn" is not a variant of this flag (variants: on, off)',
      },
    ],
    [
      'an unknown variant chosen by if',
      { if: [{ '==': [{ var: 'plan' }, 'gold'] }, 'gold', 'off'] },
      {
        path: 'environments.canary.targeting.if[1]',
        message: '"gold" is not a variant of this flag (variants: on, off)',
      },
    ],
    [
      'a fractional weight of 0',
      {
        fractional: [
          ['on', 0],
          ['off', 100],
        ],
      },
      {
        path: 'environments.canary.targeting.fractional[0][1]',
        message: 'a fractional weight is a whole number above 0, got 0',
      },
    ],
    [
      'a negative fractional weight',
      {
        fractional: [
          ['on', -5],
          ['off', 105],
        ],
      },
      {
        path: 'environments.canary.targeting.fractional[0][1]',
        message: 'a fractional weight is a whole number above 0, got -5',
      },
    ],
    [
      'a fractional weight that is not whole',
      {
        fractional: [
          ['on', 12.5],
          ['off', 88],
        ],
      },
      {
        path: 'environments.canary.targeting.fractional[0][1]',
        message: 'a fractional weight is a whole number above 0, got 12.5',
      },
    ],
    [
      'a fractional bucket without a weight',
      { fractional: [['on'], ['off', 90]] },
      {
        path: 'environments.canary.targeting.fractional[0]',
        message: 'a fractional bucket is [variant, weight], e.g. ["on", 10]',
      },
    ],
    [
      'an unknown operator',
      { if: [{ contains: [{ var: 'email' }, 'acme'] }, 'on', 'off'] },
      {
        path: 'environments.canary.targeting.if[0].contains',
        message: 'unknown operator "contains"',
      },
    ],
    [
      'a rule with two operators',
      { var: 'email', in: ['a', 'b'] },
      {
        path: 'environments.canary.targeting',
        message: 'a rule has exactly one operator, this one has var, in',
      },
    ],
  ])('refuses %s, naming where', (_what, targeting, problem) => {
    expect(
      flagDefinitionProblems(withTargeting(targeting), ENVIRONMENTS),
    ).toEqual([problem]);
  });

  it('refuses variants of the wrong type, unknown default variants and bad states', () => {
    const bad = flag({
      variants: { on: true, off: 'false' },
      defaultVariant: 'no',
      environments: {
        uat: { state: 'ON' as any, defaultVariant: 'off' },
        canary: { ...off, defaultVariant: 'maybe' },
        staging: off,
      },
    });
    expect(flagDefinitionProblems(bad, ENVIRONMENTS)).toEqual([
      {
        path: 'variants.off',
        message: "a boolean flag's variants are booleans, this one is a string",
      },
      {
        path: 'defaultVariant',
        message: '"no" is not a variant of this flag (variants: on, off)',
      },
      {
        path: 'environments.uat.state',
        message: 'the state is ENABLED or DISABLED, got "ON"',
      },
      {
        path: 'environments.canary.defaultVariant',
        message: '"maybe" is not a variant of this flag (variants: on, off)',
      },
      {
        path: 'environments.production',
        message: 'no settings for production',
      },
      {
        path: 'environments.staging',
        message: 'there is no environment staging (uat, canary, production)',
      },
    ]);
  });

  it('refuses a bad key, an unknown type and a flag without variants', () => {
    expect(
      flagDefinitionProblems(
        flag({ key: '9 lives', type: 'date' as any, variants: {} }),
        ENVIRONMENTS,
      ).map(p => p.path),
    ).toEqual([
      'key',
      'type',
      'variants',
      'defaultVariant',
      'environments.uat.defaultVariant',
      'environments.canary.defaultVariant',
      'environments.production.defaultVariant',
    ]);
  });

  it('checks object and number variants by their type', () => {
    const theme = flag({
      key: 'checkout-theme',
      type: 'object',
      variants: { light: { colour: 'white' }, dark: [1, 2] as any },
      defaultVariant: 'light',
      environments: {
        uat: { ...off, defaultVariant: 'light' },
        canary: { ...off, defaultVariant: 'light' },
        production: { ...off, defaultVariant: 'light' },
      },
    });
    expect(flagDefinitionProblems(theme, ENVIRONMENTS)).toEqual([
      {
        path: 'variants.dark',
        message: "an object flag's variants are objects, this one is an array",
      },
    ]);
  });
});

describe('rolloutSettings', () => {
  const variants = { on: 'on', off: 'off' };

  it('is off at 0 %, on for everyone at 100 %, and fractional in between', () => {
    expect(rolloutSettings(0, variants)).toEqual({
      state: 'ENABLED',
      defaultVariant: 'off',
    });
    expect(rolloutSettings(100, variants)).toEqual({
      state: 'ENABLED',
      defaultVariant: 'on',
    });
    const ten = rolloutSettings(10, variants);
    expect(ten).toEqual({
      state: 'ENABLED',
      defaultVariant: 'off',
      targeting: {
        fractional: [
          ['on', 10],
          ['off', 90],
        ],
      },
    });
    // What it produces is always a valid definition.
    expect(
      flagDefinitionProblems(
        flag({ environments: { uat: ten, canary: ten, production: ten } }),
        ENVIRONMENTS,
      ),
    ).toEqual([]);
  });

  it('refuses a percentage that is not whole or out of range', () => {
    expect(() => rolloutSettings(101, variants)).toThrow(
      'A rollout is a whole percentage from 0 to 100, got 101',
    );
    expect(() => rolloutSettings(12.5, variants)).toThrow(RangeError);
  });
});

describe('flagTrailers', () => {
  it('reads Flag trailers from the last paragraph only', () => {
    expect(
      flagTrailers(
        'Switch payment provider client to HTTP/2\n\nFlag: mentioned in the body does not count\n\nFlag: http2-payment-client\nSigned-off-by: Ada <ada@acme.example>\nflags: retry-budget, http2-payment-client',
      ),
    ).toEqual(['http2-payment-client', 'retry-budget']);
    expect(flagTrailers('Flag: only-a-subject')).toEqual([]);
    expect(flagTrailers('Fix typo\n\nNo trailers here')).toEqual([]);
    expect(flagTrailers('Subject\n\nFlag: 9-not-a-key, ok.key')).toEqual([
      'ok.key',
    ]);
  });
});
