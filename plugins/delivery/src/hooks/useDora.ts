import { useApi } from '@backstage/core-plugin-api';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import {
  Entity,
  RELATION_PARENT_OF,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { DoraResponse } from '@internal/plugin-delivery-common';
import { DoraDetailsKind, DoraScopeQuery, deliveryApiRef } from '../api';

/** The period a DORA read covers: from a local midnight until now, by day or week. */
export interface DoraReadPeriod {
  from: string;
  interval: 'day' | 'week';
}

/** Whose metrics a DORA view shows: a service's entity ref or a group's. */
export interface DoraScopeRef {
  kind: 'entity' | 'group';
  ref: string;
}

/** The query parameter naming the scope: `entity=<ref>` or `group=<ref>`. */
export function scopeQuery(
  kind: DoraScopeRef['kind'],
  ref: string,
): DoraScopeQuery {
  return kind === 'entity' ? { entity: ref } : { group: ref };
}

/** DORA's metrics of a service or a team over the period; read again when either changes. */
export function useDora(scope: DoraScopeRef, period: DoraReadPeriod) {
  const api = useApi(deliveryApiRef);
  const { kind, ref } = scope;
  const { from, interval } = period;
  return useAsyncRetry(
    () => api.getDora({ ...scopeQuery(kind, ref), from, interval }),
    [api, kind, ref, from, interval],
  );
}

/** One page of the list behind a metric, over exactly the period the metrics were read for. */
export function useDoraDetails(options: {
  scope: DoraScopeRef;
  from: string;
  to: string;
  kind: DoraDetailsKind;
  page: number;
  pageSize: number;
}) {
  const api = useApi(deliveryApiRef);
  const { kind: scopeKind, ref } = options.scope;
  const { from, to, kind, page, pageSize } = options;
  return useAsyncRetry(
    () =>
      api.getDoraDetails({
        ...scopeQuery(scopeKind, ref),
        from,
        to,
        kind,
        limit: pageSize,
        offset: page * pageSize,
      }),
    [api, scopeKind, ref, from, to, kind, page, pageSize],
  );
}

/** A team's DORA read in a table: its metrics, or why they could not be read. */
export interface TeamDora {
  ref: string;
  value?: DoraResponse;
  error?: Error;
}

/**
 * The metrics of several teams over the same period, read side by side: one team whose read
 * fails has its error and does not hide the others.
 */
export function useTeamsDora(teams: string[], period: DoraReadPeriod) {
  const api = useApi(deliveryApiRef);
  const key = teams.join(',');
  const { from, interval } = period;
  return useAsyncRetry(async (): Promise<TeamDora[]> => {
    const refs = key ? key.split(',') : [];
    const reads = await Promise.allSettled(
      refs.map(group => api.getDora({ group, from, interval })),
    );
    return reads.map((read, i) =>
      read.status === 'fulfilled'
        ? { ref: refs[i], value: read.value }
        : {
            ref: refs[i],
            error:
              read.reason instanceof Error
                ? read.reason
                : new Error(String(read.reason)),
          },
    );
  }, [api, key, from, interval]);
}

/** A Group of the catalog as the organisation page lists it. */
export interface DoraGroup {
  ref: string;
  name: string;
  title: string;
  type?: string;
  parent?: string;
  /** Refs of its direct sub-groups. */
  children: string[];
}

function toGroup(entity: Entity): DoraGroup {
  const ref = stringifyEntityRef(entity);
  const spec = (entity.spec ?? {}) as {
    type?: string;
    parent?: string;
    children?: string[];
    profile?: { displayName?: string };
  };
  const namespace = entity.metadata.namespace ?? 'default';
  const fromRelations = (entity.relations ?? [])
    .filter(r => r.type === RELATION_PARENT_OF)
    .map(r => r.targetRef);
  const fromSpec = (spec.children ?? []).map(child =>
    child.includes(':')
      ? child.toLocaleLowerCase('en-US')
      : `group:${namespace}/${child}`.toLocaleLowerCase('en-US'),
  );
  return {
    ref,
    name: entity.metadata.name,
    title:
      entity.metadata.title ??
      spec.profile?.displayName ??
      entity.metadata.name,
    type: spec.type,
    parent: spec.parent,
    children: fromRelations.length > 0 ? fromRelations : fromSpec,
  };
}

/** The catalog's Groups, by title. */
export function useGroups() {
  const catalogApi = useApi(catalogApiRef);
  return useAsyncRetry(async () => {
    const { items } = await catalogApi.getEntities({
      filter: { kind: 'Group' },
      fields: [
        'kind',
        'metadata.name',
        'metadata.namespace',
        'metadata.title',
        'spec.type',
        'spec.parent',
        'spec.children',
        'spec.profile.displayName',
        'relations',
      ],
    });
    return items
      .map(toGroup)
      .sort((a, b) => a.title.localeCompare(b.title, 'en'));
  }, [catalogApi]);
}
