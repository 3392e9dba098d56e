import {
  formatDurationMs,
  formatDurationShort,
  formatPercent,
  formatRate,
  formatRateTick,
  formatTarget,
  formatValue,
  plural,
} from './format';

const MIN = 60_000;
const HOUR = 60 * MIN;

describe('DORA formatting', () => {
  it('gives durations in the largest two units, rounded', () => {
    expect(formatDurationMs(0)).toBe('0 s');
    expect(formatDurationMs(40_400)).toBe('40 s');
    expect(formatDurationMs(59_600)).toBe('1 min');
    expect(formatDurationMs(12 * MIN + 20_000)).toBe('12 min');
    expect(formatDurationMs(59 * MIN + 40_000)).toBe('1 h');
    expect(formatDurationMs(95 * MIN)).toBe('1 h 35 min');
    expect(formatDurationMs(2 * HOUR)).toBe('2 h');
    expect(formatDurationMs(23 * HOUR + 59 * MIN + 50_000)).toBe('1 d');
    expect(formatDurationMs(51 * HOUR)).toBe('2 d 3 h');
  });

  it('keeps a small rate’s axis ticks distinct', () => {
    // Recharts' five ticks up to one deployment a week: no two alike.
    const ticks = [0, 1 / 28, 2 / 28, 3 / 28, 4 / 28].map(formatRateTick);
    expect(ticks).toEqual(['0', '0.036', '0.071', '0.11', '0.14']);
    expect(new Set(ticks).size).toBe(5);
    expect(formatRateTick(0.5)).toBe('0.5');
    expect(formatRateTick(2.25)).toBe('2.3');
    expect(formatRateTick(12)).toBe('12');
  });

  it('gives a chart axis’s durations in one unit', () => {
    expect(formatDurationShort(30_000)).toBe('30 s');
    expect(formatDurationShort(12 * MIN)).toBe('12 min');
    expect(formatDurationShort(100 * MIN)).toBe('1.7 h');
    expect(formatDurationShort(60 * HOUR)).toBe('2.5 d');
  });

  it('gives rates per day, per week below one a day, per month below one a week', () => {
    expect(formatRate(4.2)).toBe('4.2 / day');
    expect(formatRate(12)).toBe('12 / day');
    expect(formatRate(1)).toBe('1 / day');
    expect(formatRate(0.5)).toBe('3.5 / week');
    expect(formatRate(1 / 30)).toBe('1 / month');
    expect(formatRate(0)).toBe('0 / day');
  });

  it('gives ratios as percentages with one decimal at most', () => {
    expect(formatPercent(0.031)).toBe('3.1 %');
    expect(formatPercent(0.95)).toBe('95 %');
    expect(formatPercent(0.9674)).toBe('96.7 %');
    expect(formatPercent(1)).toBe('100 %');
    expect(formatPercent(0)).toBe('0 %');
    expect(formatValue('ratio', 0.05)).toBe('5 %');
  });

  it('states targets with their comparison in the metric’s unit', () => {
    expect(
      formatTarget('milliseconds', { value: 2 * HOUR, comparison: 'atMost' }),
    ).toBe('< 2 h');
    expect(formatTarget('ratio', { value: 0.95, comparison: 'atLeast' })).toBe(
      '≥ 95 %',
    );
    expect(
      formatTarget(
        'perDay',
        { value: 5, comparison: 'atLeast' },
        { perTeam: true },
      ),
    ).toBe('≥ 5 / day per team');
  });

  it('counts in words', () => {
    expect(plural(1, 'deployment')).toBe('1 deployment');
    expect(plural(1234, 'commit')).toBe('1,234 commits');
  });
});
