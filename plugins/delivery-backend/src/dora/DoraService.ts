import { BackstageCredentials } from '@backstage/backend-plugin-api';
import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import { InputError, NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ANNOTATION_GITHUB_PROJECT_SLUG,
  DoraCounts,
  DoraDetailsResponse,
  DoraResponse,
  DoraTrendPoint,
  doraMetrics,
} from '@internal/plugin-delivery-common';
import { DatabaseDoraStore } from './DatabaseDoraStore';
import { DoraConfig } from './config';

const DAY = 86_400_000;
const WEEK = 7 * DAY;
/** The longest period one request may ask for. */
const MAX_PERIOD_MS = 3 * 366 * DAY;
/** The most intervals one trend may have. */
const MAX_INTERVALS = 400;
/** The most rows a CSV export gives. */
const CSV_LIMIT = 100_000;

/** What to measure: a service or a group, over a period. */
export interface DoraQuery {
  entity?: string;
  group?: string;
  from?: string;
  to?: string;
  interval?: 'day' | 'week';
}

export interface DoraScopeResolved {
  kind: 'entity' | 'group';
  ref: string;
  title?: string;
  entityRefs: string[];
  teams: number;
}

/**
 * DORA's metrics of a service or a group: resolves the scope in the catalog (as the caller, so
 * they see what they may see), aggregates the store's facts in SQL and applies tiers and targets.
 */
export class DoraService {
  constructor(
    private readonly options: {
      store: DatabaseDoraStore;
      catalog: CatalogService;
      config: DoraConfig;
      now?: () => number;
    },
  ) {}

  async metrics(
    query: DoraQuery,
    credentials: BackstageCredentials,
  ): Promise<DoraResponse> {
    const window = this.#window(query);
    const scope = await this.scope(query, credentials);
    const { total, intervals } = await this.options.store.aggregate({
      entityRefs: scope.entityRefs,
      window,
    });
    const counts = (
      c: (typeof intervals)[number],
      periodMs: number,
    ): DoraCounts => ({
      ...c,
      periodMs,
      services: scope.entityRefs.length,
      teams: scope.teams,
    });
    const settings = {
      tiers: this.options.config.tiers,
      targets: this.options.config.targets,
      scope: scope.kind,
    };
    const trend: DoraTrendPoint[] = intervals.map((c, i) => {
      const from = window.from + i * window.intervalMs;
      const to = Math.min(window.to, from + window.intervalMs);
      const m = doraMetrics(counts(c, to - from), settings);
      return {
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        deployments: c.deployments,
        deploymentsPerDay: m.deploymentFrequency.value ?? 0,
        ...opt('leadTimeMedian', m.leadTime.value),
        ...opt('leadTimeP90', m.leadTime.p90),
        ...opt('changeFailureRate', m.changeFailureRate.value),
        ...opt('recoveryTimeMedian', m.recoveryTime.value),
        ...opt('successRate', m.successRate.value),
        ...opt('reworkRate', m.reworkRate.value),
      };
    });
    return {
      scope: {
        kind: scope.kind,
        ref: scope.ref,
        ...(scope.title ? { title: scope.title } : {}),
        services: scope.entityRefs.length,
        teams: scope.teams,
      },
      from: new Date(window.from).toISOString(),
      to: new Date(window.to).toISOString(),
      interval: query.interval ?? 'week',
      metrics: doraMetrics(counts(total, window.to - window.from), settings),
      trend,
    };
  }

  /** The whole list behind a metric as CSV (up to {@link CSV_LIMIT} rows), and its file name. */
  async detailsCsv(
    query: DoraQuery & { kind: DoraDetailsResponse['kind'] },
    credentials: BackstageCredentials,
  ): Promise<{ filename: string; csv: string }> {
    const details = await this.details(
      { ...query, limit: CSV_LIMIT, offset: 0 },
      credentials,
    );
    const scope = (query.entity ?? query.group ?? 'dora').replace(
      /[^A-Za-z0-9._-]+/g,
      '-',
    );
    return {
      filename: `dora-${scope}-${details.kind}.csv`,
      csv: detailsToCsv(details),
    };
  }

  /** A page of the list behind a metric (50 items from the first unless told). */
  async details(
    query: DoraQuery & {
      kind: DoraDetailsResponse['kind'];
      limit?: number;
      offset?: number;
    },
    credentials: BackstageCredentials,
  ): Promise<DoraDetailsResponse> {
    const window = this.#window(query);
    const scope = await this.scope(query, credentials);
    const page = {
      entityRefs: scope.entityRefs,
      from: window.from,
      to: window.to,
      limit: query.limit ?? 50,
      offset: query.offset ?? 0,
    };
    const iso = (ms: number) => new Date(ms).toISOString();
    const { store } = this.options;
    if (query.kind === 'deployments') {
      const { total, items } = await store.listDeployments(page);
      return {
        kind: 'deployments',
        total,
        deployments: items.map(d => ({ ...d, deployedAt: iso(d.deployedAt) })),
      };
    }
    if (query.kind === 'commits') {
      const { total, items } = await store.listCommits(page);
      return {
        kind: 'commits',
        total,
        commits: items.map(c => ({
          ...c,
          committedAt: iso(c.committedAt),
          deployedAt: iso(c.deployedAt),
        })),
      };
    }
    const { total, items } = await store.listIncidents(page);
    return {
      kind: 'incidents',
      total,
      incidents: items.map(({ startedAt, resolvedAt, ...i }) => ({
        ...i,
        startedAt: iso(startedAt),
        ...(resolvedAt === undefined ? {} : { resolvedAt: iso(resolvedAt) }),
      })),
    };
  }

  /** A service, or the services a group and its sub-groups own (those with a repository). */
  async scope(
    query: DoraQuery,
    credentials: BackstageCredentials,
  ): Promise<DoraScopeResolved> {
    const { catalog } = this.options;
    if ((query.entity ? 1 : 0) + (query.group ? 1 : 0) !== 1) {
      throw new InputError('Give either entity or group');
    }
    if (query.entity) {
      const ref = parseRef(query.entity, 'component', 'entity');
      const entity = await catalog.getEntityByRef(ref, { credentials });
      if (!entity) throw new NotFoundError(`No entity ${ref} in the catalog`);
      return {
        kind: 'entity',
        ref,
        title: entity.metadata.title ?? entity.metadata.name,
        entityRefs: [stringifyEntityRef(entity)],
        teams: 1,
      };
    }
    const ref = parseRef(query.group!, 'group', 'group');
    if (parseEntityRef(ref).kind.toLocaleLowerCase('en-US') !== 'group') {
      throw new InputError(`${ref} is not a group`);
    }
    const root = await catalog.getEntityByRef(ref, { credentials });
    if (!root) throw new NotFoundError(`No group ${ref} in the catalog`);
    // The group and its sub-groups, breadth first (a cycle in the catalog stops at a seen group).
    const groups = new Map<string, Entity>([[stringifyEntityRef(root), root]]);
    let frontier = [root];
    while (frontier.length > 0) {
      const children = frontier
        .flatMap(g => g.relations ?? [])
        .filter(r => r.type === 'parentOf')
        .map(r => r.targetRef)
        .filter(r => !groups.has(r));
      if (children.length === 0) break;
      const { items } = await catalog.getEntitiesByRefs(
        { entityRefs: [...new Set(children)] },
        { credentials },
      );
      frontier = items.filter((e): e is Entity => !!e);
      for (const g of frontier) groups.set(stringifyEntityRef(g), g);
    }
    const owned = await catalog.getEntities(
      {
        filter: {
          kind: 'component',
          'relations.ownedBy': [...groups.keys()],
          [`metadata.annotations.${ANNOTATION_GITHUB_PROJECT_SLUG}`]:
            CATALOG_FILTER_EXISTS,
        },
        fields: [
          'kind',
          'metadata.namespace',
          'metadata.name',
          'metadata.annotations',
          'relations',
        ],
      },
      { credentials },
    );
    // The filter says so already; a catalog that ignores it (some test doubles do) is checked.
    const services = owned.items.filter(
      e => !!e.metadata.annotations?.[ANNOTATION_GITHUB_PROJECT_SLUG],
    );
    const owners = new Set<string>();
    for (const e of services) {
      for (const r of e.relations ?? []) {
        if (r.type === 'ownedBy' && groups.has(r.targetRef)) {
          owners.add(r.targetRef);
        }
      }
    }
    return {
      kind: 'group',
      ref,
      title: root.metadata.title ?? root.metadata.name,
      entityRefs: services.map(e => stringifyEntityRef(e)).sort(),
      teams: owners.size,
    };
  }

  #window(query: DoraQuery) {
    const now = this.options.now?.() ?? Date.now();
    const to = query.to ? time(query.to, 'to') : now;
    const from = query.from ? time(query.from, 'from') : to - 12 * WEEK;
    if (!(from < to)) throw new InputError('from must be before to');
    if (to - from > MAX_PERIOD_MS) {
      throw new InputError('The period may be at most three years long');
    }
    const intervalMs = query.interval === 'day' ? DAY : WEEK;
    if ((to - from) / intervalMs > MAX_INTERVALS) {
      throw new InputError(
        `At most ${MAX_INTERVALS} intervals: choose a shorter period or interval=week`,
      );
    }
    return { from, to, intervalMs };
  }
}

function opt<K extends string>(key: K, value: number | undefined) {
  return (value === undefined ? {} : { [key]: value }) as Partial<
    Record<K, number>
  >;
}

function parseRef(ref: string, defaultKind: string, name: string): string {
  try {
    return stringifyEntityRef(
      parseEntityRef(ref, { defaultKind, defaultNamespace: 'default' }),
    );
  } catch (error) {
    throw new InputError(`${name} is not an entity ref: ${String(error)}`);
  }
}

function time(value: string, name: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) {
    throw new InputError(`${name} is not an ISO 8601 time: ${value}`);
  }
  return ms;
}

/** The details as CSV (RFC 4180: quoted where needed, CRLF line ends). */
export function detailsToCsv(details: DoraDetailsResponse): string {
  const rows: Array<Record<string, unknown>> =
    details.deployments ?? details.commits ?? details.incidents ?? [];
  const columns: Record<DoraDetailsResponse['kind'], string[]> = {
    deployments: [
      'id',
      'entityRef',
      'sha',
      'deployedAt',
      'status',
      'production',
      'source',
      'token',
      'url',
      'commits',
      'leadTimeMedian',
      'failed',
      'rework',
    ],
    commits: [
      'entityRef',
      'sha',
      'committedAt',
      'deployedAt',
      'leadTime',
      'deploymentId',
      'token',
    ],
    incidents: [
      'id',
      'entityRef',
      'title',
      'source',
      'startedAt',
      'resolvedAt',
      'recoveryTime',
      'deploymentId',
      'token',
      'sha',
      'url',
    ],
  };
  const header = columns[details.kind];
  const cell = (v: unknown) => {
    if (v === undefined || v === null) return '';
    const s = String(v);
    // A leading =, +, - or @ would be a formula in a spreadsheet.
    const safe = /^[=+\-@]/.test(s) && typeof v === 'string' ? `'${s}` : s;
    return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  return [
    header.join(','),
    ...rows.map(r => header.map(h => cell(r[h])).join(',')),
  ]
    .map(line => `${line}\r\n`)
    .join('');
}
