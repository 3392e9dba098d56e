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

function bounds(
  config: Config | undefined,
  path: string,
  fallback: DoraTierBounds,
  read: (c: Config, key: string, path: string) => number,
): DoraTierBounds {
  if (!config) return fallback;
  const out = { ...fallback };
  for (const key of TIER_KEYS) {
    if (config.has(key)) out[key] = read(config, key, path);
  }
  return out;
}

export function readDoraConfig(root: Config): DoraConfig {
  const config = root.getOptionalConfig('delivery.dora');
  const tiers = config?.getOptionalConfig('tiers');
  const targets = config?.getOptionalConfig('targets');
  const t = DEFAULT_DORA_TARGETS;
  const perDay = (c: Config, key: string, path: string) => {
    const value = c.getNumber(key);
    if (!(value > 0)) throw new InputError(`${path}.${key} must be above 0`);
    return value;
  };
  return {
    tiers: {
      deploymentFrequency: bounds(
        tiers?.getOptionalConfig('deploymentsPerDay'),
        'delivery.dora.tiers.deploymentsPerDay',
        DEFAULT_DORA_TIERS.deploymentFrequency,
        perDay,
      ),
      leadTime: bounds(
        tiers?.getOptionalConfig('leadTime'),
        'delivery.dora.tiers.leadTime',
        DEFAULT_DORA_TIERS.leadTime,
        durationMs,
      ),
      changeFailureRate: bounds(
        tiers?.getOptionalConfig('changeFailureRate'),
        'delivery.dora.tiers.changeFailureRate',
        DEFAULT_DORA_TIERS.changeFailureRate,
        ratio,
      ),
      recoveryTime: bounds(
        tiers?.getOptionalConfig('recoveryTime'),
        'delivery.dora.tiers.recoveryTime',
        DEFAULT_DORA_TIERS.recoveryTime,
        durationMs,
      ),
    },
    targets: {
      deploymentsPerDayPerTeam:
        targets && targets.has('deploymentsPerDayPerTeam')
          ? perDay(targets, 'deploymentsPerDayPerTeam', 'delivery.dora.targets')
          : t.deploymentsPerDayPerTeam,
      leadTime:
        targets && targets.has('leadTime')
          ? durationMs(targets, 'leadTime', 'delivery.dora.targets')
          : t.leadTime,
      changeFailureRate:
        targets && targets.has('changeFailureRate')
          ? ratio(targets, 'changeFailureRate', 'delivery.dora.targets')
          : t.changeFailureRate,
      recoveryTime:
        targets && targets.has('recoveryTime')
          ? durationMs(targets, 'recoveryTime', 'delivery.dora.targets')
          : t.recoveryTime,
      successRate:
        targets && targets.has('successRate')
          ? ratio(targets, 'successRate', 'delivery.dora.targets')
          : t.successRate,
    },
    productionEnvironments: config?.getOptionalStringArray(
      'productionEnvironments',
    ) ?? ['production'],
  };
}
