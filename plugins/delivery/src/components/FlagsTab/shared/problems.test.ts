import { newFlagProblems, NewFlagForm, targetingProblems } from './problems';
import { newCheckout } from '../__testUtils__/fixtures';

describe('targetingProblems', () => {
  const flag = newCheckout();

  it('accepts a valid rule and hands it back parsed', () => {
    const text = JSON.stringify({
      fractional: [
        ['on', 25],
        ['off', 75],
      ],
    });
    expect(targetingProblems(flag, 'uat', text, 'off')).toEqual({
      targeting: {
        fractional: [
          ['on', 25],
          ['off', 75],
        ],
      },
      problems: [],
    });
  });

  it('names each problem with its path, as the backend does', () => {
    const text = JSON.stringify({
      fractional: [
        ['onn', 25],
        ['off', 0.5],
      ],
    });
    expect(targetingProblems(flag, 'uat', text, 'off').problems).toEqual([
      {
        path: 'environments.uat.targeting.fractional[0][0]',
        message: '"onn" is not a variant of this flag (variants: on, off)',
      },
      {
        path: 'environments.uat.targeting.fractional[1][1]',
        message: 'a fractional weight is a whole number above 0, got 0.5',
      },
    ]);
    expect(targetingProblems(flag, 'uat', '{}', 'maybe').problems).toEqual([
      {
        path: 'environments.uat.defaultVariant',
        message: '"maybe" is not a variant of this flag (variants: on, off)',
      },
    ]);
  });

  it('reports JSON that does not parse at the targeting path', () => {
    const { problems } = targetingProblems(flag, 'uat', '{"if": [', 'off');
    expect(problems).toHaveLength(1);
    expect(problems[0].path).toBe('environments.uat.targeting');
    expect(problems[0].message).toMatch(/^not valid JSON/);
  });

  it('takes an empty editor as no rule', () => {
    expect(targetingProblems(flag, 'uat', '  ', 'off')).toEqual({
      targeting: {},
      problems: [],
    });
  });
});

describe('newFlagProblems', () => {
  const form = (overrides: Partial<NewFlagForm> = {}): NewFlagForm => ({
    key: 'dark-mode',
    description: '',
    type: 'boolean',
    variants: '{"on": true, "off": false}',
    offVariant: 'off',
    onVariant: 'on',
    change: '',
    ...overrides,
  });

  it('accepts a boolean flag with on/off', () => {
    expect(newFlagProblems(form())).toEqual([]);
  });

  it('names a bad key, variants of the wrong type and a missing on variant', () => {
    expect(
      newFlagProblems(
        form({
          key: '1dark',
          variants: '{"on": "yes", "off": false}',
          onVariant: 'enabled',
        }),
      ),
    ).toEqual([
      {
        path: 'key',
        message:
          'a flag key starts with a letter and has up to 100 letters, digits, ".", "_" and "-"',
      },
      {
        path: 'variants.on',
        message: "a boolean flag's variants are booleans, this one is a string",
      },
      {
        path: 'onVariant',
        message: '"enabled" is not a variant of this flag (variants: on, off)',
      },
    ]);
  });

  it('calls the off variant by its name in the form and wants two different variants', () => {
    expect(newFlagProblems(form({ offVariant: 'nope' }))).toEqual([
      {
        path: 'offVariant',
        message: '"nope" is not a variant of this flag (variants: on, off)',
      },
    ]);
    expect(newFlagProblems(form({ offVariant: 'on' }))).toEqual([
      {
        path: 'onVariant',
        message: 'the on variant is another variant than the off variant',
      },
    ]);
  });

  it('reports variants that are not JSON once, at variants', () => {
    const problems = newFlagProblems(form({ variants: '{on: true}' }));
    expect(problems.map(p => p.path)).toEqual(['variants']);
    expect(problems[0].message).toMatch(/^not valid JSON/);
  });
});
