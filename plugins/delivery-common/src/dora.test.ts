import {
  DEFAULT_DORA_TIERS,
  deploymentFrequencyBucket,
  durationOfStep,
  durationStep,
  percentileOfCounts,
  shasNamedIn,
  tierAtLeast,
  tierAtMost,
} from './dora';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('DORA rules', () => {
  it('steps durations by minute under a day, by hour to 30 days, by day beyond', () => {
    const cases: Array<[number, number]> = [
      [0, 0],
      [59_999, 0],
      [90 * MIN + 42_000, 90 * MIN],
      [DAY - 1, 1439 * MIN],
      [DAY, DAY],
      [25 * HOUR + 59 * MIN, 25 * HOUR],
      [30 * DAY - 1, 30 * DAY - HOUR],
      [30 * DAY, 30 * DAY],
      [400 * DAY + 5 * HOUR, 400 * DAY],
    ];
    for (const [ms, floor] of cases) {
      expect(durationOfStep(durationStep(ms))).toBe(floor);
    }
    // Steps are consecutive and sort as the durations do.
    let previous = -1;
    for (let ms = 0; ms < 32 * DAY; ms += MIN) {
      const step = durationStep(ms);
      expect(step === previous || step === previous + 1).toBe(true);
      previous = step;
    }
  });

  it('takes nearest-rank percentiles of counted values', () => {
    expect(percentileOfCounts([], 0.5)).toBeUndefined();
    expect(percentileOfCounts([[7, 1]], 0.9)).toBe(7);
    const counts: Array<[number, number]> = [
      [10, 1],
      [60, 1],
      [70, 1],
      [90, 1],
      [240, 1],
    ];
    expect(percentileOfCounts(counts, 0.5)).toBe(70);
    expect(percentileOfCounts(counts, 0.9)).toBe(240);
    expect(
      percentileOfCounts(
        [
          [1, 9],
          [2, 1],
        ],
        0.9,
      ),
    ).toBe(1);
    expect(
      percentileOfCounts(
        [
          [1, 9],
          [2, 2],
        ],
        0.9,
      ),
    ).toBe(2);
  });

  it('buckets deployment frequency and tiers metrics at their boundaries', () => {
    expect(deploymentFrequencyBucket(0)).toBe('none');
    expect(deploymentFrequencyBucket(2)).toBe('onDemand');
    expect(deploymentFrequencyBucket(1)).toBe('daily');
    expect(deploymentFrequencyBucket(1 / 7)).toBe('daily');
    expect(deploymentFrequencyBucket(1 / 8)).toBe('weekly');
    expect(deploymentFrequencyBucket(1 / 60)).toBe('monthly');
    expect(deploymentFrequencyBucket(1 / 365)).toBe('fewer');
    const t = DEFAULT_DORA_TIERS;
    expect(tierAtLeast(1, t.deploymentFrequency)).toBe('elite');
    expect(tierAtLeast(0.2, t.deploymentFrequency)).toBe('high');
    expect(tierAtLeast(0.01, t.deploymentFrequency)).toBe('low');
    expect(tierAtMost(DAY, t.leadTime)).toBe('elite');
    expect(tierAtMost(DAY + 1, t.leadTime)).toBe('high');
    expect(tierAtMost(0.15, t.changeFailureRate)).toBe('medium');
    expect(tierAtMost(0.5, t.changeFailureRate)).toBe('low');
  });

  it('finds the shas a text names', () => {
    expect(
      shasNamedIn('Broken since abc1234 (see 0123456789abcdef) and 1234567'),
    ).toEqual(['abc1234', '0123456789abcdef']);
  });
});
