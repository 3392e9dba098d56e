import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ANNOTATION_GITHUB_PROJECT_SLUG,
  ANNOTATION_KUBERNETES_ID,
  ANNOTATION_KUBERNETES_NAMESPACE,
  missingAnnotations,
} from '@internal/plugin-delivery-common';

/** A catalog entity that has what the delivery plugins need. */
export interface DeliveryEntity {
  entity: Entity;
  entityRef: string;
  projectSlug: string;
  kubernetesId: string;
  /** From `backstage.io/kubernetes-namespace`, when set. */
  kubernetesNamespace?: string;
}

/** Looks services up in the catalog, as the calling user, and checks their annotations. */
export class EntityResolver {
  constructor(private readonly catalog: CatalogService) {}

  async resolve(
    ref: { namespace: string; kind: string; name: string },
    credentials: BackstageCredentials,
    required: readonly string[] = [
      ANNOTATION_GITHUB_PROJECT_SLUG,
      ANNOTATION_KUBERNETES_ID,
    ],
  ): Promise<DeliveryEntity> {
    const entityRef = stringifyEntityRef(ref);
    const entity = await this.catalog.getEntityByRef(entityRef, {
      credentials,
    });
    if (!entity) {
      throw new NotFoundError(`No entity ${entityRef} in the catalog`);
    }
    const annotations = entity.metadata.annotations ?? {};
    const missing = missingAnnotations(annotations, required);
    if (missing.length > 0) {
      throw new NotFoundError(
        `Entity ${entityRef} is missing the annotation${
          missing.length > 1 ? 's' : ''
        } ${missing.join(', ')}`,
      );
    }
    return {
      entity,
      entityRef: stringifyEntityRef(entity),
      projectSlug: annotations[ANNOTATION_GITHUB_PROJECT_SLUG]?.trim() ?? '',
      kubernetesId: annotations[ANNOTATION_KUBERNETES_ID]?.trim() ?? '',
      kubernetesNamespace:
        annotations[ANNOTATION_KUBERNETES_NAMESPACE]?.trim() || undefined,
    };
  }
}
