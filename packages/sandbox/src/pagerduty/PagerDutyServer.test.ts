import { PagerDutyServer, startPagerDutyServer } from './PagerDutyServer';
import { SANDBOX_PAGERDUTY_ROUTING_KEY } from './PagerDutyState';

/* The sandbox PagerDuty over real HTTP, as a client of the Events API v2 sees it. */

const KEY = SANDBOX_PAGERDUTY_ROUTING_KEY;
/** A second integration, on another service. */
const OTHER_KEY = 'R0therintegrationkey000000000002';
const START = Date.parse('2026-11-20T12:00:00Z');

let server: PagerDutyServer;
let clock: number;

beforeAll(async () => {
  server = await startPagerDutyServer({
    routingKeys: [KEY, OTHER_KEY],
    now: () => clock,
  });
});

afterAll(() => server.close());

beforeEach(() => {
  clock = START;
  server.state.reset();
});

async function post(path: string, body: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

const enqueue = (body: unknown) => post('/v2/enqueue', body);

function trigger(extra: Record<string, unknown> = {}) {
  return {
    routing_key: KEY,
    event_action: 'trigger',
    payload: {
      summary: 'payments-api: rollback failed in production',
      source: 'delivery/payments-api/production',
      severity: 'critical',
    },
    ...extra,
  };
}

describe('sandbox PagerDuty', () => {
  it('answers a trigger with 202 and its dedup key, and opens an incident', async () => {
    const answer = await enqueue(
      trigger({
        dedup_key: 'payments-api:production:42',
        payload: {
          summary: 'payments-api: rollback failed in production',
          source: 'delivery/payments-api/production',
          severity: 'critical',
          // PagerDuty's own example format.
          timestamp: '2015-07-17T08:42:58.315+0000',
          component: 'payments-api',
          group: 'production',
          class: 'rollback failed',
          custom_details: { errorRate: 0.12, p95Seconds: 6.1 },
        },
        links: [{ href: 'https://portal.example.com/runs/42', text: 'Run' }],
        images: [{ src: 'https://portal.example.com/chart.png' }],
        client: 'Delivery portal',
        client_url: 'https://portal.example.com',
      }),
    );
    expect(answer).toEqual({
      status: 202,
      body: {
        status: 'success',
        message: 'Event processed',
        dedup_key: 'payments-api:production:42',
      },
    });
    expect(server.state.incidents()).toEqual([
      {
        number: 1,
        dedupKey: 'payments-api:production:42',
        routingKey: KEY,
        status: 'triggered',
        payload: {
          summary: 'payments-api: rollback failed in production',
          source: 'delivery/payments-api/production',
          severity: 'critical',
          timestamp: '2015-07-17T08:42:58.315+0000',
          component: 'payments-api',
          group: 'production',
          class: 'rollback failed',
          customDetails: { errorRate: 0.12, p95Seconds: 6.1 },
        },
        links: [{ href: 'https://portal.example.com/runs/42', text: 'Run' }],
        images: [{ src: 'https://portal.example.com/chart.png' }],
        client: 'Delivery portal',
        clientUrl: 'https://portal.example.com',
        triggers: 1,
        createdAt: START,
      },
    ]);
    expect(server.state.events()).toEqual([
      expect.objectContaining({
        kind: 'alert',
        status: 202,
        outcome: 'opened',
        dedupKey: 'payments-api:production:42',
        incidentNumber: 1,
        receivedAt: START,
      }),
    ]);
  });

  it('generates a dedup key for a trigger without one: each such trigger is a new incident', async () => {
    const first = await enqueue(trigger());
    const second = await enqueue(trigger());
    expect(first.status).toBe(202);
    expect(first.body.dedup_key).toMatch(/^[0-9a-f]{32}$/);
    expect(second.body.dedup_key).not.toBe(first.body.dedup_key);
    expect(server.state.incidents().map(i => i.dedupKey)).toEqual([
      first.body.dedup_key,
      second.body.dedup_key,
    ]);
  });

  it('adds a trigger for an open dedup key to the same incident', async () => {
    await enqueue(trigger({ dedup_key: 'k1' }));
    const again = await enqueue(
      trigger({
        dedup_key: 'k1',
        payload: { summary: 'again', source: 's', severity: 'error' },
      }),
    );
    expect(again).toEqual({
      status: 202,
      body: { status: 'success', message: 'Event processed', dedup_key: 'k1' },
    });
    const incidents = server.state.incidents();
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({
      triggers: 2,
      status: 'triggered',
      // The incident keeps what opened it; later triggers are in the events.
      payload: { summary: 'payments-api: rollback failed in production' },
    });
    expect(server.state.events().map(e => e.outcome)).toEqual([
      'opened',
      'deduplicated',
    ]);
  });

  it('acknowledges and resolves by dedup key; a trigger after the resolve opens a new incident', async () => {
    await enqueue(trigger({ dedup_key: 'k2' }));
    clock += 1_000;
    const ack = await enqueue({
      routing_key: KEY,
      event_action: 'acknowledge',
      dedup_key: 'k2',
    });
    expect(ack).toEqual({
      status: 202,
      body: { status: 'success', message: 'Event processed', dedup_key: 'k2' },
    });
    expect(server.state.incident('k2')).toMatchObject({
      status: 'acknowledged',
      acknowledgedAt: START + 1_000,
    });

    // A trigger while acknowledged is added to it, and it stays acknowledged.
    await enqueue(trigger({ dedup_key: 'k2' }));
    expect(server.state.incident('k2')).toMatchObject({
      status: 'acknowledged',
      triggers: 2,
    });

    clock += 1_000;
    // PagerDuty ignores a payload on a resolve, even an incomplete one.
    const resolve = await enqueue({
      routing_key: KEY,
      event_action: 'resolve',
      dedup_key: 'k2',
      payload: { summary: 'fixed' },
    });
    expect(resolve.status).toBe(202);
    expect(server.state.incident('k2')).toMatchObject({
      number: 1,
      status: 'resolved',
      resolvedAt: START + 2_000,
    });

    // Resolving again changes nothing, and is still accepted.
    const again = await enqueue({
      routing_key: KEY,
      event_action: 'resolve',
      dedup_key: 'k2',
    });
    expect(again.status).toBe(202);

    await enqueue(trigger({ dedup_key: 'k2' }));
    expect(
      server.state.incidents().map(i => [i.number, i.dedupKey, i.status]),
    ).toEqual([
      [1, 'k2', 'resolved'],
      [2, 'k2', 'triggered'],
    ]);
    expect(server.state.incident('k2')?.number).toBe(2);
    expect(server.state.events().map(e => e.outcome)).toEqual([
      'opened',
      'acknowledged',
      'deduplicated',
      'resolved',
      'dropped',
      'opened',
    ]);
  });

  it('accepts and drops an acknowledge or resolve with no open incident for its keys', async () => {
    for (const event_action of ['acknowledge', 'resolve']) {
      const answer = await enqueue({
        routing_key: KEY,
        event_action,
        dedup_key: 'never-triggered',
      });
      expect(answer.status).toBe(202);
      expect(answer.body.dedup_key).toBe('never-triggered');
    }
    // Events for a dedup key sent through another routing key do not reach its incident.
    await enqueue(trigger({ dedup_key: 'k3' }));
    expect(
      (
        await enqueue({
          routing_key: OTHER_KEY,
          event_action: 'resolve',
          dedup_key: 'k3',
        })
      ).status,
    ).toBe(202);
    expect(server.state.incidents()).toEqual([
      expect.objectContaining({ dedupKey: 'k3', status: 'triggered' }),
    ]);
    expect(server.state.events().map(e => e.outcome)).toEqual([
      'dropped',
      'dropped',
      'opened',
      'dropped',
    ]);
  });

  const base = trigger({ dedup_key: 'k' }) as any;
  const withPayload = (payload: Record<string, unknown>) => ({
    ...base,
    payload: { ...base.payload, ...payload },
  });
  it.each([
    [
      'no routing key',
      { ...base, routing_key: undefined },
      "'routing_key' is missing or blank",
    ],
    [
      'a routing key of the wrong length',
      { ...base, routing_key: 'abc123' },
      "Length of 'routing_key' is incorrect (should be 32 characters)",
    ],
    [
      'a routing key with other characters',
      { ...base, routing_key: 'sandbox-pagerduty-routing-key-01' },
      "'routing_key' cannot contain non-alphanumeric characters.",
    ],
    [
      'no event action',
      { ...base, event_action: undefined },
      "'event_action' is missing or blank",
    ],
    [
      'an unknown event action',
      { ...base, event_action: 'escalate' },
      `'event_action' is invalid (must be one of 'trigger', 'acknowledge', 'resolve'): "escalate"`,
    ],
    [
      'an acknowledge without a dedup key',
      { routing_key: KEY, event_action: 'acknowledge' },
      "'dedup_key' is missing or blank (required to acknowledge an alert)",
    ],
    [
      'a resolve without a dedup key',
      { routing_key: KEY, event_action: 'resolve', dedup_key: ' ' },
      "'dedup_key' is missing or blank (required to resolve an alert)",
    ],
    [
      'a dedup key that is not a string',
      { ...base, dedup_key: 42 },
      "'dedup_key' must be a string",
    ],
    [
      'a dedup key over 255 characters',
      { ...base, dedup_key: 'k'.repeat(256) },
      "Length of 'dedup_key' is too long (maximum is 255 characters)",
    ],
    [
      'a trigger without payload',
      { ...base, payload: undefined },
      "'payload' is missing or not an object",
    ],
    [
      'no summary',
      withPayload({ summary: '' }),
      "'payload.summary' is missing or blank",
    ],
    [
      'a summary over 1024 characters',
      withPayload({ summary: 's'.repeat(1025) }),
      "Length of 'payload.summary' is too long (maximum is 1024 characters)",
    ],
    [
      'no source',
      withPayload({ source: undefined }),
      "'payload.source' is missing or blank",
    ],
    [
      'no severity',
      withPayload({ severity: undefined }),
      "'payload.severity' is missing or blank",
    ],
    [
      'an unknown severity',
      withPayload({ severity: 'high' }),
      `'payload.severity' is invalid (must be one of 'critical', 'error', 'warning', 'info'): "high"`,
    ],
    [
      'a timestamp that is not ISO 8601',
      withPayload({ timestamp: 'yesterday' }),
      "'payload.timestamp' is not an ISO 8601 date and time: 'yesterday'",
    ],
    [
      'custom details that are not an object',
      withPayload({ custom_details: ['a'] }),
      "'payload.custom_details' must be an object",
    ],
    [
      'a component that is not a string',
      withPayload({ component: 7 }),
      "'payload.component' must be a string",
    ],
    [
      'a link without href',
      { ...base, links: [{ href: 'https://a.example' }, { text: 'x' }] },
      "'links[1].href' is missing or blank",
    ],
    [
      'an image without src',
      { ...base, images: [{ alt: 'chart' }] },
      "'images[0].src' is missing or blank",
    ],
  ])('refuses %s with 400 naming the problem', async (_, body, error) => {
    const answer = await enqueue(body);
    expect(answer).toEqual({
      status: 400,
      body: {
        status: 'invalid event',
        message: 'Event object is invalid',
        errors: [error],
      },
    });
    expect(server.state.incidents()).toEqual([]);
    expect(server.state.events()).toEqual([
      expect.objectContaining({ status: 400, errors: [error] }),
    ]);
  });

  it('names every problem of an event at once', async () => {
    const answer = await enqueue({
      routing_key: KEY,
      event_action: 'trigger',
      payload: { severity: 'urgent' },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toEqual([
      "'payload.summary' is missing or blank",
      "'payload.source' is missing or blank",
      `'payload.severity' is invalid (must be one of 'critical', 'error', 'warning', 'info'): "urgent"`,
    ]);
  });

  it('refuses a routing key of the right form that it does not know', async () => {
    const answer = await enqueue(
      trigger({ routing_key: 'ffffffffffffffffffffffffffffffff' }),
    );
    expect(answer).toEqual({
      status: 400,
      body: {
        status: 'invalid event',
        message: 'Event object is invalid',
        errors: ['Invalid routing key'],
      },
    });
    expect(server.state.incidents()).toEqual([]);
  });

  it('refuses a body that is not a JSON object', async () => {
    for (const body of ['{"routing_key":', '[1,2]', '"trigger"']) {
      const answer = await enqueue(body);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({
        status: 'Unrecognized object',
        message: 'Event object format is unrecognized',
      });
    }
    expect((await enqueue('{"routing_key":')).body.errors).toEqual([
      'JSON parse error',
    ]);
  });

  it('refuses an event over 512 KB', async () => {
    const answer = await enqueue(
      trigger({ payload: { custom_details: { blob: 'x'.repeat(600_000) } } }),
    );
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toEqual([
      'Event is larger than the limit of 512 KB',
    ]);
  });

  it('takes change events as context, never as incidents', async () => {
    const answer = await post('/v2/change/enqueue', {
      routing_key: KEY,
      payload: {
        summary: 'Deployed payments-api 1a2b3c4 to production',
        source: 'delivery',
        timestamp: '2026-11-20T12:00:00Z',
        custom_details: { environment: 'production' },
      },
      links: [{ href: 'https://portal.example.com/deployments/7' }],
    });
    expect(answer).toEqual({
      status: 202,
      body: { status: 'success', message: 'Change event processed' },
    });
    expect(server.state.incidents()).toEqual([]);
    expect(server.state.events()).toEqual([
      expect.objectContaining({
        kind: 'change',
        status: 202,
        outcome: 'change',
      }),
    ]);

    const invalid = await post('/v2/change/enqueue', {
      routing_key: KEY,
      payload: {},
    });
    expect(invalid).toEqual({
      status: 400,
      body: {
        status: 'invalid event',
        message: 'Event object is invalid',
        errors: ["'payload.summary' is missing or blank"],
      },
    });
  });

  it('shows its state on sandbox-only GET endpoints, and only POSTs events', async () => {
    await enqueue(trigger({ dedup_key: 'k4' }));
    const incidents = await (
      await fetch(`${server.url}/_sandbox/incidents`)
    ).json();
    expect(incidents.sandbox).toMatch(/^Sandbox only/);
    expect(incidents.incidents).toEqual([
      expect.objectContaining({ dedupKey: 'k4', status: 'triggered' }),
    ]);
    const events = await (await fetch(`${server.url}/_sandbox/events`)).json();
    expect(events.events).toHaveLength(1);

    const get = await fetch(`${server.url}/v2/enqueue`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect((await fetch(`${server.url}/v1/enqueue`)).status).toBe(404);
  });

  it('fails requests on demand, changing nothing', async () => {
    const failing = server.failRequests(r => r.path === '/v2/enqueue');
    const answer = await enqueue(trigger({ dedup_key: 'k5' }));
    expect(answer.status).toBe(500);
    const throttled = server.failRequests(() => true, { status: 429 });
    failing.stop();
    expect((await enqueue(trigger({ dedup_key: 'k5' }))).status).toBe(429);
    throttled.stop();
    expect(failing.count()).toBe(1);
    expect(throttled.count()).toBe(1);
    expect(server.state.incidents()).toEqual([]);
    expect((await enqueue(trigger({ dedup_key: 'k5' }))).status).toBe(202);
  });

  it('holds a response on demand after applying the event', async () => {
    const held = server.holdResponses(r => r.path === '/v2/enqueue');
    let answered = false;
    const pending = enqueue(trigger({ dedup_key: 'k6' })).then(a => {
      answered = true;
      return a;
    });
    await held.arrived;
    expect(server.state.incident('k6')?.status).toBe('triggered');
    await new Promise(r => setTimeout(r, 50));
    expect(answered).toBe(false);
    held.release();
    expect((await pending).status).toBe(202);
  });
});
