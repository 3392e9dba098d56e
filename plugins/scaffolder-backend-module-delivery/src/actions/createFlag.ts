import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { InputError } from '@backstage/errors';
import {
  DeliveryApiOptions,
  componentRef,
  deliveryClient,
  entityRefInput,
  errorMessage,
  plainJson,
  refused,
  untilInCatalog,
  waitForCatalogInput,
} from '../deliveryApi';
import { examples } from './createFlag.examples';

/** A flag key, as the delivery backend accepts it (its OpenAPI pattern). */
const FLAG_KEY = /^[A-Za-z][A-Za-z0-9_.-]{0,99}$/;

/**
 * `delivery:flags:create`: creates a boolean feature flag of a service, off in every
 * environment, through the delivery backend as the person running the template. A retry of the
 * task (or a flag that is already there) does not create it twice.
 */
export function createDeliveryFlagAction(options: DeliveryApiOptions) {
  return createTemplateAction({
    id: 'delivery:flags:create',
    description:
      "Creates a service's boolean feature flag, off in every environment (the delivery plugin's Flags tab and flagd sync serve it)",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        entityRef: z => entityRefInput(z, 'its flag is created'),
        key: z =>
          z
            .string()
            .regex(
              FLAG_KEY,
              'a flag key starts with a letter and has letters, digits, _ . and - (at most 100)',
            )
            .describe('The flag key the code evaluates, e.g. new-checkout'),
        description: z =>
          z
            .string()
            .max(1000)
            .optional()
            .describe('What turning the flag on changes'),
        change: z =>
          z
            .string()
            .max(200)
            .optional()
            .describe('The change ticket the flag belongs to'),
        waitForCatalogSeconds: z => waitForCatalogInput(z),
      },
      output: {
        key: z => z.string().describe('The flag key'),
        created: z =>
          z
            .boolean()
            .describe('false when the flag was there already (a retry)'),
        environments: z =>
          z.array(z.string()).describe('The environments the flag is off in'),
      },
    },
    async handler(ctx) {
      const { entityRef, key, description, change } = ctx.input;
      const ref = componentRef(entityRef);
      const credentials = await ctx.getInitiatorCredentials();
      const { client, token } = await deliveryClient(options, credentials);

      if (ctx.isDryRun) {
        ctx.logger.info(
          `Dry run: would create flag ${key} of ${entityRef}, off in every environment`,
        );
        ctx.output('key', key);
        ctx.output('created', false);
        ctx.output('environments', []);
        return;
      }

      // The flag is created once: a retried task finds the checkpoint and does not ask again.
      const created = await ctx.checkpoint({
        key: `delivery-flag-${ref.namespace}-${ref.name}-${key}`,
        fn: async () => {
          const response = await untilInCatalog(ctx, () =>
            client.createFlag(
              {
                path: ref,
                body: {
                  key,
                  type: 'boolean',
                  ...(description ? { description } : {}),
                  ...(change ? { change } : {}),
                },
              },
              { token },
            ),
          );
          if (response.status === 201) return true;
          // Created by an earlier attempt whose checkpoint was not saved, or by a person.
          if (response.status === 409) return false;
          if (response.status === 404) {
            throw new InputError(
              `Cannot create flag ${key}: ${await errorMessage(
                response,
              )}. Was catalog:register run before this step?`,
            );
          }
          throw await refused(response, `create flag ${key} of ${entityRef}`);
        },
      });

      // Read it back: this is what the Flags tab shows.
      const read = await client.getFlag({ path: { ...ref, key } }, { token });
      if (!read.ok) {
        throw new Error(
          `Flag ${key} of ${entityRef} cannot be read back: ${await errorMessage(
            read,
          )}`,
        );
      }
      const flag = await read.json();
      const environments = flag.environments.map(env => env.environment);
      const on = flag.environments.filter(env => env.on);
      if (created && on.length > 0) {
        throw new Error(
          `Flag ${key} of ${entityRef} was created but is on in ${on
            .map(env => env.environment)
            .join(', ')}`,
        );
      }
      ctx.logger.info(
        created
          ? `Created flag ${key} of ${entityRef}, off in ${environments.join(
              ', ',
            )}`
          : `Flag ${key} of ${entityRef} was there already; left as it is`,
      );
      ctx.output('key', key);
      ctx.output('created', created);
      ctx.output('environments', plainJson(environments));
    },
  });
}
