import { LoggerService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import { FlagSyncSource } from '@internal/plugin-delivery-node';
import { FlagStore } from './FlagStore';
import { flagdConfiguration, serviceRef } from './flagd';

/** Which flags a sync client asks for: one environment, optionally one service's only. */
export interface FlagSelector {
  environment: string;
  /** An entity ref or a component's name. */
  service?: string;
}

/** A flag configuration and the revision it was read at. */
export interface FlagSnapshot {
  /** Equal revisions mean equal configurations (the ETag of the HTTP source). */
  revision: string;
  /** A flagd flag configuration, JSON text. */
  configuration: string;
}

/**
 * The flags an environment serves, as flagd's sync sources read them (HTTP and gRPC), and
 * news of their changes on every replica: the database is the source of truth, so each replica
 * reads the environments' revisions (bumped in the same transaction as every change) every
 * `pollIntervalMs` while anyone listens, and tells its listeners which environments moved.
 * Changes made on this replica are told at once.
 */
export class FlagSync implements FlagSyncSource {
  readonly #listeners = new Set<(environment: string) => void>();
  readonly #known = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #polling = false;

  constructor(
    private readonly deps: {
      store: FlagStore;
      environments: string[];
      pollIntervalMs: number;
      logger?: LoggerService;
    },
  ) {}

  async snapshot(selector: FlagSelector): Promise<FlagSnapshot> {
    const { environment } = selector;
    if (!this.deps.environments.includes(environment)) {
      throw new NotFoundError(
        `There is no environment ${environment} (${this.deps.environments.join(
          ', ',
        )})`,
      );
    }
    const entityRef = selector.service
      ? serviceRef(selector.service)
      : undefined;
    const { revision, flags } = await this.deps.store.served(
      environment,
      entityRef,
    );
    return {
      revision: `${environment}:${revision}:${entityRef ?? '*'}`,
      configuration: JSON.stringify(
        flagdConfiguration(flags, { namespaced: !entityRef }),
      ),
    };
  }

  /** Calls `listener(environment)` when that environment's flags may have changed. */
  watch(listener: (environment: string) => void): () => void {
    this.#listeners.add(listener);
    this.#start();
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.#stop();
    };
  }

  /** Tells listeners at once of a change made on this replica. */
  changed(environments: Iterable<string>) {
    for (const environment of environments) this.#tell(environment);
  }

  close() {
    this.#listeners.clear();
    this.#stop();
  }

  #tell(environment: string) {
    for (const listener of [...this.#listeners]) {
      try {
        listener(environment);
      } catch (error) {
        this.deps.logger?.warn(`A flag sync listener failed: ${error}`);
      }
    }
  }

  #start() {
    if (this.#timer) return;
    const poll = async () => {
      if (this.#polling) return;
      this.#polling = true;
      try {
        const revisions = await this.deps.store.revisions();
        for (const [environment, revision] of revisions) {
          if (this.#known.get(environment) !== revision) {
            this.#known.set(environment, revision);
            // Listeners compare revisions themselves, so a spurious call (the first read) only
            // costs them a read; a missed one would leave a provider behind.
            this.#tell(environment);
          }
        }
      } catch (error) {
        this.deps.logger?.warn(`Could not read the flag revisions: ${error}`);
      } finally {
        this.#polling = false;
      }
    };
    void poll();
    this.#timer = setInterval(poll, this.deps.pollIntervalMs);
    this.#timer.unref?.();
  }

  #stop() {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
