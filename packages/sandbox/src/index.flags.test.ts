import { mockServices } from '@backstage/backend-test-utils';
import {
  FlagSyncServer,
  startFlagSyncServer,
} from '@internal/plugin-delivery-node';
import { OpenFeature, ProviderStatus } from '@openfeature/server-sdk';
import {
  RolloutFlagSource,
  eventually,
  freePort,
  keepingAlive,
} from './__testUtils__/flags';
import {
  deployPayments,
  errorShareOn,
  paymentsAnalysis,
  paymentsHealth,
} from './__testUtils__/payments';
import { Sandbox, buildSeed, startSandbox, unhealthyShas } from './index';

jest.setTimeout(60_000);

const NOW = Date.parse('2026-11-20T12:00:00Z');

describe('startSandbox with flags', () => {
  const [bad] = unhealthyShas(buildSeed(NOW));
  const source = new RolloutFlagSource('payments-api', 'http2-payment-client');
  let idle: string;
  let port: number;
  let sandbox: Sandbox;
  let portal: FlagSyncServer | undefined;
  let closed = false;

  const canary = (windowSeconds: number) =>
    paymentsHealth(sandbox, 'canary', { version: bad, windowSeconds });
  const settle = (ms: number) => new Promise(r => setTimeout(r, ms));

  beforeAll(async () => {
    idle = keepingAlive();
    port = await freePort();
    // The sandbox starts before the portal, as on a dev machine.
    sandbox = await startSandbox({
      now: NOW,
      rolloutStepMs: 20,
      traffic: { rps: 200, tickMs: 100, seed: 7 },
      flags: { host: '127.0.0.1', port },
    });
  });

  afterAll(async () => {
    if (!closed) await sandbox?.close();
    await portal?.close();
  });

  it('gives each (cluster, service) with a flag-bound commit its own OpenFeature domain', () => {
    expect(Object.keys(sandbox.flagDomains).sort()).toEqual([
      'canary/payments-api',
      'production/payments-api',
      'uat/payments-api',
    ]);
    expect(new Set(Object.values(sandbox.flagDomains)).size).toBe(3);
  });

  it('serves the risky version healthy while the portal is not up, then connects once it is', async () => {
    await deployPayments(sandbox, 'canary', bad);
    await settle(2100);
    const before = await canary(2);
    expect(before.requests).toBeGreaterThan(200);
    expect(before.errorRate).toBeLessThan(0.02);
    expect(before.p95Seconds).toBeLessThan(0.4);

    portal = await startFlagSyncServer({
      source,
      port,
      logger: mockServices.logger.mock(),
    });
    const flags = OpenFeature.getClient(
      sandbox.flagDomains['canary/payments-api'],
    );
    await eventually(() => flags.providerStatus === ProviderStatus.READY);
  });

  it('keeps the risky version healthy with the flag off', async () => {
    await settle(2100);
    const off = await canary(2);
    expect(off.errorRate).toBeLessThan(0.02);
    expect(off.p95Seconds).toBeLessThan(0.4);
  });

  it('makes it fail on the flag endpoint for every request with the flag on for everyone', async () => {
    source.setRollout('canary', 100);
    await eventually(async () => ((await canary(1)).errorRate ?? 0) > 0.05);
    await settle(2100);
    const on = await canary(2);
    expect(on.errorRate).toBeGreaterThan(0.05);
    // Errors on /payments (the flag's endpoint), not slowness.
    expect(on.p95Seconds).toBeLessThan(0.4);
    const analysis = await paymentsAnalysis(sandbox, 'canary', {
      version: bad,
    });
    expect(errorShareOn(analysis, '/payments')).toBeGreaterThan(0.8);
    // Other environments' flags are theirs: production still runs healthy.
    const production = await paymentsHealth(sandbox, 'production');
    expect(production.errorRate).toBeLessThan(0.02);
  });

  it('makes it fail for about a tenth of the requests at 10 %', async () => {
    source.setRollout('canary', 10);
    await settle(6500);
    const partly = await paymentsAnalysis(sandbox, 'canary', {
      version: bad,
      windowSeconds: 6,
    });
    expect(partly.requests).toBeGreaterThan(900);
    // A tenth of /payments' requests fail 30 % of the time: ~1.5 % of all requests, against
    // ~13.5 % with the flag on for everyone; and they sit on /payments.
    expect(partly.errorRate).toBeLessThan(0.05);
    const onPayments = partly.endpoints.find(
      e => e.endpoint === '/payments',
    )!.errors;
    expect(onPayments).toBeGreaterThanOrEqual(5);
    expect(errorShareOn(partly, '/payments')).toBeGreaterThan(0.6);
    expect(partly.p95Seconds).toBeLessThan(0.4);
  });

  it('is healthy again within a couple of seconds of turning the flag off', async () => {
    source.setRollout('canary', 0);
    const healthy = async () => {
      const h = await canary(1);
      return (h.p95Seconds ?? 1) < 0.4 && (h.errorRate ?? 1) < 0.02;
    };
    await eventually(healthy, 5);
    await settle(1000);
    expect(await healthy()).toBe(true);
  });

  it('closes its providers with the sandbox, leaving nothing running', async () => {
    const domain = sandbox.flagDomains['canary/payments-api'];
    closed = true;
    await sandbox.close();
    expect(OpenFeature.getClient(domain).metadata.providerMetadata.name).toBe(
      'No-op Provider',
    );
    await portal!.close();
    await eventually(() => keepingAlive() === idle);
    expect(keepingAlive()).toBe(idle);
  });
});
