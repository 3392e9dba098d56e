import { ConfigReader } from '@backstage/config';
import { InputError } from '@backstage/errors';
import {
  PagerDutyServer,
  SANDBOX_PAGERDUTY_ROUTING_KEY,
  startPagerDutyServer,
} from '@internal/sandbox';
import { createServer } from 'node:net';
import { UpstreamError } from '../UpstreamError';
import {
  DEFAULT_PAGERDUTY_EVENTS_URL,
  PagerDutyEventsProvider,
  createPagerDutyProvider,
} from './PagerDutyEventsProvider';
import { PagerDutyAlert } from './PagerDutyProvider';

/* PagerDutyEventsProvider against the sandbox's Events API v2 over real HTTP. */

jest.setTimeout(20_000);

const KEY = SANDBOX_PAGERDUTY_ROUTING_KEY;

let pagerduty: PagerDutyServer;
/** A port nothing listens on. */
let closedUrl: string;

beforeAll(async () => {
  pagerduty = await startPagerDutyServer();
  const probe = createServer();
  await new Promise<void>(r => probe.listen(0, '127.0.0.1', r));
  closedUrl = `http://127.0.0.1:${(probe.address() as { port: number }).port}`;
  await new Promise(r => probe.close(r));
});

afterAll(() => pagerduty.close());

beforeEach(() => pagerduty.state.reset());

function provider(options: { routingKey?: string; baseUrl?: string } = {}) {
  return new PagerDutyEventsProvider({
    baseUrl: options.baseUrl ?? pagerduty.url,
    routingKey: options.routingKey ?? KEY,
    timeoutMs: 500,
  });
}

const ALERT: PagerDutyAlert = {
  dedupKey: 'payments-api:production:run-42',
  summary: 'payments-api: rollback in production failed, a person is needed',
  source: 'payments-api (production)',
  severity: 'critical',
  component: 'payments-api',
  group: 'production',
  class: 'rollback failed',
  customDetails: { errorRate: 0.12, p95Seconds: 6.1, level: 6 },
  links: [{ href: 'https://portal.example.com/runs/42', text: 'The run' }],
};

describe('PagerDutyEventsProvider', () => {
  it('triggers, acknowledges and resolves an alert by dedup key', async () => {
    const p = provider();
    expect(await p.trigger(ALERT)).toEqual({ dedupKey: ALERT.dedupKey });
    expect(pagerduty.state.incidents()).toEqual([
      expect.objectContaining({
        dedupKey: ALERT.dedupKey,
        routingKey: KEY,
        status: 'triggered',
        payload: {
          summary: ALERT.summary,
          source: ALERT.source,
          severity: 'critical',
          component: 'payments-api',
          group: 'production',
          class: 'rollback failed',
          customDetails: { errorRate: 0.12, p95Seconds: 6.1, level: 6 },
        },
        links: ALERT.links,
      }),
    ]);

    await p.acknowledge(ALERT.dedupKey);
    expect(pagerduty.state.incident(ALERT.dedupKey)?.status).toBe(
      'acknowledged',
    );
    await p.resolve(ALERT.dedupKey);
    expect(pagerduty.state.incident(ALERT.dedupKey)?.status).toBe('resolved');
    // Resolving again is harmless: PagerDuty accepts and drops it.
    await p.resolve(ALERT.dedupKey);

    expect(
      pagerduty.state
        .events()
        .map(e => [
          (e.body as any).event_action,
          (e.body as any).dedup_key,
          e.status,
          e.outcome,
        ]),
    ).toEqual([
      ['trigger', ALERT.dedupKey, 202, 'opened'],
      ['acknowledge', ALERT.dedupKey, 202, 'acknowledged'],
      ['resolve', ALERT.dedupKey, 202, 'resolved'],
      ['resolve', ALERT.dedupKey, 202, 'dropped'],
    ]);
  });

  it('sends only the fields it was given', async () => {
    await provider().trigger({
      dedupKey: 'k-minimal',
      summary: 's',
      source: 'src',
      severity: 'warning',
    });
    expect(pagerduty.state.events()[0].body).toEqual({
      routing_key: KEY,
      event_action: 'trigger',
      dedup_key: 'k-minimal',
      payload: { summary: 's', source: 'src', severity: 'warning' },
    });
  });

  it('is idempotent by dedup key: a repeated trigger adds to the open incident', async () => {
    const p = provider();
    await p.trigger(ALERT);
    await p.trigger(ALERT);
    expect(pagerduty.state.incidents()).toEqual([
      expect.objectContaining({ dedupKey: ALERT.dedupKey, triggers: 2 }),
    ]);
  });

  it('shortens a summary past PagerDuty’s 1024 characters instead of being refused', async () => {
    await provider().trigger({ ...ALERT, summary: 'x'.repeat(5000) });
    const summary = pagerduty.state.incident(ALERT.dedupKey)!.payload.summary;
    expect(summary).toHaveLength(1024);
    expect(summary.endsWith('x…')).toBe(true);
  });

  it('refuses an empty or too long dedup key before calling PagerDuty', async () => {
    const p = provider();
    for (const call of [
      () => p.trigger({ ...ALERT, dedupKey: ' ' }),
      () => p.resolve(''),
      () => p.acknowledge('k'.repeat(256)),
    ]) {
      await expect(call()).rejects.toBeInstanceOf(InputError);
    }
    expect(pagerduty.state.events()).toEqual([]);
  });

  it('is a 502 listing PagerDuty’s problems with the event when it answers 400', async () => {
    const other = 'ffffffffffffffffffffffffffffffff';
    const error = await provider({ routingKey: other })
      .trigger(ALERT)
      .catch(e => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.statusCode).toBe(502);
    expect(error.system).toBe('pagerduty');
    expect(error.message).toBe(
      `PagerDuty (${pagerduty.url}) refused to trigger alert '${ALERT.dedupKey}': HTTP 400 Event object is invalid: Invalid routing key (check delivery.pagerduty.routingKey: the integration key of an Events API v2 integration)`,
    );
    // The routing key is a secret.
    expect(error.message).not.toContain(other);

    const invalid = await provider()
      .trigger({ ...ALERT, severity: 'fatal' as any, source: '' })
      .catch(e => e);
    expect(invalid.message).toBe(
      `PagerDuty (${pagerduty.url}) refused to trigger alert '${ALERT.dedupKey}': HTTP 400 Event object is invalid: 'payload.source' is missing or blank; 'payload.severity' is invalid (must be one of 'critical', 'error', 'warning', 'info'): "fatal"`,
    );
    expect(pagerduty.state.incidents()).toEqual([]);
  });

  it('is a 502 when PagerDuty fails or throttles', async () => {
    const failing = pagerduty.failRequests(() => true);
    const error = await provider()
      .resolve('k-500')
      .catch(e => e);
    failing.stop();
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.statusCode).toBe(502);
    expect(error.message).toBe(
      `PagerDuty (${pagerduty.url}) refused to resolve alert 'k-500': HTTP 500 The sandbox was told to fail this request`,
    );

    const throttled = pagerduty.failRequests(() => true, { status: 429 });
    const busy = await provider()
      .trigger(ALERT)
      .catch(e => e);
    throttled.stop();
    expect(busy.statusCode).toBe(502);
    expect(busy.message).toMatch(
      /HTTP 429 .*\(PagerDuty throttles this integration; retry later\)$/,
    );
  });

  it('is a 503 when PagerDuty cannot be reached', async () => {
    const error = await provider({ baseUrl: closedUrl })
      .trigger(ALERT)
      .catch(e => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.statusCode).toBe(503);
    expect(error.system).toBe('pagerduty');
    expect(error.message).toMatch(
      new RegExp(`^PagerDuty \\(${closedUrl}\\) is unreachable: ECONNREFUSED`),
    );
  });

  it('gives up at the timeout when PagerDuty does not answer; repeating the trigger pages once', async () => {
    // PagerDuty takes the event but its answer never comes.
    const held = pagerduty.holdResponses(r => r.path === '/v2/enqueue');
    const started = Date.now();
    const error = await provider()
      .trigger(ALERT)
      .catch(e => e);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.statusCode).toBe(503);
    expect(error.message).toBe(
      `PagerDuty (${pagerduty.url}) is unreachable: no answer before the request timeout`,
    );
    await held.arrived;
    held.release();

    // The caller cannot know whether it paged: it repeats, and the incident is the same one.
    await provider().trigger(ALERT);
    expect(pagerduty.state.incidents()).toEqual([
      expect.objectContaining({ dedupKey: ALERT.dedupKey, triggers: 2 }),
    ]);
  });
});

describe('createPagerDutyProvider', () => {
  it('is undefined without a routing key', () => {
    expect(createPagerDutyProvider(new ConfigReader({}))).toBeUndefined();
    expect(
      createPagerDutyProvider(
        new ConfigReader({ delivery: { pagerduty: { baseUrl: 'http://x' } } }),
      ),
    ).toBeUndefined();
    expect(
      createPagerDutyProvider(
        new ConfigReader({ delivery: { pagerduty: { routingKey: ' ' } } }),
      ),
    ).toBeUndefined();
  });

  it('defaults to PagerDuty’s Events API', () => {
    const p = createPagerDutyProvider(
      new ConfigReader({ delivery: { pagerduty: { routingKey: KEY } } }),
    ) as PagerDutyEventsProvider;
    expect(p).toBeInstanceOf(PagerDutyEventsProvider);
    expect(p.baseUrl).toBe(DEFAULT_PAGERDUTY_EVENTS_URL);
    expect(DEFAULT_PAGERDUTY_EVENTS_URL).toBe('https://events.pagerduty.com');
  });

  it('sends through the configured base URL and routing key, bounded by the configured timeout', async () => {
    const p = createPagerDutyProvider(
      new ConfigReader({
        delivery: {
          requestTimeout: '10s',
          pagerduty: {
            baseUrl: `${pagerduty.url}/`,
            routingKey: KEY,
            timeout: { milliseconds: 200 },
          },
        },
      }),
    )!;
    await p.trigger(ALERT);
    expect(pagerduty.state.incident(ALERT.dedupKey)?.routingKey).toBe(KEY);

    const held = pagerduty.holdResponses(() => true);
    const started = Date.now();
    const error = await p.resolve(ALERT.dedupKey).catch(e => e);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(error.statusCode).toBe(503);
    await held.arrived;
    held.release();
  });

  it('falls back to delivery.requestTimeout', async () => {
    const p = createPagerDutyProvider(
      new ConfigReader({
        delivery: {
          requestTimeout: { milliseconds: 200 },
          pagerduty: { baseUrl: pagerduty.url, routingKey: KEY },
        },
      }),
    )!;
    const held = pagerduty.holdResponses(() => true);
    const started = Date.now();
    const error = await p.trigger(ALERT).catch(e => e);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(error.statusCode).toBe(503);
    await held.arrived;
    held.release();
  });

  it('refuses a malformed routing key or base URL at start, never printing the key', () => {
    const secret = 'not-a-routing-key';
    expect(() =>
      createPagerDutyProvider(
        new ConfigReader({ delivery: { pagerduty: { routingKey: secret } } }),
      ),
    ).toThrow(
      new InputError(
        'delivery.pagerduty.routingKey must be the 32-character integration key of an Events API v2 integration (letters and digits); the configured one has 17 characters, not all letters and digits',
      ),
    );
    expect(() =>
      createPagerDutyProvider(
        new ConfigReader({
          delivery: {
            pagerduty: { routingKey: KEY, baseUrl: 'events.pagerduty.com' },
          },
        }),
      ),
    ).toThrow(/delivery\.pagerduty\.baseUrl must be an http\(s\) URL/);
    expect(() =>
      createPagerDutyProvider(
        new ConfigReader({
          delivery: { pagerduty: { routingKey: KEY, timeout: '0s' } },
        }),
      ),
    ).toThrow(/delivery\.pagerduty\.timeout must be longer than 0/);
  });
});
