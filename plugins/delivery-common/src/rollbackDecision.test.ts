import type { FlagOfChange, HealthFigures } from './types';
import {
  alertSeverity,
  decideRollback,
  errorConcentration,
} from './rollbackDecision';

const NOW = new Date('2026-11-30T03:12:00Z');

const HEALTHY: HealthFigures = {
  up: true,
  errorRate: 0.002,
  requests: 12_000,
  endpoints: [
    { endpoint: '/pay', requests: 6_000, errors: 12 },
    { endpoint: '/refund', requests: 6_000, errors: 12 },
  ],
  p95Seconds: 0.2,
  business: { value: 0.91, baseline: 0.92 },
  cpu: 0.4,
  memory: 0.5,
  restartsPerMinute: 0,
};

const HTTP2: FlagOfChange = {
  key: 'http2-payment-client',
  on: true,
  endpoints: ['/pay'],
};

/** Errors of 4 % in all, `onPay` of them on /pay. */
function failing(onPay: number): HealthFigures {
  const errors = 480;
  return {
    ...HEALTHY,
    errorRate: 0.04,
    endpoints: [
      { endpoint: '/pay', requests: 6_000, errors: Math.round(errors * onPay) },
      {
        endpoint: '/refund',
        requests: 6_000,
        errors: errors - Math.round(errors * onPay),
      },
    ],
  };
}

describe('decideRollback', () => {
  it.each<
    [string, HealthFigures, FlagOfChange[], string | number, string, string]
  >([
    ['healthy', HEALTHY, [HTTP2], 0, 'none', 'healthy'],
    [
      'errors on the flagged endpoint, healthy infrastructure',
      failing(0.9),
      [HTTP2],
      1,
      'flag-off',
      "90.0 % of the errors are on the new change's endpoints (/pay), over 80.0 %, with healthy infrastructure",
    ],
    [
      'errors spread across endpoints',
      failing(0.5),
      [HTTP2],
      2,
      'stable-rollback',
      "only 50.0 % of the errors are on the new change's endpoints: they are spread",
    ],
    [
      'errors on the flagged endpoint, but its flag is off',
      failing(0.9),
      [{ ...HTTP2, on: false }],
      2,
      'stable-rollback',
      'no flag of the newest change is on',
    ],
    [
      'errors without per-endpoint figures',
      { ...failing(0.9), endpoints: [] },
      [HTTP2],
      2,
      'stable-rollback',
      'the metrics do not say which endpoints fail',
    ],
    [
      'errors on the flagged endpoint with memory above 85 %',
      { ...failing(0.9), memory: 0.9 },
      [HTTP2],
      2,
      'stable-rollback',
      'the infrastructure is degraded: a flag cannot fix that',
    ],
    [
      'CPU above 80 %',
      { ...HEALTHY, cpu: 0.85 },
      [HTTP2],
      2,
      'stable-rollback',
      'CPU at 85.0 % of its limit (over 80.0 %)',
    ],
    [
      'pods restarting',
      { ...HEALTHY, restartsPerMinute: 6 },
      [],
      2,
      'stable-rollback',
      '6.0 pod restarts a minute (over 5)',
    ],
    [
      'slow everywhere',
      { ...HEALTHY, p95Seconds: 2.5 },
      [HTTP2],
      2,
      'stable-rollback',
      'every endpoint is slow: a flag cannot fix that',
    ],
    [
      'the health endpoint down',
      { ...HEALTHY, up: false },
      [HTTP2],
      3,
      'reroute',
      'the health endpoint does not answer',
    ],
    [
      'the business metric drops, nothing technical',
      { ...HEALTHY, business: { value: 0.7, baseline: 0.92 } },
      [HTTP2],
      'hold',
      'ask',
      'no technical breach: a person judges whether the change caused it',
    ],
  ])('%s', (_name, figures, flags, level, action, reason) => {
    const decision = decideRollback({ figures, flags, now: NOW });
    expect(decision.level).toBe(level);
    expect(decision.action).toBe(action);
    expect(decision.reasons).toContain(reason);
  });

  it('names the flags to turn off, only those that are on', () => {
    const decision = decideRollback({
      figures: failing(0.95),
      flags: [
        HTTP2,
        { key: 'retry-budget', on: true, endpoints: ['/pay'] },
        { key: 'dark-mode', on: false, endpoints: ['/pay'] },
      ],
      now: NOW,
    });
    expect(decision).toMatchObject({
      level: 1,
      flags: ['http2-payment-client', 'retry-budget'],
      severity: 'warning',
    });
  });

  it('after a business drop, flag off comes next when the change has a flag on, else a rollback', () => {
    const dropped = { ...HEALTHY, business: { value: 0.6, baseline: 0.92 } };
    expect(
      decideRollback({ figures: dropped, flags: [HTTP2], now: NOW }),
    ).toMatchObject({ then: 'flag-off' });
    expect(
      decideRollback({ figures: dropped, flags: [], now: NOW }),
    ).toMatchObject({ then: 'stable-rollback' });
  });

  it('escalates when a rollback failed, or the service breaches again soon after an action', () => {
    expect(
      decideRollback({
        figures: failing(0.9),
        flags: [HTTP2],
        history: { rollbackFailed: true },
        now: NOW,
      }),
    ).toMatchObject({
      level: 6,
      action: 'escalate',
      severity: 'critical',
      reasons: expect.arrayContaining(['a rollback of this service failed']),
    });
    const soon = decideRollback({
      figures: failing(0.9),
      flags: [HTTP2],
      history: { lastActionAt: new Date(NOW.getTime() - 120_000) },
      now: NOW,
    });
    expect(soon).toMatchObject({ level: 6 });
    expect(soon.reasons[0]).toBe(
      'still unhealthy 120 s after an automated action',
    );
    // Long after, it is a new breach like any other.
    expect(
      decideRollback({
        figures: failing(0.9),
        flags: [HTTP2],
        history: { lastActionAt: new Date(NOW.getTime() - 11 * 60_000) },
        now: NOW,
      }),
    ).toMatchObject({ level: 1 });
    // Healthy after an action: nothing to escalate.
    expect(
      decideRollback({
        figures: HEALTHY,
        flags: [HTTP2],
        history: { lastActionAt: new Date(NOW.getTime() - 60_000) },
        now: NOW,
      }),
    ).toMatchObject({ level: 0 });
  });

  it('acts on an error rate over the limit only beyond chance, given the requests behind it', () => {
    const few: HealthFigures = {
      ...HEALTHY,
      errorRate: 5 / 380,
      requests: 380,
      endpoints: [
        { endpoint: '/pay', requests: 180, errors: 4 },
        { endpoint: '/refund', requests: 200, errors: 1 },
      ],
    };
    expect(
      decideRollback({ figures: few, flags: [HTTP2], now: NOW }).action,
    ).toBe('none');
    const many: HealthFigures = {
      ...few,
      errorRate: 70 / 4000,
      requests: 4000,
      endpoints: [
        { endpoint: '/pay', requests: 1800, errors: 66 },
        { endpoint: '/refund', requests: 2200, errors: 4 },
      ],
    };
    expect(
      decideRollback({ figures: many, flags: [HTTP2], now: NOW }),
    ).toMatchObject({ level: 1, flags: [HTTP2.key] });
    // Without a request count the rate is taken as it is.
    const { requests, ...unknown } = few;
    expect(
      decideRollback({ figures: unknown, flags: [HTTP2], now: NOW }).action,
    ).not.toBe('none');
  });

  it('takes thresholds from config', () => {
    const figures = { ...HEALTHY, errorRate: 0.015, endpoints: [] };
    expect(decideRollback({ figures, flags: [], now: NOW }).level).toBe(2);
    expect(
      decideRollback({
        figures,
        flags: [],
        now: NOW,
        thresholds: { errorRate: 0.02 },
      }).level,
    ).toBe(0);
  });
});

describe('alertSeverity', () => {
  it.each<[string, HealthFigures, string]>([
    ['healthy', HEALTHY, 'info'],
    ['down', { ...HEALTHY, up: false }, 'critical'],
    ['errors over 5 %', { ...HEALTHY, errorRate: 0.06 }, 'critical'],
    ['errors of 1-5 %', { ...HEALTHY, errorRate: 0.03 }, 'warning'],
    ['p95 over 5 s', { ...HEALTHY, p95Seconds: 5.5 }, 'critical'],
    ['p95 of 2-5 s', { ...HEALTHY, p95Seconds: 3 }, 'warning'],
    [
      'business down more than half',
      { ...HEALTHY, business: { value: 0.4, baseline: 0.92 } },
      'critical',
    ],
    [
      'business down a quarter',
      { ...HEALTHY, business: { value: 0.69, baseline: 0.92 } },
      'warning',
    ],
    ['memory over 80 %', { ...HEALTHY, memory: 0.82 }, 'warning'],
  ])('%s → %s', (_name, figures, severity) => {
    expect(alertSeverity(figures)).toBe(severity);
  });
});

describe('errorConcentration', () => {
  it('is the share of errors on the given endpoints', () => {
    expect(errorConcentration(failing(0.75).endpoints, ['/pay'])).toBe(0.75);
    expect(errorConcentration([], ['/pay'])).toBeUndefined();
    expect(
      errorConcentration(
        [{ endpoint: '/pay', requests: 10, errors: 0 }],
        ['/pay'],
      ),
    ).toBeUndefined();
  });
});
