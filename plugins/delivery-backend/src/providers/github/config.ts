import { Config, readDurationFromConfig } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { durationToMilliseconds } from '@backstage/types';

/** How the plugin spends its GitHub rate limit (`delivery.github.cache` and `…eligibilityRateLimit`). */
export interface GitHubBudgetConfig {
  cache: {
    /** How long answers and their entity tags are kept for conditional requests. */
    ttlMs: number;
    /** How long settled facts of a commit (all CI finished, on the branch) are reused. */
    settledForMs: number;
  };
  eligibilityRateLimit: { requests: number; perMs: number };
}

function durationMs(config: Config, key: string, fallbackMs: number): number {
  return config.has(key)
    ? durationToMilliseconds(readDurationFromConfig(config, { key }))
    : fallbackMs;
}

/** Reads `delivery.github.cache` and `delivery.github.eligibilityRateLimit`, with defaults. */
export function readGitHubBudgetConfig(config: Config): GitHubBudgetConfig {
  const limitKey = 'delivery.github.eligibilityRateLimit';
  const requests = config.getOptionalNumber(`${limitKey}.requests`) ?? 30;
  const perMs = durationMs(config, `${limitKey}.per`, 60_000);
  if (!Number.isInteger(requests) || requests < 1) {
    throw new InputError(
      `${limitKey}.requests must be a whole number of at least 1, not ${requests}`,
    );
  }
  if (perMs <= 0) {
    throw new InputError(`${limitKey}.per must be a positive duration`);
  }
  return {
    cache: {
      ttlMs: durationMs(config, 'delivery.github.cache.ttl', 24 * 3_600_000),
      settledForMs: durationMs(
        config,
        'delivery.github.cache.settledFor',
        5 * 60_000,
      ),
    },
    eligibilityRateLimit: { requests, perMs },
  };
}
