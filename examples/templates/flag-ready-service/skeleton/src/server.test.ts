import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { EvaluationContext } from '@openfeature/server-sdk';
import { FIRST_FLAG, SERVICE_NAME, configFromEnv } from './config';
import { Metrics } from './metrics';
import { FlagClient, HelloServer } from './server';

type Hello = {
  service: string;
  message: string;
  flags: Record<string, boolean>;
};

/** A flag client that answers `on` for the users in `users`, and records what it was asked. */
class FakeFlags implements FlagClient {
  readonly asked: Array<{ key: string; context?: EvaluationContext }> = [];
  constructor(private readonly users: Set<string>) {}
  async getBooleanValue(
    key: string,
    defaultValue: boolean,
    context?: EvaluationContext,
  ): Promise<boolean> {
    this.asked.push({ key, context });
    const user = context?.targetingKey;
    return user && this.users.has(user) ? true : defaultValue;
  }
}

describe('HelloServer', () => {
  const flags = new FakeFlags(new Set(['ada']));
  const server = new HelloServer({
    flags,
    metrics: new Metrics({ processMetrics: false }),
  });
  let base = '';

  before(async () => {
    const port = await server.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${port}`;
  });
  after(() => server.shutdown({ timeoutMs: 1000 }));

  it('answers /healthz', async () => {
    const response = await fetch(`${base}/healthz`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ok' });
  });

  it('evaluates the first flag for the x-user-id of /hello', async () => {
    const off = await fetch(`${base}/hello`);
    assert.equal(off.status, 200);
    assert.deepEqual(((await off.json()) as Hello).flags, {
      [FIRST_FLAG]: false,
    });

    const on = await fetch(`${base}/hello`, {
      headers: { 'x-user-id': 'ada' },
    });
    assert.deepEqual(((await on.json()) as Hello).flags, {
      [FIRST_FLAG]: true,
    });
    assert.deepEqual(flags.asked.at(-1), {
      key: FIRST_FLAG,
      context: { targetingKey: 'ada' },
    });
  });

  it('counts requests by route and status code, not probes', async () => {
    await fetch(`${base}/no/such/path`);
    const response = await fetch(`${base}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await response.text();
    assert.match(
      text,
      /http_requests_total\{method="GET",handler="\/hello",code="200"\} 2/,
    );
    assert.match(
      text,
      /http_requests_total\{method="GET",handler="unmatched",code="404"\} 1/,
    );
    assert.match(text, /http_request_duration_seconds_bucket\{/);
    assert.doesNotMatch(text, /handler="\/healthz"/);
  });

  it('refuses other methods', async () => {
    const response = await fetch(`${base}/hello`, { method: 'POST' });
    assert.equal(response.status, 405);
    assert.equal(response.headers.get('allow'), 'GET, HEAD');
  });

  it('answers 503 on /healthz while shutting down', async () => {
    const stopping = server.shutdown({ drainDelayMs: 300, timeoutMs: 1000 });
    const response = await fetch(`${base}/healthz`);
    assert.equal(response.status, 503);
    await stopping;
    assert.equal(server.server.listening, false);
  });
});

describe('configFromEnv', () => {
  it('selects the flags of <DEPLOY_ENVIRONMENT>/<service> on the portal', () => {
    const config = configFromEnv({ DEPLOY_ENVIRONMENT: 'uat' });
    assert.equal(config.port, 8080);
    assert.deepEqual(config.flags, {
      host: 'localhost',
      port: 8015,
      selector: `uat/${SERVICE_NAME}`,
    });
  });

  it('takes FLAGD_SELECTOR over DEPLOY_ENVIRONMENT', () => {
    const config = configFromEnv({
      DEPLOY_ENVIRONMENT: 'uat',
      FLAGD_SELECTOR: 'canary/other',
      FLAGD_HOST: 'portal',
      FLAGD_PORT: '9000',
    });
    assert.deepEqual(config.flags, {
      host: 'portal',
      port: 9000,
      selector: 'canary/other',
    });
  });

  it('syncs no flags without an environment, and refuses a bad port', () => {
    assert.equal(configFromEnv({}).flags, undefined);
    assert.throws(() => configFromEnv({ PORT: 'eighty' }), /PORT/);
  });
});
