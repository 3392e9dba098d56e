/*
 * Test helpers for the simulated services' flags: the portal's flags in memory (a
 * FlagSyncSource for plugin-delivery-node's startFlagSyncServer), and polling helpers.
 */
import { NotFoundError } from '@backstage/errors';
import type {
  FlagConfigurationSnapshot,
  FlagSyncSelector,
  FlagSyncSource,
} from '@internal/plugin-delivery-node';
import { EventEmitter } from 'node:events';
import net from 'node:net';

/** A boolean flag rolled out to `percent` % of users (flagd's `fractional` in between). */
function rollout(percent: number) {
  return {
    state: 'ENABLED',
    variants: { on: true, off: false },
    defaultVariant: percent === 100 ? 'on' : 'off',
    ...(percent > 0 && percent < 100
      ? {
          targeting: {
            fractional: [
              ['on', percent],
              ['off', 100 - percent],
            ],
          },
        }
      : {}),
  };
}

/**
 * The portal's flags in memory: one boolean flag of one service in uat, canary and production,
 * off at first; every change bumps the environment's revision and announces it.
 */
export class RolloutFlagSource implements FlagSyncSource {
  readonly #service: string;
  readonly #flag: string;
  readonly #percent = new Map<string, number>([
    ['uat', 0],
    ['canary', 0],
    ['production', 0],
  ]);
  readonly #revisions = new Map<string, number>();
  readonly #changes = new EventEmitter();

  constructor(service: string, flag: string) {
    this.#service = service;
    this.#flag = flag;
  }

  setRollout(environment: string, percent: number) {
    this.#percent.set(environment, percent);
    this.#revisions.set(
      environment,
      (this.#revisions.get(environment) ?? 0) + 1,
    );
    this.#changes.emit('change', environment);
  }

  async snapshot(
    selector: FlagSyncSelector,
  ): Promise<FlagConfigurationSnapshot> {
    const percent = this.#percent.get(selector.environment);
    if (percent === undefined) {
      throw new NotFoundError(`No environment '${selector.environment}'`);
    }
    if (selector.service && selector.service !== this.#service) {
      throw new NotFoundError(`No service '${selector.service}'`);
    }
    return {
      revision: String(this.#revisions.get(selector.environment) ?? 0),
      configuration: JSON.stringify({
        flags: { [this.#flag]: rollout(percent) },
      }),
    };
  }

  watch(listener: (environment: string) => void) {
    this.#changes.on('change', listener);
    return () => {
      this.#changes.off('change', listener);
    };
  }
}

/** A port nothing listens on (yet). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns true; fails after `seconds`. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  seconds = 15,
): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`Still not true after ${seconds} s: ${check}`);
    }
    await new Promise(r => setTimeout(r, 100));
  }
}

/** The kinds of resources that keep the process alive: timers, sockets, servers. */
export function keepingAlive(): string {
  return process
    .getActiveResourcesInfo()
    .filter(kind => kind !== 'Immediate')
    .sort()
    .join(', ');
}
