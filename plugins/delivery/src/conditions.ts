import { Entity } from '@backstage/catalog-model';
import { REQUIRED_DELIVERY_ANNOTATIONS } from '@internal/plugin-delivery-common';

/** True for Component entities with the annotations the Deployments tab needs. */
export function isDeliveryAvailable(entity: Entity): boolean {
  return (
    entity.kind.toLocaleLowerCase('en-US') === 'component' &&
    REQUIRED_DELIVERY_ANNOTATIONS.every(a =>
      Boolean(entity.metadata.annotations?.[a]?.trim()),
    )
  );
}
