import { ConfigReader } from '@backstage/config';
import {
  DEFAULT_DORA_TARGETS,
  DEFAULT_DORA_TIERS,
} from '@internal/plugin-delivery-common';
import { readDoraConfig } from './config';

const read = (dora: object) =>
  readDoraConfig(new ConfigReader({ delivery: { dora } }));

describe('readDoraConfig', () => {
  it('defaults to DORA 2024 tiers, the process targets and production', () => {
    expect(readDoraConfig(new ConfigReader({}))).toEqual({
      tiers: DEFAULT_DORA_TIERS,
      targets: DEFAULT_DORA_TARGETS,
      productionEnvironments: ['production'],
    });
  });

  it('overrides what is given, keeping the rest', () => {
    const config = read({
      productionEnvironments: ['prod'],
      tiers: {
        deploymentsPerDay: { elite: 2 },
        leadTime: { high: { days: 3 } },
        changeFailureRate: { medium: 0.3 },
      },
      targets: { leadTime: '1h', successRate: 0.99 },
    });
    expect(config.productionEnvironments).toEqual(['prod']);
    expect(config.tiers.deploymentFrequency).toEqual({
      ...DEFAULT_DORA_TIERS.deploymentFrequency,
      elite: 2,
    });
    expect(config.tiers.leadTime.high).toBe(3 * 86_400_000);
    expect(config.tiers.changeFailureRate.medium).toBe(0.3);
    expect(config.tiers.recoveryTime).toEqual(DEFAULT_DORA_TIERS.recoveryTime);
    expect(config.targets).toEqual({
      ...DEFAULT_DORA_TARGETS,
      leadTime: 3_600_000,
      successRate: 0.99,
    });
  });

  it('names a bad value', () => {
    expect(() => read({ targets: { changeFailureRate: 5 } })).toThrow(
      'delivery.dora.targets.changeFailureRate must be a number from 0 to 1',
    );
    expect(() => read({ tiers: { deploymentsPerDay: { high: 0 } } })).toThrow(
      'delivery.dora.tiers.deploymentsPerDay.high must be above 0',
    );
  });
});
