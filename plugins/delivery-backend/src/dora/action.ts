import { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import { DoraService } from './DoraService';

/**
 * DORA's metrics as an action in Backstage's actions registry, so assistants (through the MCP
 * actions backend) can ask how a service or a team delivers, as the user who asks.
 */
export function registerDoraAction(
  registry: ActionsRegistryService,
  dora: DoraService,
) {
  registry.register({
    name: 'get-dora-metrics',
    title: 'DORA metrics of a service or a team',
    description: [
      'Deployment frequency, lead time for changes (median and p90), change failure rate,',
      'failed-deployment recovery time, deployment success rate and rework rate of a service',
      '(entity, e.g. component:default/payments-api) or of a team with its sub-teams (group, e.g.',
      'group:default/team-payments) over a period (default the last 12 weeks), each with its',
      "DORA 2024 tier (elite, high, medium, low), our process's target and whether it is met, and",
      'a trend by week or day. Durations are in milliseconds, rates from 0 to 1.',
    ].join(' '),
    attributes: { readOnly: true, idempotent: true, destructive: false },
    schema: {
      input: z =>
        z.object({
          entity: z
            .string()
            .optional()
            .describe('A service entity ref; give this or group'),
          group: z
            .string()
            .optional()
            .describe('A group entity ref; give this or entity'),
          from: z
            .string()
            .optional()
            .describe('Start of the period, ISO 8601 (default 12 weeks ago)'),
          to: z
            .string()
            .optional()
            .describe('End of the period, ISO 8601 (default now)'),
          interval: z
            .enum(['day', 'week'])
            .optional()
            .describe('Interval of the trend (default week)'),
        }),
      output: z =>
        z.object({
          scope: z
            .object({
              kind: z.enum(['entity', 'group']),
              ref: z.string(),
              services: z.number(),
              teams: z.number(),
            })
            .passthrough(),
          from: z.string(),
          to: z.string(),
          interval: z.enum(['day', 'week']),
          metrics: z.record(
            z
              .object({
                value: z.number().optional(),
                unit: z.enum(['perDay', 'milliseconds', 'ratio']),
                count: z.number(),
                tier: z.enum(['elite', 'high', 'medium', 'low']).optional(),
              })
              .passthrough(),
          ),
          trend: z.array(z.object({}).passthrough()),
        }),
    },
    examples: [
      {
        title: 'How does the payments team deliver?',
        input: { group: 'group:default/team-payments' },
      },
    ],
    action: async ({ input, credentials }) => ({
      output: await dora.metrics(input, credentials),
    }),
  });
}
