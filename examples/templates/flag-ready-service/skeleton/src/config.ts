/**
 * What the service is called and how it finds its flags. The two constants were filled in by
 * the portal's "Flag-ready service" template; everything else comes from the environment.
 */

/** The catalog name of the service: its Deployment, namespace and flag selector use it. */
export const SERVICE_NAME = '${{ values.name }}';

/** The service's first feature flag, created off in every environment with the service. */
export const FIRST_FLAG = '${{ values.flagKey }}';

/** Where the flags come from: the portal's flagd gRPC sync server, in-process evaluation. */
export interface FlagSyncConfig {
  host: string;
  port: number;
  /** `<environment>/<service>`: the portal serves each environment's flags of one service. */
  selector: string;
}

export interface Config {
  /** The HTTP port (0 picks a free one). */
  port: number;
  /** Undefined when the environment is unknown: every flag then evaluates to its default. */
  flags?: FlagSyncConfig;
  /** How long a shutdown keeps serving after /healthz turned 503, before it stops accepting. */
  drainDelayMs: number;
  /** How long a shutdown then waits for open requests before it closes them. */
  shutdownTimeoutMs: number;
}

function integer(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
): number {
  const text = env[name]?.trim();
  if (!text) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`${name} must be a non-negative integer, not ${text}`);
  }
  return value;
}

/**
 * Reads the configuration from environment variables:
 *
 * - `PORT` (default 8080);
 * - `FLAGD_HOST` (default localhost) and `FLAGD_PORT` (default 8015): the portal's flag sync;
 * - `FLAGD_SELECTOR`, or else `DEPLOY_ENVIRONMENT` (then the selector is
 *   `<DEPLOY_ENVIRONMENT>/<SERVICE_NAME>`); with neither, flags are not synced;
 * - `DRAIN_DELAY_MS` (default 0; the Deployment sets 5000) and `SHUTDOWN_TIMEOUT_MS` (default
 *   10000): see {@link Config}.
 */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Config {
  const environment = env.DEPLOY_ENVIRONMENT?.trim();
  const selector =
    env.FLAGD_SELECTOR?.trim() ||
    (environment ? `${environment}/${SERVICE_NAME}` : undefined);
  return {
    port: integer(env, 'PORT', 8080),
    flags: selector
      ? {
          host: env.FLAGD_HOST?.trim() || 'localhost',
          port: integer(env, 'FLAGD_PORT', 8015),
          selector,
        }
      : undefined,
    drainDelayMs: integer(env, 'DRAIN_DELAY_MS', 0),
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', 10_000),
  };
}
