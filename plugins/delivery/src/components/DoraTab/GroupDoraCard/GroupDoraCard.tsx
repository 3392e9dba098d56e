import { useMemo } from 'react';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import { useDoraPageLink } from '../../../routes';
import { DoraSummaryCard } from '../DoraSummary';
import { refName, scopeSize } from '../shared';

/**
 * The DORA summary on a Group's page: the four keys of the last 12 weeks rolled up over the
 * services the group and its sub-teams own ("N services, M teams"), linking to the
 * organisation page with the group selected (which the app must mount: the new frontend system
 * does it with the plugin).
 */
export function GroupDoraCard() {
  const { entity } = useEntity();
  const ref = stringifyEntityRef(entity);
  const scope = useMemo(() => ({ kind: 'group' as const, ref }), [ref]);
  const pageLink = useDoraPageLink();
  return (
    <DoraSummaryCard
      scope={scope}
      subheader={dora => `Rolled up over ${scopeSize(dora)}`}
      empty={dora =>
        dora.scope.services === 0
          ? `${
              dora.scope.title ?? refName(ref)
            } and its sub-teams own no services.`
          : undefined
      }
      deepLink={{
        title: 'Compare teams on the DORA page',
        link: pageLink(ref),
      }}
    />
  );
}
