import { createRouteRef, useRouteRef } from '@backstage/core-plugin-api';

/** The DORA organisation page (`/dora` in the demo app). */
export const doraRouteRef = createRouteRef({ id: 'delivery:dora' });

/**
 * A link to the DORA organisation page with a group selected. The page must be mounted: the new
 * frontend system does it with the plugin; legacy apps mount `DoraPage` on a route.
 */
export function useDoraPageLink(): (group: string) => string {
  const page = useRouteRef(doraRouteRef);
  return group => `${page()}?group=${encodeURIComponent(group)}`;
}
