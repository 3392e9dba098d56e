import { ConfigReader } from '@backstage/config';
import { readDeliveryConfig } from './config';

function config(delivery: object) {
  return new ConfigReader({
    kubernetes: {
      clusterLocatorMethods: [
        {
          type: 'config',
          clusters: [
            { name: 'test', url: 'https://test.example' },
            { name: 'live', url: 'https://live.example' },
          ],
        },
      ],
    },
    delivery,
  });
}

describe('readDeliveryConfig', () => {
  it('defaults verification windows by position, never by name: the last environment is production', () => {
    const { pipeline } = readDeliveryConfig(
      config({
        environments: [
          { name: 'staging', cluster: 'test' },
          { name: 'prod', cluster: 'live' },
        ],
      }),
    );
    expect(pipeline.verification).toEqual({
      staging: {
        windowMs: 5 * 60_000,
        intervalMs: 10_000,
        minSamples: 3,
        evidenceTimeoutMs: 5 * 60_000,
      },
      prod: {
        windowMs: 10 * 60_000,
        intervalMs: 10_000,
        minSamples: 3,
        evidenceTimeoutMs: 10 * 60_000,
      },
    });
    expect(pipeline.verifyWithoutMetrics).toBe(false);
  });

  it('reads every verification setting of an environment', () => {
    const { pipeline } = readDeliveryConfig(
      config({
        environments: [{ name: 'prod', cluster: 'live' }],
        pipeline: {
          verifyWithoutMetrics: true,
          verification: {
            prod: {
              window: { minutes: 15 },
              interval: { seconds: 30 },
              minSamples: 10,
              evidenceTimeout: { minutes: 5 },
            },
          },
        },
      }),
    );
    expect(pipeline.verification.prod).toEqual({
      windowMs: 15 * 60_000,
      intervalMs: 30_000,
      minSamples: 10,
      evidenceTimeoutMs: 5 * 60_000,
    });
    expect(pipeline.verifyWithoutMetrics).toBe(true);
  });

  it('refuses verification settings for an environment that does not exist', () => {
    expect(() =>
      readDeliveryConfig(
        config({
          environments: [{ name: 'prod', cluster: 'live' }],
          pipeline: {
            verification: { production: { window: { minutes: 10 } } },
          },
        }),
      ),
    ).toThrow(
      "delivery.pipeline.verification.production: there is no environment 'production' in delivery.environments (prod)",
    );
  });

  it('refuses a minimum of samples below 1', () => {
    expect(() =>
      readDeliveryConfig(
        config({
          environments: [{ name: 'prod', cluster: 'live' }],
          pipeline: { verification: { prod: { minSamples: 0 } } },
        }),
      ),
    ).toThrow(
      'delivery.pipeline.verification.prod.minSamples must be a whole number of at least 1, got 0',
    );
  });

  it('refuses an image template without the full sha', () => {
    expect(
      readDeliveryConfig(
        config({ environments: [{ name: 'prod', cluster: 'live' }] }),
      ).imageTemplate,
    ).toBe('{{repository}}:{{sha}}');
    expect(() =>
      readDeliveryConfig(
        config({
          environments: [{ name: 'prod', cluster: 'live' }],
          images: { template: '{{repository}}:latest' },
        }),
      ),
    ).toThrow(
      'delivery.images.template: Image template {{repository}}:latest does not contain {{sha}}',
    );
  });

  it('reads approval gates before any environment, production through productionApproval too', () => {
    const read = (pipeline: object) =>
      readDeliveryConfig(
        config({
          environments: [
            { name: 'staging', cluster: 'test' },
            { name: 'prod', cluster: 'live' },
          ],
          pipeline,
        }),
      ).pipeline.approvalGates;
    expect(read({})).toEqual([]);
    expect(read({ productionApproval: true })).toEqual(['prod']);
    expect(read({ approvals: ['prod', 'staging'] })).toEqual([
      'staging',
      'prod',
    ]);
    expect(() => read({ approvals: ['production'] })).toThrow(
      "delivery.pipeline.approvals: there is no environment 'production' in delivery.environments (staging, prod)",
    );
  });

  it('reads the retention, 90 days of logs and 400 of runs by default', () => {
    const read = (retention?: object) =>
      readDeliveryConfig(
        config({
          environments: [{ name: 'prod', cluster: 'live' }],
          ...(retention ? { retention } : {}),
        }),
      ).retention;
    const day = 24 * 3_600_000;
    expect(read()).toEqual({ logsMs: 90 * day, runsMs: 400 * day });
    expect(read({ logs: { days: 7 }, runs: { days: 30 } })).toEqual({
      logsMs: 7 * day,
      runsMs: 30 * day,
    });
    expect(() => read({ logs: { days: 30 }, runs: { days: 7 } })).toThrow(
      'delivery.retention.runs must be at least delivery.retention.logs',
    );
  });
});
