import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { InputError, NotAllowedError } from '@backstage/errors';
import { UserInfoService } from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { examples } from './validateOwner.examples';

/**
 * `delivery:owner:validate`: fails a template before it makes anything when the chosen owner is
 * not a group in the catalog, or when the person running it is not a member: only a service's
 * owners may create its flags and register its workload (`delivery.flag.create`,
 * `delivery.workload.register`), so a task whose owner is someone else's team would stop half-way,
 * after its repository and catalog entry were made.
 */
export function createValidateOwnerAction(options: {
  catalog: CatalogService;
  userInfo: UserInfoService;
}) {
  return createTemplateAction({
    id: 'delivery:owner:validate',
    description:
      "Checks that the new service's owner is a group in the catalog and that the person running the template is one of its members",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        owner: z =>
          z
            .string()
            .min(1)
            .describe(
              'The owner, e.g. group:default/team-payments or team-payments',
            ),
      },
      output: {
        owner: z => z.string().describe('The owner, as a full entity ref'),
      },
    },
    async handler(ctx) {
      let ref: string;
      try {
        ref = stringifyEntityRef(
          parseEntityRef(ctx.input.owner, {
            defaultKind: 'group',
            defaultNamespace: 'default',
          }),
        );
      } catch (error) {
        throw new InputError(`owner: ${(error as Error).message}`);
      }
      const credentials = await ctx.getInitiatorCredentials();
      const entity = await options.catalog.getEntityByRef(ref, {
        credentials,
      });
      if (!entity || entity.kind.toLowerCase() !== 'group') {
        throw new InputError(
          `The owner ${ref} is not a group in the catalog: choose one of the teams the catalog knows`,
        );
      }
      const { userEntityRef, ownershipEntityRefs } =
        await options.userInfo.getUserInfo(credentials);
      if (!ownershipEntityRefs.includes(ref)) {
        const groups = ownershipEntityRefs.filter(r => r.startsWith('group:'));
        throw new NotAllowedError(
          `${userEntityRef} is not a member of ${ref}: only a service's owners may create its flags and register its workload, so the task would stop half-way. Choose one of your teams${
            groups.length > 0 ? ` (${groups.join(', ')})` : ''
          }, or ask a member of ${ref} to run the template.`,
        );
      }
      ctx.logger.info(`${userEntityRef} is a member of ${ref}`);
      ctx.output('owner', ref);
    },
  });
}
