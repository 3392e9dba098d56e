import { Config, readDurationFromConfig } from '@backstage/config';
import { InputError } from '@backstage/errors';
import {
  DEFAULT_DECISION_THRESHOLDS,
  DecisionThresholds,
} from '@internal/plugin-delivery-common';
import { durationToMilliseconds } from '@backstage/types';

/** `delivery.rollback`: the automation and the decision engine's thresholds. */
export interface RollbackConfig {
  /** Whether the engine acts on its own (default true). */
  automation: boolean;
  /** How often the automation analyses watched services (default 10 s). */
  analysisIntervalMs: number;
  /** How long after a deployment succeeded it keeps watching (default 10 minutes). */
  watchAfterDeployMs: number;
  /** Baseline window of the business metric (default 1 hour). */
  baselineSeconds: number;
  /** Thresholds overriding the process's defaults. */
  thresholds: Partial<DecisionThresholds>;
}

function duration(config: Config | undefined, key: string, fallbackMs: number) {
  if (!config?.has(key)) return fallbackMs;
  const ms = durationToMilliseconds(readDurationFromConfig(config, { key }));
  if (!(ms > 0)) {
    throw new InputError(`delivery.rollback.${key} must be longer than 0`);
  }
  return ms;
}

export function readRollbackConfig(root: Config): RollbackConfig {
  const config = root.getOptionalConfig('delivery.rollback');
  const thresholds: Partial<DecisionThresholds> = {};
  const t = config?.getOptionalConfig('thresholds');
  for (const key of Object.keys(DEFAULT_DECISION_THRESHOLDS) as Array<
    keyof DecisionThresholds
  >) {
    if (key === 'secondBreachWindowMs') continue;
    const value = t?.getOptionalNumber(key);
    if (value === undefined) continue;
    if (!(value >= 0)) {
      throw new InputError(
        `delivery.rollback.thresholds.${key} must be a number of at least 0`,
      );
    }
    thresholds[key] = value;
  }
  if (t?.has('secondBreachWindow')) {
    thresholds.secondBreachWindowMs = duration(t, 'secondBreachWindow', 0);
  }
  return {
    automation: config?.getOptionalBoolean('automation.enabled') ?? true,
    analysisIntervalMs: duration(config, 'analysisInterval', 10_000),
    watchAfterDeployMs: duration(config, 'watchAfterDeploy', 10 * 60_000),
    baselineSeconds: duration(config, 'baseline', 3_600_000) / 1000,
    thresholds,
  };
}
