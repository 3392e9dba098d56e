import { useMemo } from 'react';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useEntity, useEntityRefLink } from '@backstage/plugin-catalog-react';
import { DoraSummaryCard } from '../DoraSummary';

/**
 * The DORA summary on a service's overview: the four keys of the last 12 weeks with their
 * tiers and targets, linking to the service's DORA tab.
 */
export function EntityDoraCard() {
  const { entity } = useEntity();
  const entityLink = useEntityRefLink();
  const ref = stringifyEntityRef(entity);
  const scope = useMemo(() => ({ kind: 'entity' as const, ref }), [ref]);
  return (
    <DoraSummaryCard
      scope={scope}
      deepLink={{
        title: 'Open the DORA tab',
        link: `${entityLink(entity)}/dora`,
      }}
    />
  );
}
