import { mockServices } from '@backstage/backend-test-utils';
import { NotFoundError } from '@backstage/errors';
import * as grpc from '@grpc/grpc-js';
import { FlagdProvider } from '@openfeature/flagd-provider';
import {
  OpenFeature,
  ProviderEvents,
  ProviderStatus,
} from '@openfeature/server-sdk';
import { EventEmitter } from 'node:events';
import {
  FlagConfigurationSnapshot,
  FlagSyncSelector,
  FlagSyncSource,
} from './FlagSyncSource';
import { FlagSyncServer, startFlagSyncServer } from './FlagSyncServer';
import { flagSyncServiceDefinition } from './syncProto';

jest.setTimeout(30_000);

/** A flag as flagd reads it. */
interface FlagdFlag {
  state: 'ENABLED' | 'DISABLED';
  variants: Record<string, unknown>;
  defaultVariant: string;
  targeting?: Record<string, unknown>;
}

const bool = (
  defaultVariant: 'on' | 'off',
  targeting?: Record<string, unknown>,
): FlagdFlag => ({
  state: 'ENABLED',
  variants: { on: true, off: false },
  defaultVariant,
  ...(targeting ? { targeting } : {}),
});

/** Flags per environment and service in memory; every change bumps the environment's revision. */
class MemoryFlagSource implements FlagSyncSource {
  readonly #environments = new Map<
    string,
    { revision: number; services: Map<string, Record<string, FlagdFlag>> }
  >();
  readonly #changes = new EventEmitter();
  /** When set, snapshot() throws it. */
  failure?: Error;

  addEnvironment(environment: string, services: string[]) {
    this.#environments.set(environment, {
      revision: 1,
      services: new Map(services.map(s => [s, {}])),
    });
  }

  setFlag(environment: string, service: string, key: string, flag: FlagdFlag) {
    const env = this.#environments.get(environment)!;
    env.services.get(service)![key] = flag;
    env.revision++;
    this.#changes.emit('change', environment);
  }

  /** Announces a change that is none (same revision). */
  touch(environment: string) {
    this.#changes.emit('change', environment);
  }

  async snapshot(
    selector: FlagSyncSelector,
  ): Promise<FlagConfigurationSnapshot> {
    if (this.failure) throw this.failure;
    const env = this.#environments.get(selector.environment);
    if (!env) {
      throw new NotFoundError(`No environment '${selector.environment}'`);
    }
    const services = selector.service
      ? [selector.service]
      : [...env.services.keys()];
    const flags: Record<string, FlagdFlag> = {};
    for (const service of services) {
      const own = env.services.get(service);
      if (!own) {
        throw new NotFoundError(
          `No service '${service}' in '${selector.environment}'`,
        );
      }
      Object.assign(flags, own);
    }
    return {
      revision: String(env.revision),
      configuration: JSON.stringify({ flags }),
    };
  }

  /** How many listeners watch the source. */
  get watchers(): number {
    return this.#changes.listenerCount('change');
  }

  watch(listener: (environment: string) => void) {
    this.#changes.on('change', listener);
    return () => {
      this.#changes.off('change', listener);
    };
  }
}

/**
 * A FlagdProvider whose close is final. @openfeature/flagd-provider 0.16 schedules a sync
 * reconnect with a bare setTimeout: one pending at close reopens the closed client and retries
 * forever (open-feature/js-sdk-contrib#1484). The same workaround as the sandbox's
 * `ClosableFlagdProvider`: own the reconnect timer, cancel it on close, and ignore the closed
 * client's errors.
 */
class ClosableFlagdProvider extends FlagdProvider {
  #closed = false;
  #reconnect?: NodeJS.Timeout;

  constructor(options: ConstructorParameters<typeof FlagdProvider>[0]) {
    super(options);
    const fetcher = (this as any)._service?._dataFetcher;
    const { listen, handleError } = fetcher ?? {};
    if (
      typeof listen !== 'function' ||
      typeof handleError !== 'function' ||
      typeof fetcher.reconnect !== 'function' ||
      typeof fetcher._maxBackoffMs !== 'number'
    ) {
      return;
    }
    fetcher.reconnect = (...args: unknown[]) => {
      const delay = fetcher._errorThrottled ? fetcher._maxBackoffMs : 0;
      fetcher._errorThrottled = false;
      this.#reconnect = setTimeout(() => fetcher.listen(...args), delay);
    };
    fetcher.listen = (...args: unknown[]) =>
      this.#closed ? undefined : listen.apply(fetcher, args);
    fetcher.handleError = (...args: unknown[]) =>
      this.#closed ? undefined : handleError.apply(fetcher, args);
  }

  async onClose() {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#reconnect);
    await super.onClose();
  }
}

function providerFor(port: number, selector: string) {
  return new ClosableFlagdProvider({
    resolverType: 'in-process',
    host: '127.0.0.1',
    port,
    tls: false,
    selector,
    deadlineMs: 2000,
    retryBackoffMaxMs: 1000,
    streamDeadlineMs: 0,
  });
}

const SyncClient = grpc.makeGenericClientConstructor(
  flagSyncServiceDefinition(),
  'FlagSyncService',
);

function rawClient(port: number): grpc.Client & Record<string, any> {
  return new SyncClient(
    `127.0.0.1:${port}`,
    grpc.credentials.createInsecure(),
  ) as any;
}

/** A raw SyncFlags stream: the configurations it received, and how it ended. */
function openStream(
  client: ReturnType<typeof rawClient>,
  request: { selector?: string },
  header?: string,
) {
  const metadata = new grpc.Metadata();
  if (header) metadata.set('flagd-selector', header);
  const call: grpc.ClientReadableStream<any> = client.SyncFlags(
    { providerId: 'test', ...request },
    metadata,
  );
  const received: string[] = [];
  // Every end of a call comes with a status (an error status also comes as an 'error' event).
  call.on('error', () => {});
  const stream = {
    received,
    ended: new Promise<grpc.StatusObject>(resolve =>
      call.on('status', resolve),
    ),
    cancel: () => call.cancel(),
  };
  call.on('data', (message: { flagConfiguration: string }) =>
    received.push(message.flagConfiguration),
  );
  return stream;
}

function fetchAll(
  client: ReturnType<typeof rawClient>,
  selector: string,
): Promise<{ flagConfiguration: string }> {
  return new Promise((resolve, reject) =>
    client.FetchAllFlags(
      { providerId: 'test', selector },
      (error: grpc.ServiceError | null, response: any) =>
        error ? reject(error) : resolve(response),
    ),
  );
}

/** The kinds of resources that keep the process alive: timers, sockets, servers. */
function keepingAlive(): string {
  return process
    .getActiveResourcesInfo()
    .filter(kind => kind !== 'Immediate')
    .sort()
    .join(', ');
}

/** Polls `check` until it returns true; fails after 10 s. */
async function eventually(check: () => boolean | Promise<boolean>) {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`Still not true after 10 s: ${check}`);
    }
    await new Promise(r => setTimeout(r, 20));
  }
}

describe('startFlagSyncServer', () => {
  const logger = mockServices.logger.mock();
  let source: MemoryFlagSource;
  let server: FlagSyncServer;
  let client: ReturnType<typeof rawClient>;
  /** What kept the process alive before the test started anything. */
  let idle: string;

  beforeAll(async () => {
    idle = keepingAlive();
    source = new MemoryFlagSource();
    for (const env of ['uat', 'canary', 'production']) {
      source.addEnvironment(env, ['payments-api', 'checkout-web']);
      source.setFlag(env, 'payments-api', 'http2-payment-client', bool('off'));
      source.setFlag(env, 'checkout-web', 'one-click', bool('off'));
    }
    server = await startFlagSyncServer({ source, port: 0, logger });
    client = rawClient(server.port);
  });

  afterAll(async () => {
    client.close();
    await OpenFeature.clearProviders();
    await server.close();
  });

  describe('with the flagd provider in in-process mode', () => {
    it('serves a service its flags, follows changes, and splits a fractional rollout', async () => {
      await OpenFeature.setProviderAndWait(
        'uat-payments',
        providerFor(server.port, 'uat/payments-api'),
      );
      const flags = OpenFeature.getClient('uat-payments');
      const evaluate = () =>
        flags.getBooleanValue('http2-payment-client', true, {
          targetingKey: 'user-1',
        });
      expect(await evaluate()).toBe(false);
      // Another service's flags are not in this service's configuration.
      expect(
        (await flags.getBooleanDetails('one-click', false)).errorCode,
      ).toBe('FLAG_NOT_FOUND');

      source.setFlag('uat', 'payments-api', 'http2-payment-client', bool('on'));
      await eventually(async () => (await evaluate()) === true);

      source.setFlag(
        'uat',
        'payments-api',
        'http2-payment-client',
        bool('off', {
          fractional: [
            ['on', 10],
            ['off', 90],
          ],
        }),
      );
      await eventually(async () => (await evaluate()) !== true);
      await eventually(async () => {
        const details = await flags.getBooleanDetails(
          'http2-payment-client',
          false,
          { targetingKey: 'user-1' },
        );
        return details.reason === 'TARGETING_MATCH';
      });
      let on = 0;
      for (let i = 0; i < 2000; i++) {
        if (
          await flags.getBooleanValue('http2-payment-client', false, {
            targetingKey: `user-${i}`,
          })
        ) {
          on++;
        }
      }
      expect(on).toBeGreaterThan(150);
      expect(on).toBeLessThan(250);
    });

    it("sends each environment's streams only their environment's changes, once per change", async () => {
      const uat = openStream(client, { selector: 'uat' });
      const production = openStream(client, {
        selector: 'production/payments-api',
      });
      await OpenFeature.setProviderAndWait(
        'production-payments',
        providerFor(server.port, 'production/payments-api'),
      );
      const changed = { uat: 0, production: 0 };
      OpenFeature.getClient('uat-payments').addHandler(
        ProviderEvents.ConfigurationChanged,
        () => changed.uat++,
      );
      OpenFeature.getClient('production-payments').addHandler(
        ProviderEvents.ConfigurationChanged,
        () => changed.production++,
      );
      await eventually(
        () => uat.received.length === 1 && production.received.length === 1,
      );
      expect(JSON.parse(uat.received[0]).flags).toHaveProperty('one-click');
      expect(JSON.parse(production.received[0]).flags).not.toHaveProperty(
        'one-click',
      );

      source.setFlag('uat', 'payments-api', 'http2-payment-client', bool('on'));
      source.setFlag('uat', 'checkout-web', 'one-click', bool('on'));
      source.setFlag(
        'production',
        'payments-api',
        'http2-payment-client',
        bool('on'),
      );
      await eventually(() => production.received.length === 2);
      await eventually(() => changed.production === 1 && changed.uat >= 1);
      // Announcements of no change (same revision) send nothing.
      source.touch('uat');
      source.touch('production');
      await new Promise(r => setTimeout(r, 300));

      // The two uat changes came before the first read finished, or after: one or two sends.
      expect(uat.received.length).toBeGreaterThanOrEqual(2);
      expect(uat.received.length).toBeLessThanOrEqual(3);
      expect(new Set(uat.received).size).toBe(uat.received.length);
      expect(production.received).toHaveLength(2);
      expect(changed.production).toBe(1);
      expect(
        await OpenFeature.getClient('production-payments').getBooleanValue(
          'http2-payment-client',
          false,
        ),
      ).toBe(true);
      const canary = openStream(client, { selector: 'canary/payments-api' });
      await eventually(() => canary.received.length === 1);
      expect(
        JSON.parse(canary.received[0]).flags['http2-payment-client']
          .defaultVariant,
      ).toBe('off');

      for (const s of [uat, production, canary]) s.cancel();
      const ends = await Promise.all(
        [uat, production, canary].map(s => s.ended),
      );
      expect(ends.map(end => end.code)).toEqual([
        grpc.status.CANCELLED,
        grpc.status.CANCELLED,
        grpc.status.CANCELLED,
      ]);
    });

    it('fails a provider whose environment does not exist, with NOT_FOUND', async () => {
      await expect(
        OpenFeature.setProviderAndWait(
          'nowhere',
          providerFor(server.port, 'nowhere/payments-api'),
        ),
      ).rejects.toThrow(/NOT_FOUND: No environment 'nowhere'/);
      const flags = OpenFeature.getClient('nowhere');
      expect(flags.providerStatus).toBe(ProviderStatus.ERROR);
      expect(await flags.getBooleanValue('http2-payment-client', false)).toBe(
        false,
      );

      const stream = openStream(client, { selector: 'nowhere' });
      const status = await stream.ended;
      expect(status.code).toBe(grpc.status.NOT_FOUND);
      expect(status.details).toBe("No environment 'nowhere'");
      expect(stream.received).toEqual([]);
    });
  });

  describe('over raw gRPC', () => {
    it('answers FetchAllFlags with one snapshot', async () => {
      const response = await fetchAll(client, 'canary/checkout-web');
      expect(JSON.parse(response.flagConfiguration)).toEqual({
        flags: { 'one-click': bool('off') },
      });
      const all = await fetchAll(client, 'canary');
      expect(
        Object.keys(JSON.parse(all.flagConfiguration).flags).sort(),
      ).toEqual(['http2-payment-client', 'one-click']);
    });

    it('maps unknown selectors to NOT_FOUND and malformed ones to INVALID_ARGUMENT', async () => {
      await expect(fetchAll(client, 'canary/nope')).rejects.toMatchObject({
        code: grpc.status.NOT_FOUND,
        details: "No service 'nope' in 'canary'",
      });
      await expect(fetchAll(client, 'nowhere')).rejects.toMatchObject({
        code: grpc.status.NOT_FOUND,
      });
      await expect(fetchAll(client, 'a/b/c')).rejects.toMatchObject({
        code: grpc.status.INVALID_ARGUMENT,
        details: expect.stringMatching(/'a\/b\/c' is malformed/),
      });
      await expect(fetchAll(client, '')).rejects.toMatchObject({
        code: grpc.status.INVALID_ARGUMENT,
        details: expect.stringMatching(/selector is empty/),
      });
      const stream = openStream(client, { selector: 'canary/' });
      expect((await stream.ended).code).toBe(grpc.status.INVALID_ARGUMENT);
    });

    it('reads the selector from the flagd-selector header when the request has none; the request field wins', async () => {
      const byHeader = openStream(client, {}, 'production/checkout-web');
      const both = openStream(
        client,
        { selector: 'canary/payments-api' },
        'production/checkout-web',
      );
      await eventually(
        () => byHeader.received.length === 1 && both.received.length === 1,
      );
      expect(Object.keys(JSON.parse(byHeader.received[0]).flags)).toEqual([
        'one-click',
      ]);
      expect(Object.keys(JSON.parse(both.received[0]).flags)).toEqual([
        'http2-payment-client',
      ]);
      byHeader.cancel();
      both.cancel();
      await Promise.all([byHeader.ended, both.ended]);
    });

    it('ends the streams of a selector with UNAVAILABLE when the source fails, and serves again after', async () => {
      const stream = openStream(client, { selector: 'uat/checkout-web' });
      await eventually(() => stream.received.length === 1);
      source.failure = new Error('database is down');
      source.setFlag('uat', 'checkout-web', 'one-click', bool('off'));
      const status = await stream.ended;
      expect(status.code).toBe(grpc.status.UNAVAILABLE);
      expect(status.details).toBe(
        'The flag configuration could not be read: database is down',
      );
      source.failure = undefined;
      const again = openStream(client, { selector: 'uat/checkout-web' });
      await eventually(() => again.received.length === 1);
      again.cancel();
      await again.ended;
    });

    it('answers GetMetadata with an empty Struct', async () => {
      const response = await new Promise<any>((resolve, reject) =>
        client.GetMetadata({}, (error: Error | null, r: unknown) =>
          error ? reject(error) : resolve(r),
        ),
      );
      expect(response.metadata).toEqual({ fields: {} });
    });
  });

  describe('close', () => {
    it('ends open streams with UNAVAILABLE, stops watching and stops listening', async () => {
      const own = new MemoryFlagSource();
      own.addEnvironment('uat', ['payments-api']);
      const closing = await startFlagSyncServer({
        source: own,
        port: 0,
        logger,
      });
      const ownClient = rawClient(closing.port);
      await OpenFeature.setProviderAndWait(
        'closing',
        providerFor(closing.port, 'uat/payments-api'),
      );
      const stream = openStream(ownClient, { selector: 'uat' });
      await eventually(() => stream.received.length === 1);
      expect(own.watchers).toBe(1);

      await closing.close();
      const status = await stream.ended;
      expect(status.code).toBe(grpc.status.UNAVAILABLE);
      expect(status.details).toBe('The flag sync server is shutting down');
      expect(own.watchers).toBe(0);
      await expect(fetchAll(ownClient, 'uat')).rejects.toMatchObject({
        code: grpc.status.UNAVAILABLE,
      });
      ownClient.close();
      // The provider lost its stream and retries until it is closed (afterAll).
      await closing.close();
    });
  });

  it('leaves nothing running once the providers and the server are closed', async () => {
    client.close();
    await OpenFeature.clearProviders();
    await server.close();
    await eventually(() => keepingAlive() === idle);
    expect(keepingAlive()).toBe(idle);
  });
});
