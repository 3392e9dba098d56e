import {
  archiveBlocker,
  changeBlocker,
  describeSettings,
  summarizeRecorded,
} from './settings';
import {
  flagPermissions,
  newCheckout,
  settings,
} from '../__testUtils__/fixtures';

describe('describeSettings', () => {
  const flag = { onVariant: 'on' };
  it('names off, on, a percentage, a targeting rule and an unserved flag', () => {
    expect(describeSettings(settings('uat'), flag)).toEqual({
      kind: 'off',
      label: 'off',
    });
    expect(
      describeSettings(
        settings('uat', {
          on: true,
          defaultVariant: 'on',
          rolloutPercent: 100,
        }),
        flag,
      ).label,
    ).toBe('on');
    expect(
      describeSettings(settings('uat', { on: true, rolloutPercent: 10 }), flag),
    ).toEqual({ kind: 'percentage', label: '10 %' });
    expect(
      describeSettings(
        settings('uat', { on: true, targeting: { if: [true, 'on', 'off'] } }),
        flag,
      ).kind,
    ).toBe('targeting');
    expect(
      describeSettings(settings('uat', { on: true, defaultVariant: 'b' }), flag)
        .label,
    ).toBe('on (b)');
    expect(
      describeSettings(settings('uat', { state: 'DISABLED' }), flag).label,
    ).toBe('not served');
  });
});

describe('summarizeRecorded', () => {
  it('reads recorded settings, and shows anything else as JSON', () => {
    expect(summarizeRecorded(settings('uat'))).toBe('off');
    expect(
      summarizeRecorded({
        ...settings('uat', { on: true, rolloutPercent: 50 }),
      }),
    ).toBe('50 %');
    expect(summarizeRecorded({ on: true })).toBe('on');
    expect(summarizeRecorded({ description: 'x' })).toBe('{"description":"x"}');
    expect(summarizeRecorded(undefined)).toBe('—');
  });
});

describe('blockers', () => {
  it('say why a flag cannot change', () => {
    expect(changeBlocker(newCheckout(), flagPermissions())).toBeUndefined();
    expect(
      changeBlocker(newCheckout(), flagPermissions({ update: false })),
    ).toMatch(/permission/);
    expect(
      changeBlocker(
        newCheckout({ archivedAt: '2024-01-01T00:00:00Z' }),
        flagPermissions(),
      ),
    ).toMatch(/^Archived/);
  });

  it('refuse archiving while the flag is on anywhere, naming where', () => {
    expect(archiveBlocker(newCheckout(), flagPermissions())).toMatch(
      /^On in uat, canary: turn it off everywhere first/,
    );
  });
});
