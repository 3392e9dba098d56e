import {
  CompoundEntityRef,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { ServedFlag } from './FlagStore';

/** flagd's flag-definition schema, named in every configuration we serve. */
export const FLAGD_SCHEMA = 'https://flagd.dev/schema/v0/flags.json';

/**
 * A service's name in namespaced flag keys: the entity's name for a Component in the default
 * namespace (`payments-api`), `<namespace>.<name>` for one in another namespace, and the full
 * ref for other kinds.
 */
export function serviceName(entityRef: string): string {
  const ref = parseEntityRef(entityRef);
  if (ref.kind.toLocaleLowerCase('en-US') !== 'component') {
    return stringifyEntityRef(ref);
  }
  return ref.namespace === 'default'
    ? ref.name
    : `${ref.namespace}.${ref.name}`;
}

/**
 * The entity ref a sync client means by `service`: a full ref, `namespace/name`, or a name (a
 * Component in the default namespace); `<namespace>.<name>` is not accepted back, since names
 * may contain dots.
 */
export function serviceRef(service: string): string {
  let ref: CompoundEntityRef;
  try {
    ref = parseEntityRef(service.trim(), {
      defaultKind: 'component',
      defaultNamespace: 'default',
    });
  } catch (error) {
    throw new InputError(
      `"${service}" names no service: give an entity ref or a component's name`,
    );
  }
  return stringifyEntityRef(ref);
}

/**
 * A flagd flag configuration (https://flagd.dev/schema/v0/flags.json) of served flags: with
 * `namespaced`, keys are `<service>.<key>` (one configuration for every service of an
 * environment); otherwise the flags' own keys (one service's flags).
 */
export function flagdConfiguration(
  flags: ServedFlag[],
  options: { namespaced: boolean },
): { $schema: string; flags: Record<string, unknown> } {
  return {
    $schema: FLAGD_SCHEMA,
    flags: Object.fromEntries(
      flags.map(flag => [
        options.namespaced
          ? `${serviceName(flag.entityRef)}.${flag.key}`
          : flag.key,
        {
          state: flag.settings.state,
          variants: flag.variants,
          defaultVariant: flag.settings.defaultVariant,
          ...(flag.settings.targeting
            ? { targeting: flag.settings.targeting }
            : {}),
          metadata: {
            service: flag.entityRef,
            ...(flag.change ? { change: flag.change } : {}),
          },
        },
      ]),
    ),
  };
}
