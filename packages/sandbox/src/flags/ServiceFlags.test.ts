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
} from '../__testUtils__/flags';
import { createRandom } from '../traffic/TrafficSimulator';
import { ServiceFlags } from './ServiceFlags';

jest.setTimeout(30_000);

describe('ServiceFlags', () => {
  const source = new RolloutFlagSource('payments-api', 'new-client');
  const domain = 'service-flags-test:canary/payments-api';
  let idle: string;
  let port: number;
  let flags: ServiceFlags;
  let portal: FlagSyncServer | undefined;

  /** The share of `n` requests whose user gets the flag on. */
  function shareOn(n: number, random = createRandom(3)) {
    const verdict = flags.verdict('new-client');
    let on = 0;
    for (let i = 0; i < n; i++) if (verdict(random)) on++;
    return on / n;
  }

  beforeAll(async () => {
    idle = keepingAlive();
    port = await freePort();
    flags = new ServiceFlags({
      domain,
      cluster: 'canary',
      service: 'payments-api',
      address: { host: '127.0.0.1', port },
      seed: 1,
      renewUnreadyMs: 300,
    });
  });

  afterAll(async () => {
    await flags.close();
    await portal?.close();
  });

  it('answers off, and replaces its provider, while the portal is not up', async () => {
    const first = OpenFeature.getProvider(domain);
    expect(shareOn(100)).toBe(0);
    await eventually(() => OpenFeature.getProvider(domain) !== first);
    expect(OpenFeature.getClient(domain).providerStatus).not.toBe(
      ProviderStatus.READY,
    );
    expect(shareOn(100)).toBe(0);
  });

  it('follows the flag once the portal is up, and keeps its provider', async () => {
    source.setRollout('canary', 100);
    portal = await startFlagSyncServer({
      source,
      port,
      logger: mockServices.logger.mock(),
    });
    await eventually(() => shareOn(100) === 1);
    const connected = OpenFeature.getProvider(domain);
    expect(OpenFeature.getClient(domain).providerStatus).toBe(
      ProviderStatus.READY,
    );

    source.setRollout('canary', 30);
    await eventually(() => shareOn(100) < 1);
    // A fresh batch of users after the change: about 30 % of them get the flag on.
    await new Promise(r => setTimeout(r, 1000));
    shareOn(1);
    await new Promise(r => setTimeout(r, 100));
    const share = shareOn(2000);
    expect(share).toBeGreaterThan(0.18);
    expect(share).toBeLessThan(0.42);
    expect(OpenFeature.getProvider(domain)).toBe(connected);
  });

  it('closes its provider and unbinds its domain, leaving nothing running', async () => {
    await flags.close();
    expect(OpenFeature.getProvider(domain).metadata.name).toBe(
      'No-op Provider',
    );
    await portal!.close();
    await eventually(() => keepingAlive() === idle);
    expect(keepingAlive()).toBe(idle);
  });
});
