import { InputError } from '@backstage/errors';
import { parseFlagSyncSelector } from './FlagSyncSource';

describe('parseFlagSyncSelector', () => {
  it('reads an environment, optionally with a service', () => {
    expect(parseFlagSyncSelector('production')).toEqual({
      environment: 'production',
    });
    expect(parseFlagSyncSelector('production/payments-api')).toEqual({
      environment: 'production',
      service: 'payments-api',
    });
  });

  it.each([
    ['', /empty/],
    ['   ', /empty/],
    ['production/', /'production\/' is malformed/],
    ['/payments-api', /malformed/],
    ['production/payments-api/extra', /malformed/],
    ['source=database,app=weatherapp', /malformed/],
    ['prod uction', /malformed/],
  ])('refuses %j with an InputError', (selector, message) => {
    expect(() => parseFlagSyncSelector(selector)).toThrow(InputError);
    expect(() => parseFlagSyncSelector(selector)).toThrow(message);
    expect(() => parseFlagSyncSelector(selector)).toThrow(
      /<environment> or <environment>\/<service>/,
    );
  });
});
