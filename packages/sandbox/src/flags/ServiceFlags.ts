/*
 * A simulated service reading its feature flags the way a real one would: an OpenFeature
 * domain with a flagd provider in in-process mode, streaming `<cluster>/<service>` from a flagd
 * gRPC sync server (the portal).
 */
import {
  Client,
  NOOP_PROVIDER,
  OpenFeature,
  ProviderStatus,
} from '@openfeature/server-sdk';
import { createRandom } from '../traffic/TrafficSimulator';
import { ClosableFlagdProvider } from './ClosableFlagdProvider';

/** Simulated users: `user-0` … `user-9999`, the targeting keys of the requests. */
export const SIMULATED_USERS = 10_000;
/** Users evaluated per batch. */
const BATCH_USERS = 200;
/** A batch older than this is evaluated again (when requests still ask). */
const BATCH_MAX_AGE_MS = 500;

/** Where the simulated services read their flags: a flagd gRPC sync server. */
export interface FlagSyncAddress {
  host: string;
  port: number;
}

/**
 * The latest evaluation of one boolean flag for a batch of random users.
 *
 * Why a batch: the traffic simulator decides each request synchronously inside its tick, and
 * an OpenFeature evaluation is asynchronous (in-process, about 15 µs each). So the flag is
 * evaluated for a batch of users drawn at random from the 10,000 ahead of the requests, and
 * each request takes the verdict of one user of the latest batch: the same share of "on" as
 * drawing the request's user from all 10,000 and evaluating it, at a bounded cost (at most 200
 * evaluations per 0.5 s per flag, and none while no request asks). A change of the flag shows
 * in the requests about half a second after the provider has it.
 */
class FlagBatch {
  readonly #client: Client;
  readonly #flag: string;
  /** Draws the users of a batch. */
  readonly #random: () => number;
  #verdicts: boolean[] = [];
  #evaluatedAt = 0;
  #evaluating = false;
  #closed = false;

  constructor(client: Client, flag: string, random: () => number) {
    this.#client = client;
    this.#flag = flag;
    this.#random = random;
  }

  /** Whether the flag is on for a request's user; `random` draws the user. */
  isOn(random: () => number): boolean {
    if (
      !this.#evaluating &&
      Date.now() - this.#evaluatedAt >= BATCH_MAX_AGE_MS
    ) {
      this.#evaluating = true;
      void this.#evaluate().finally(() => {
        this.#evaluating = false;
      });
    }
    // Before the first batch: off, like a flag not yet known.
    if (this.#verdicts.length === 0) return false;
    return this.#verdicts[Math.floor(random() * this.#verdicts.length)];
  }

  async #evaluate() {
    const verdicts: boolean[] = [];
    for (let i = 0; i < BATCH_USERS && !this.#closed; i++) {
      const user = Math.floor(this.#random() * SIMULATED_USERS);
      // Until the provider is ready (the portal is not up, or does not know the service) this
      // answers the default, false: the version behaves as if the flag were off (healthy).
      verdicts.push(
        await this.#client.getBooleanValue(this.#flag, false, {
          targetingKey: `user-${user}`,
        }),
      );
    }
    this.#verdicts = verdicts;
    this.#evaluatedAt = Date.now();
  }

  close() {
    this.#closed = true;
  }
}

/**
 * Until the provider is first ready, it is replaced by a new one this often. gRPC's reconnect
 * backoff grows to two minutes while the server is down (measured: the portal up after 90 s, the
 * provider connected 52 s later); a new provider has a new channel, which tries at once. Once
 * it has been ready, the provider stays: while it reconnects it keeps the last flags it
 * received, as a real service's would.
 */
const RENEW_UNREADY_MS = 10_000;

/** One simulated service in one cluster and the flags it reads. */
export class ServiceFlags {
  /** The OpenFeature domain of this service's provider. */
  readonly domain: string;
  readonly #selector: string;
  readonly #address: FlagSyncAddress;
  readonly #client: Client;
  readonly #batches = new Map<string, FlagBatch>();
  readonly #random: () => number;
  readonly #renew: NodeJS.Timeout;
  #provider: ClosableFlagdProvider;

  constructor(options: {
    /** Unique per sandbox in the process (OpenFeature's registry is global). */
    domain: string;
    /** The cluster, named like the portal's environment. */
    cluster: string;
    /** The catalog entity name of the service. */
    service: string;
    address: FlagSyncAddress;
    /** Seed of the PRNG that draws the users of a batch. */
    seed: number;
    /** How often a provider that has not been ready yet is replaced (default 10 s). */
    renewUnreadyMs?: number;
  }) {
    this.domain = options.domain;
    this.#selector = `${options.cluster}/${options.service}`;
    this.#address = options.address;
    this.#random = createRandom(options.seed);
    this.#client = OpenFeature.getClient(this.domain);
    this.#provider = this.#connect();
    this.#renew = setInterval(() => {
      if (this.#client.providerStatus === ProviderStatus.READY) {
        clearInterval(this.#renew);
      } else {
        // The SDK closes the provider it replaces.
        this.#provider = this.#connect();
      }
    }, options.renewUnreadyMs ?? RENEW_UNREADY_MS);
    this.#renew.unref();
  }

  /** A provider for the domain, not waited for. */
  #connect(): ClosableFlagdProvider {
    const provider = new ClosableFlagdProvider({
      resolverType: 'in-process',
      host: this.#address.host,
      port: this.#address.port,
      tls: false,
      selector: this.#selector,
      // Retry at least every 2 s while the portal is not up (it starts after the sandbox).
      retryBackoffMaxMs: 2000,
      // No periodic reconnect: the portal's sync server keeps streams open.
      streamDeadlineMs: 0,
    });
    // Not awaited: the sandbox starts without the portal, and the provider keeps retrying in the
    // background. A failed first attempt only means "not ready yet" here.
    OpenFeature.setProviderAndWait(this.domain, provider).catch(() => {});
    return provider;
  }

  /**
   * A per-request verdict for the traffic simulator: whether the request's user (drawn with
   * the simulator's PRNG) gets the boolean `flag` on.
   */
  verdict(flag: string): (random: () => number) => boolean {
    let batch = this.#batches.get(flag);
    if (!batch) {
      batch = new FlagBatch(this.#client, flag, this.#random);
      this.#batches.set(flag, batch);
    }
    const b = batch;
    return random => b.isOn(random);
  }

  /** Closes the provider and unbinds the domain. */
  async close(): Promise<void> {
    clearInterval(this.#renew);
    for (const batch of this.#batches.values()) batch.close();
    await this.#provider.onClose();
    // Unbinds the domain (the SDK would close the provider again: that is a no-op now).
    await OpenFeature.setProviderAndWait(this.domain, NOOP_PROVIDER);
  }
}
