import { Config, readDurationFromConfig } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { durationToMilliseconds } from '@backstage/types';
import {
  DEFAULT_DORA_TARGETS,
  DEFAULT_DORA_TIERS,
  DoraTargets,
  DoraTierBounds,
  DoraTiers,
} from '@internal/plugin-delivery-common';

/** `delivery.dora`: tiers, targets, and which GitHub environments are production. */
export interface DoraConfig {
  tiers: DoraTiers;
  targets: DoraTargets;
  /** GitHub deployment environments that count as production (default `production`). */
  productionEnvironments: string[];
}

const TIER_KEYS = ['elite', 'high', 'medium'] as const;

function durationMs(config: Config, key: string, path: string): number {
  const ms = durationToMilliseconds(readDurationFromConfig(config, { key }));
  if (!(ms > 0)) throw new InputError(`${path}.${key} must be longer than 0`);
  return ms;
}

function ratio(config: Config, key: string, path: string): number {
  const value = config.getNumber(key);
  if (!(value >= 0 && value <= 1)) {
    throw new InputError(`${path}.${key} must be a number from 0 to 1`);
  }
  return value;
}

type Reader = (c: Config, key: string, path: string) => number;

function bounds(
  config: Config | undefined,
  path: string,
  fallback: DoraTierBounds,
  read: Reader,
): DoraTierBounds {
  if (!config) return fallback;
  const out = { ...fallback };
  for (const key of TIER_KEYS) {
    if (config.has(key)) out[key] = read(config, key, path);
  }
  return out;
}

function perDay(c: Config, key: string, path: string): number {
  const value = c.getNumber(key);
  if (!(value > 0)) throw new InputError(`${path}.${key} must be above 0`);
  return value;
}

/** How each tier and target is read (config key, reader). */
const TIERS: Record<keyof DoraTiers, [string, Reader]> = {
  deploymentFrequency: ['deploymentsPerDay', perDay],
  leadTime: ['leadTime', durationMs],
  changeFailureRate: ['changeFailureRate', ratio],
  recoveryTime: ['recoveryTime', durationMs],
};
const TARGETS: Record<keyof DoraTargets, Reader> = {
  deploymentsPerDayPerTeam: perDay,
  leadTime: durationMs,
  changeFailureRate: ratio,
  recoveryTime: durationMs,
  successRate: ratio,
};

export function readDoraConfig(root: Config): DoraConfig {
  const config = root.getOptionalConfig('delivery.dora');
  const tierConfig = config?.getOptionalConfig('tiers');
  const targetConfig = config?.getOptionalConfig('targets');
  const tiers = { ...DEFAULT_DORA_TIERS };
  for (const [metric, [key, read]] of Object.entries(TIERS) as Array<
    [keyof DoraTiers, [string, Reader]]
  >) {
    tiers[metric] = bounds(
      tierConfig?.getOptionalConfig(key),
      `delivery.dora.tiers.${key}`,
      DEFAULT_DORA_TIERS[metric],
      read,
    );
  }
  const targets = { ...DEFAULT_DORA_TARGETS };
  for (const [key, read] of Object.entries(TARGETS) as Array<
    [keyof DoraTargets, Reader]
  >) {
    if (targetConfig?.has(key)) {
      targets[key] = read(targetConfig, key, 'delivery.dora.targets');
    }
  }
  return {
    tiers,
    targets,
    productionEnvironments: config?.getOptionalStringArray(
      'productionEnvironments',
    ) ?? ['production'],
  };
}
