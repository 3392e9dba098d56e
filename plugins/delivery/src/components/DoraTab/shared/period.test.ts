import { localIso, periodOf } from './period';

describe('DORA periods', () => {
  afterEach(() => jest.restoreAllMocks());

  it('starts at the local midnight so the last interval is the current one', () => {
    // Thursday 26 November 2026, 11:30, wherever the test runs.
    const now = new Date(2026, 10, 26, 11, 30);
    const twelve = periodOf(12, now);
    // 83 days before today: 12 weekly intervals, the last from 20 November until now.
    expect(twelve).toEqual({
      weeks: 12,
      interval: 'week',
      from: expect.stringMatching(/^2026-09-04T00:00:00[+-]\d\d:\d\d$/),
      label: 'last 12 weeks',
    });
    expect(Date.parse(twelve.from)).toBe(new Date(2026, 8, 4).getTime());
    // The shortest period goes by day: 28 days, today the last.
    const four = periodOf(4, now);
    expect(four.interval).toBe('day');
    expect(Date.parse(four.from)).toBe(new Date(2026, 9, 30).getTime());
    expect(Date.parse(periodOf(52, now).from)).toBe(
      new Date(2025, 10, 28).getTime(),
    );
  });

  it('writes the local time with the offset, east, west and half hours', () => {
    const instant = new Date('2026-07-01T04:00:00Z');
    const offset = jest.spyOn(Date.prototype, 'getTimezoneOffset');
    offset.mockReturnValue(-120); // Berlin in summer
    expect(localIso(instant)).toBe('2026-07-01T06:00:00+02:00');
    offset.mockReturnValue(240); // New York in summer
    expect(localIso(instant)).toBe('2026-07-01T00:00:00-04:00');
    offset.mockReturnValue(-330); // Kolkata
    expect(localIso(instant)).toBe('2026-07-01T09:30:00+05:30');
    offset.mockReturnValue(0);
    expect(localIso(instant)).toBe('2026-07-01T04:00:00+00:00');
    for (const iso of [
      '2026-07-01T06:00:00+02:00',
      '2026-07-01T00:00:00-04:00',
      '2026-07-01T09:30:00+05:30',
    ]) {
      expect(Date.parse(iso)).toBe(instant.getTime());
    }
  });

  it('falls back to 12 weeks for a period it does not offer', () => {
    expect(periodOf(7).weeks).toBe(12);
  });
});
