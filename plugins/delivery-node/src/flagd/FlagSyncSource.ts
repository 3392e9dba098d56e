import { InputError } from '@backstage/errors';

/**
 * Which flags a provider asks for: one environment, optionally one service's flags only.
 *
 * @public
 */
export interface FlagSyncSelector {
  /** Environment name, e.g. `production`. */
  environment: string;
  /** Catalog entity name of the service, e.g. `payments-api`; all services when absent. */
  service?: string;
}

/**
 * A flagd flag configuration and a revision that changes whenever it may have changed.
 *
 * @public
 */
export interface FlagConfigurationSnapshot {
  /**
   * Changes whenever the configuration may have changed; the server sends a snapshot to a
   * stream only when its revision differs from the last one sent there.
   */
  revision: string;
  /** JSON text of a flagd flag configuration (`{ "flags": { ... } }`). */
  configuration: string;
}

/**
 * Where the flag sync server reads flag configurations from. The delivery backend implements
 * it over its database.
 *
 * @public
 */
export interface FlagSyncSource {
  /**
   * The current flag configuration of an environment, or of one service in it. Throws (e.g.
   * `NotFoundError`, `InputError` from `@backstage/errors`) for an unknown environment or
   * service.
   */
  snapshot(selector: FlagSyncSelector): Promise<FlagConfigurationSnapshot>;
  /**
   * Calls `listener(environment)` whenever that environment's flags may have changed; returns
   * an unsubscribe function. Spurious calls are fine (the server compares revisions).
   */
  watch(listener: (environment: string) => void): () => void;
}

/** An environment or service name: letters, digits, `.`, `_` and `-`, starting with a letter or digit. */
const PART = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Reads a flagd selector of the form `<environment>` or `<environment>/<service>`, e.g.
 * `production/payments-api`; each name is letters, digits, `.`, `_` and `-`. Throws an
 * `InputError` for an empty or malformed one.
 *
 * @public
 */
export function parseFlagSyncSelector(selector: string): FlagSyncSelector {
  const expected =
    'expected <environment> or <environment>/<service>, e.g. production/payments-api';
  if (typeof selector !== 'string' || selector.trim() === '') {
    throw new InputError(`The flag selector is empty: ${expected}`);
  }
  const parts = selector.split('/');
  if (parts.length > 2 || !parts.every(part => PART.test(part))) {
    throw new InputError(
      `The flag selector '${selector}' is malformed: ${expected}`,
    );
  }
  const [environment, service] = parts;
  return service === undefined ? { environment } : { environment, service };
}
