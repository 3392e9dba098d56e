import { Entity } from '@backstage/catalog-model';
import { ANNOTATION_GITHUB_PROJECT_SLUG } from '@internal/plugin-delivery-common';

/**
 * True for Component entities with a GitHub repository (`github.com/project-slug`): DORA's
 * figures come from the portal's deployments and from that repository's webhooks, so services
 * deployed elsewhere have them too, not only those with the Deployments tab.
 */
export function isDoraAvailable(entity: Entity): boolean {
  return (
    entity.kind.toLocaleLowerCase('en-US') === 'component' &&
    Boolean(
      entity.metadata.annotations?.[ANNOTATION_GITHUB_PROJECT_SLUG]?.trim(),
    )
  );
}
