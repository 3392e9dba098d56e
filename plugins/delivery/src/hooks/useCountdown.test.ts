import { act, renderHook } from '@testing-library/react';
import { useCountdown } from './useCountdown';

describe('useCountdown', () => {
  beforeEach(() => {
    jest.useFakeTimers();
    jest.setSystemTime(new Date('2024-01-01T10:00:00Z'));
  });
  afterEach(() => jest.useRealTimers());

  it('ticks down every second to the given time', () => {
    const { result } = renderHook(() => useCountdown('2024-01-01T10:15:00Z'));
    expect(result.current).toBe(15 * 60_000);
    act(() => {
      jest.advanceTimersByTime(3_000);
    });
    expect(result.current).toBe(15 * 60_000 - 3_000);
  });

  it('is undefined without a time', () => {
    const { result } = renderHook(() => useCountdown(undefined));
    expect(result.current).toBeUndefined();
  });
});
