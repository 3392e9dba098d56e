/*
 * Which catalog entities a GitHub repository is: those whose `github.com/project-slug` names it
 * (compared without regard to case, as GitHub compares repository names).
 */
import type { BackstageCredentials } from '@backstage/backend-plugin-api';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import { stringifyEntityRef } from '@backstage/catalog-model';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { ANNOTATION_GITHUB_PROJECT_SLUG } from '@internal/plugin-delivery-common';

/**
 * `entitiesOfRepository` for {@link createGitHubDoraSubscriber}: one catalog query for every
 * annotated entity, kept for `ttlMs` (a burst of deliveries, such as the demo's history, asks the
 * catalog once a minute rather than once a delivery). A failed query is not kept.
 */
export function createRepositoryEntities(options: {
  catalog: CatalogService;
  credentials: () => Promise<BackstageCredentials>;
  /** Default 60 s. */
  ttlMs?: number;
  now?: () => number;
}): (slug: string) => Promise<string[]> {
  const ttlMs = options.ttlMs ?? 60_000;
  const now = options.now ?? Date.now;
  let cached:
    | { at: number; bySlug: Promise<Map<string, string[]>> }
    | undefined;
  const load = async () => {
    const { items } = await options.catalog.getEntities(
      {
        filter: {
          [`metadata.annotations.${ANNOTATION_GITHUB_PROJECT_SLUG}`]:
            CATALOG_FILTER_EXISTS,
        },
        fields: [
          'kind',
          'metadata.namespace',
          'metadata.name',
          'metadata.annotations',
        ],
      },
      { credentials: await options.credentials() },
    );
    const bySlug = new Map<string, string[]>();
    for (const entity of items) {
      const slug =
        entity.metadata.annotations?.[
          ANNOTATION_GITHUB_PROJECT_SLUG
        ]?.trim().toLowerCase();
      if (!slug) continue;
      bySlug.set(slug, [
        ...(bySlug.get(slug) ?? []),
        stringifyEntityRef(entity),
      ]);
    }
    return bySlug;
  };
  return async slug => {
    if (!cached || now() - cached.at >= ttlMs) {
      const bySlug = load();
      cached = { at: now(), bySlug };
      bySlug.catch(() => {
        if (cached?.bySlug === bySlug) cached = undefined;
      });
    }
    return (await cached.bySlug).get(slug.trim().toLowerCase()) ?? [];
  };
}
