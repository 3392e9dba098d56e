import { FlagdCore, MemoryStorage } from '@openfeature/flagd-core';
import {
  FlagDefinition,
  flagDefinitionProblems,
  flagdFlag,
  rolloutSettings,
} from './flags';

/*
 * The rules of flags.ts against flagd's own evaluator (@openfeature/flagd-core, which validates
 * with flagd's flag-definition schema in strict mode): what we accept, flagd accepts and
 * evaluates; what the schema refuses, we refuse too. (We refuse more: a variant named in
 * targeting that does not exist, and a fractional weight of 0, which flagd only finds out when
 * evaluating.)
 */

const ENVIRONMENTS = ['uat', 'canary', 'production'];
const off = { state: 'ENABLED' as const, defaultVariant: 'off' };
const logger = {
  error: () => {},
  warn: () => {},
  info: () => {},
  debug: () => {},
};

function flag(canary: FlagDefinition['environments'][string]): FlagDefinition {
  return {
    key: 'http2-payment-client',
    type: 'boolean',
    variants: { on: true, off: false },
    defaultVariant: 'off',
    environments: { uat: off, canary, production: off },
  };
}

function flagd(definition: FlagDefinition) {
  const storage = new MemoryStorage(logger);
  storage.setConfigurations(
    JSON.stringify({
      flags: { [definition.key]: flagdFlag(definition, 'canary') },
    }),
    true,
  );
  return new FlagdCore(storage, logger);
}

describe('flag definitions against flagd-core', () => {
  it.each([
    ['off', off],
    ['on for everyone', { state: 'ENABLED' as const, defaultVariant: 'on' }],
    ['disabled', { state: 'DISABLED' as const, defaultVariant: 'off' }],
    [
      'on for one domain, 1 % of the rest',
      {
        ...off,
        targeting: {
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
      },
    ],
    [
      'on from version 2.1',
      {
        ...off,
        targeting: {
          if: [{ sem_ver: [{ var: 'version' }, '>=', '2.1.0'] }, 'on', null],
        },
      },
    ],
  ])('what we accept (%s), flagd accepts and evaluates', (_what, canary) => {
    const definition = flag(canary as any);
    expect(flagDefinitionProblems(definition, ENVIRONMENTS)).toEqual([]);
    const result = flagd(definition).resolveBooleanEvaluation(
      definition.key,
      false,
      { targetingKey: 'user-1', email: 'ada@acme.example', version: '2.2.0' },
      logger,
    );
    expect(result.errorCode).toBeUndefined();
  });

  it('turns a 10 % rollout on for about a tenth of the users, the same users every time', () => {
    const definition = flag(rolloutSettings(10, { on: 'on', off: 'off' }));
    const core = flagd(definition);
    const on = (key: string) =>
      core.resolveBooleanEvaluation(
        definition.key,
        false,
        { targetingKey: key },
        logger,
      ).value;
    const users = Array.from({ length: 2000 }, (_, i) => `user-${i}`);
    const share = users.filter(on).length / users.length;
    expect(share).toBeGreaterThan(0.07);
    expect(share).toBeLessThan(0.13);
    expect(users.map(on)).toEqual(users.map(on));
  });

  it.each([
    ['a state flagd does not know', { state: 'ON', defaultVariant: 'off' }],
    [
      'an operator flagd does not know',
      { ...off, targeting: { if: [{ contains: ['a', 'b'] }, 'on', 'off'] } },
    ],
    [
      'a fractional weight that is not whole',
      {
        ...off,
        targeting: {
          fractional: [
            ['on', 12.5],
            ['off', 88],
          ],
        },
      },
    ],
  ])('what the schema refuses (%s), we refuse too', (_what, canary) => {
    const definition = flag(canary as any);
    expect(() => flagd(definition)).toThrow();
    expect(flagDefinitionProblems(definition, ENVIRONMENTS)).not.toEqual([]);
  });
});
