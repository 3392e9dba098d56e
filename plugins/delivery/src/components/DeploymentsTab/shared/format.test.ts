import {
  formatCountdown,
  formatDuration,
  formatUser,
  shortSha,
} from './format';

describe('format', () => {
  it('formats a countdown as m:ss or h:mm:ss, never negative', () => {
    expect(formatCountdown(15 * 60_000)).toBe('15:00');
    expect(formatCountdown(61_500)).toBe('1:02');
    expect(formatCountdown(3_600_000 + 5_000)).toBe('1:00:05');
    expect(formatCountdown(-10_000)).toBe('0:00');
  });

  it('formats durations', () => {
    expect(formatDuration(45_000)).toBe('45s');
    expect(formatDuration(245_000)).toBe('4m 05s');
    expect(formatDuration(3_780_000)).toBe('1h 03m');
  });

  it('shortens user refs and leaves other actors alone', () => {
    expect(formatUser('user:default/jane')).toBe('jane');
    expect(formatUser('user:ops/jane')).toBe('ops/jane');
    expect(formatUser('delivery')).toBe('delivery');
    expect(formatUser('group:default/team-a')).toBe('group:default/team-a');
  });

  it('shortens a sha', () => {
    expect(shortSha('0123456789abcdef')).toBe('0123456');
  });
});
