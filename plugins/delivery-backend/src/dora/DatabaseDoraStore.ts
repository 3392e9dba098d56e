import { DatabaseService } from '@backstage/backend-plugin-api';
import {
  DoraCounts,
  DoraDistribution,
  DoraEvent,
  durationOfStep,
  percentileOfCounts,
} from '@internal/plugin-delivery-common';
import { Knex } from 'knex';
import { migrateDeliveryDatabase } from '../database/DatabaseObservedVersionsStore';
import { isUniqueViolation } from '../database/uniqueViolation';

const EVENTS = 'delivery_dora_events';
const DEPLOYMENTS = 'delivery_dora_deployments';
const CHANGES = 'delivery_dora_changes';
const INCIDENTS = 'delivery_dora_incidents';
const SERVICES = 'delivery_dora_services';
const INBOX = 'delivery_dora_inbox';

/** A GitHub delivery waiting in DORA's inbox. */
export interface DoraInboxItem {
  id: number;
  name: string;
  deliveryId?: string;
  repository: string;
  payload: unknown;
  receivedAt: number;
  attempts: number;
}
/**
 * `durationStep` of delivery-common in SQL (five bindings of the column): minutes under a day,
 * then hours up to 30 days, then days; integer division on both databases.
 */
const DURATION_STEP_SQL = `CASE
  WHEN ?? < 86400000 THEN CAST(?? / 60000 AS INTEGER)
  WHEN ?? < 2592000000 THEN 1416 + CAST(?? / 3600000 AS INTEGER)
  ELSE 2106 + CAST(?? / 86400000 AS INTEGER) END`;

/** A period cut into intervals from its start: [from, to), intervals of `intervalMs`. */
export interface DoraWindow {
  from: number;
  to: number;
  intervalMs: number;
}

/** The counts of the whole period and of each interval (index 0 starts at `from`). */
export interface DoraAggregate {
  total: Omit<DoraCounts, 'periodMs' | 'services' | 'teams'>;
  intervals: Array<Omit<DoraCounts, 'periodMs' | 'services' | 'teams'>>;
}

/** A deployment behind the numbers. */
export interface DoraDeploymentRecord {
  id: string;
  entityRef: string;
  sha: string;
  deployedAt: number;
  status: 'success' | 'failure';
  production: boolean;
  source: 'portal' | 'github';
  token?: string;
  url?: string;
  failed: boolean;
  rework: boolean;
  commits: number;
  leadTimeMedian?: number;
}

export interface DoraCommitRecord {
  entityRef: string;
  sha: string;
  committedAt: number;
  deployedAt: number;
  leadTime: number;
  deploymentId: string;
  token?: string;
}

export interface DoraIncidentRecord {
  id: string;
  entityRef: string;
  title: string;
  source: 'portal' | 'github';
  startedAt: number;
  resolvedAt?: number;
  recoveryTime?: number;
  deploymentId?: string;
  token?: string;
  sha?: string;
  url?: string;
}

type DeploymentRow = {
  id: string;
  entity_ref: string;
  sha: string;
  deployed_at: string | number;
  status: 'success' | 'failure';
  production: boolean | number;
  source: 'portal' | 'github';
  token: string | null;
  url: string | null;
  failed: boolean | number;
  rework: boolean | number;
};

type ChangeRow = {
  entity_ref: string;
  sha: string;
  committed_at: string | number | null;
  pushed_at: string | number | null;
  deployment_id: string | null;
  deployed_at: string | number | null;
  lead_ms: string | number | null;
};

type IncidentRow = {
  id: string;
  entity_ref: string;
  title: string;
  source: 'portal' | 'github';
  started_at: string | number;
  resolved_at: string | number | null;
  recovery_ms: string | number | null;
  deployment_id: string | null;
  token: string | null;
  sha: string | null;
  url: string | null;
};

/** PostgreSQL answers bigint and sums as strings. */
const num = (v: string | number | null | undefined): number =>
  v === null || v === undefined ? 0 : Number(v);
const optNum = (v: string | number | null | undefined): number | undefined =>
  v === null || v === undefined ? undefined : Number(v);

class AlreadyStored extends Error {}

/** Narrows a query of facts to a scope's services. */
type Scope = (q: Knex.QueryBuilder) => Knex.QueryBuilder;

/**
 * DORA's events and facts on the plugin's database (SQLite or PostgreSQL). Every source goes
 * through {@link DatabaseDoraStore.ingest}: the event is stored once per source id, and its facts
 * (deployments, commits and their first production deployment, incidents and what they link to)
 * are updated in the same transaction. Metrics are aggregated in SQL over indexed columns.
 */
export class DatabaseDoraStore {
  static async create(options: { database: DatabaseService }) {
    const knex = await options.database.getClient();
    if (!options.database.migrations?.skip) {
      await migrateDeliveryDatabase(knex);
    }
    return new DatabaseDoraStore(knex);
  }

  readonly #db: Knex;

  constructor(db: Knex) {
    this.#db = db;
  }

  /** Writes a delivery to the inbox before it is processed; returns its id. */
  async addToInbox(item: {
    name: string;
    deliveryId?: string;
    repository: string;
    payload: unknown;
    receivedAt: number;
  }): Promise<number> {
    const [row] = await this.#db(INBOX)
      .insert({
        name: item.name,
        delivery_id: item.deliveryId?.slice(0, 128) ?? null,
        repository: item.repository.slice(0, 255),
        payload: JSON.stringify(item.payload),
        received_at: item.receivedAt,
      })
      .returning('id');
    return Number(typeof row === 'object' ? row.id : row);
  }

  /** The oldest deliveries in the inbox. */
  async inbox(options: { limit: number }): Promise<DoraInboxItem[]> {
    const rows = await this.#db(INBOX)
      .orderBy('id', 'asc')
      .limit(options.limit);
    return rows.map(r => ({
      id: Number(r.id),
      name: r.name,
      ...(r.delivery_id ? { deliveryId: r.delivery_id } : {}),
      repository: r.repository,
      payload: JSON.parse(r.payload),
      receivedAt: num(r.received_at),
      attempts: num(r.attempts),
    }));
  }

  /** Removes a processed delivery. */
  async removeFromInbox(id: number): Promise<void> {
    await this.#db(INBOX).where({ id }).delete();
  }

  /** Counts a failed or premature attempt at a delivery. */
  async retryLater(id: number, error?: string): Promise<void> {
    await this.#db(INBOX)
      .where({ id })
      .update({
        attempts: this.#db.raw('attempts + 1'),
        last_error: error?.slice(0, 2000) ?? null,
      });
  }

  /** Gives up on deliveries received before a time; returns how many. */
  async pruneInbox(options: { before: number }): Promise<number> {
    return this.#db(INBOX).where('received_at', '<', options.before).delete();
  }

  /** Which of these source ids are stored (one query). */
  async stored(sourceIds: string[]): Promise<Set<string>> {
    if (sourceIds.length === 0) return new Set();
    const rows: Array<{ source_id: string }> = await this.#db(EVENTS)
      .whereIn('source_id', sourceIds)
      .select('source_id');
    return new Set(rows.map(r => r.source_id));
  }

  /** Whether an event of this source id is stored. */
  async has(sourceId: string): Promise<boolean> {
    const row = await this.#db(EVENTS)
      .where({ source_id: sourceId })
      .first('id');
    return row !== undefined;
  }

  /**
   * Stores an event and applies it to the facts, once: true when stored now, false when an event
   * of its source id was stored before (a replayed webhook, a re-ingested deployment).
   */
  async ingest(event: DoraEvent, now: number = Date.now()): Promise<boolean> {
    if (await this.has(event.sourceId)) return false;
    try {
      await this.#db.transaction(async tx => {
        try {
          await tx(EVENTS).insert({
            source_id: event.sourceId,
            type: event.type,
            source: event.source,
            entity_ref: event.entityRef,
            occurred_at: occurredAt(event),
            received_at: now,
            payload: JSON.stringify(event),
          });
        } catch (error) {
          if (isUniqueViolation(error)) throw new AlreadyStored();
          throw error;
        }
        await tx(SERVICES)
          .insert({ entity_ref: event.entityRef })
          .onConflict('entity_ref')
          .ignore();
        if (event.type === 'deployment') await applyDeployment(tx, event);
        else if (event.type === 'push') await applyPush(tx, event);
        else await applyIncident(tx, event);
      });
      return true;
    } catch (error) {
      if (error instanceof AlreadyStored) return false;
      throw error;
    }
  }

  /** The sha of a service's last successful production deployment before a time. */
  async lastProductionSha(
    entityRef: string,
    before: number,
  ): Promise<string | undefined> {
    const row = await this.#db(DEPLOYMENTS)
      .where({ entity_ref: entityRef, production: true, status: 'success' })
      .andWhere('deployed_at', '<', before)
      .orderBy('deployed_at', 'desc')
      .first('sha');
    return row?.sha;
  }

  /** The counts of a set of services over a period and each of its intervals. */
  async aggregate(options: {
    entityRefs: string[];
    window: DoraWindow;
  }): Promise<DoraAggregate> {
    const { entityRefs, window } = options;
    const size = Math.max(
      1,
      Math.ceil((window.to - window.from) / window.intervalMs),
    );
    const empty = () => ({
      deployments: 0,
      productionDeployments: 0,
      failedDeployments: 0,
      attempts: 0,
      succeeded: 0,
      rework: 0,
      incidents: 0,
      leadTime: { count: 0 } as DoraDistribution,
      recoveryTime: { count: 0 } as DoraDistribution,
    });
    const intervals = Array.from({ length: size }, empty);
    const total = empty();
    if (entityRefs.length === 0) return { total, intervals };
    const scope = await this.#scope(entityRefs);

    const [deployments, incidents, lead, recovery] = await Promise.all([
      this.#deploymentCounts(scope, window),
      this.#incidentCounts(scope, window),
      this.#percentiles({
        table: CHANGES,
        value: 'lead_ms',
        time: 'deployed_at',
        scope,
        window,
      }),
      this.#percentiles({
        table: INCIDENTS,
        value: 'recovery_ms',
        time: 'started_at',
        scope,
        window,
      }),
    ]);
    for (const row of deployments) {
      const target = intervals[row.bucket];
      if (!target) continue;
      for (const key of [
        'deployments',
        'productionDeployments',
        'failedDeployments',
        'attempts',
        'succeeded',
        'rework',
      ] as const) {
        target[key] += row[key];
        total[key] += row[key];
      }
    }
    for (const row of incidents) {
      const target = intervals[row.bucket];
      if (!target) continue;
      target.incidents += row.incidents;
      total.incidents += row.incidents;
    }
    for (const [bucket, distribution] of lead.buckets) {
      if (intervals[bucket]) intervals[bucket].leadTime = distribution;
    }
    total.leadTime = lead.total;
    for (const [bucket, distribution] of recovery.buckets) {
      if (intervals[bucket]) intervals[bucket].recoveryTime = distribution;
    }
    total.recoveryTime = recovery.total;
    return { total, intervals };
  }

  /**
   * How to narrow the facts to a scope: by service, or not at all when the scope holds every
   * service DORA has facts of (an organisation's card), which spares a 2,000-name filter.
   */
  async #scope(entityRefs: string[]): Promise<Scope> {
    const wanted = new Set(entityRefs);
    const known: Array<{ entity_ref: string }> = await this.#db(
      SERVICES,
    ).select('entity_ref');
    return known.every(k => wanted.has(k.entity_ref))
      ? (q: Knex.QueryBuilder) => q
      : (q: Knex.QueryBuilder) => q.whereIn('entity_ref', entityRefs);
  }

  async #deploymentCounts(scope: Scope, window: DoraWindow) {
    const rows = await this.#db(DEPLOYMENTS)
      .select(
        this.#db.raw('CAST((deployed_at - ?) / ? AS INTEGER) AS bucket', [
          window.from,
          window.intervalMs,
        ]),
        this.#db.raw(
          "SUM(CASE WHEN production AND status = 'success' THEN 1 ELSE 0 END) AS deployments",
        ),
        this.#db.raw(
          'SUM(CASE WHEN production THEN 1 ELSE 0 END) AS production_deployments',
        ),
        this.#db.raw(
          'SUM(CASE WHEN production AND failed THEN 1 ELSE 0 END) AS failed_deployments',
        ),
        this.#db.raw('COUNT(*) AS attempts'),
        this.#db.raw(
          "SUM(CASE WHEN status = 'success' THEN 1 ELSE 0 END) AS succeeded",
        ),
        this.#db.raw(
          'SUM(CASE WHEN production AND rework THEN 1 ELSE 0 END) AS rework',
        ),
      )
      .where('deployed_at', '>=', window.from)
      .andWhere('deployed_at', '<', window.to)
      .modify(scope)
      .groupByRaw('1');
    return rows.map((r: Record<string, string | number>) => ({
      bucket: num(r.bucket),
      deployments: num(r.deployments),
      productionDeployments: num(r.production_deployments),
      failedDeployments: num(r.failed_deployments),
      attempts: num(r.attempts),
      succeeded: num(r.succeeded),
      rework: num(r.rework),
    }));
  }

  async #incidentCounts(scope: Scope, window: DoraWindow) {
    const rows = await this.#db(INCIDENTS)
      .select(
        this.#db.raw('CAST((started_at - ?) / ? AS INTEGER) AS bucket', [
          window.from,
          window.intervalMs,
        ]),
        this.#db.raw('COUNT(*) AS incidents'),
      )
      .where('started_at', '>=', window.from)
      .andWhere('started_at', '<', window.to)
      .modify(scope)
      .groupByRaw('1');
    return rows.map((r: Record<string, string | number>) => ({
      bucket: num(r.bucket),
      incidents: num(r.incidents),
    }));
  }

  /**
   * Nearest-rank median and 90th percentile of a duration column, per interval and over the
   * whole period, at the resolution the cards show (minutes under a day, hours under 30 days,
   * days beyond): one grouped count per interval and step, in SQL alike on SQLite and
   * PostgreSQL, instead of sorting every value (an organisation's 12 weeks are ~800 k commits).
   */
  async #percentiles(options: {
    table: string;
    value: string;
    time: string;
    scope: Scope;
    window: DoraWindow;
  }): Promise<{
    total: DoraDistribution;
    buckets: Map<number, DoraDistribution>;
  }> {
    const { table, value, time, scope, window } = options;
    const db = this.#db;
    const rows: Array<Record<string, string | number>> = await db(table)
      .select(
        db.raw(`CAST((?? - ?) / ? AS INTEGER) AS bucket`, [
          time,
          window.from,
          window.intervalMs,
        ]),
        db.raw(`${DURATION_STEP_SQL} AS step`, [
          value,
          value,
          value,
          value,
          value,
        ]),
        db.raw('COUNT(*) AS n'),
      )
      .whereNotNull(value)
      .andWhere(time, '>=', window.from)
      .andWhere(time, '<', window.to)
      .modify(scope)
      .groupByRaw('1, 2');
    const perBucket = new Map<number, Array<[number, number]>>();
    const all = new Map<number, number>();
    for (const r of rows) {
      const bucket = num(r.bucket);
      const step = num(r.step);
      const n = num(r.n);
      const list = perBucket.get(bucket) ?? [];
      list.push([step, n]);
      perBucket.set(bucket, list);
      all.set(step, (all.get(step) ?? 0) + n);
    }
    const distribution = (counts: Array<[number, number]>) => {
      counts.sort((a, b) => a[0] - b[0]);
      const p50 = percentileOfCounts(counts, 0.5);
      const p90 = percentileOfCounts(counts, 0.9);
      return {
        count: counts.reduce((sum, [, n]) => sum + n, 0),
        ...(p50 === undefined ? {} : { p50: durationOfStep(p50) }),
        ...(p90 === undefined ? {} : { p90: durationOfStep(p90) }),
      };
    };
    const buckets = new Map<number, DoraDistribution>();
    for (const [bucket, counts] of perBucket) {
      buckets.set(bucket, distribution(counts));
    }
    return { total: distribution([...all.entries()]), buckets };
  }

  /** The production deployments and failed attempts of a period, newest first. */
  async listDeployments(options: {
    entityRefs: string[];
    from: number;
    to: number;
    limit: number;
    offset: number;
  }): Promise<{ total: number; items: DoraDeploymentRecord[] }> {
    const { entityRefs, from, to } = options;
    if (entityRefs.length === 0) return { total: 0, items: [] };
    const where = (q: Knex.QueryBuilder) =>
      q
        .where('deployed_at', '>=', from)
        .andWhere('deployed_at', '<', to)
        .whereIn('entity_ref', entityRefs);
    const [{ n }] = await where(this.#db(DEPLOYMENTS)).count({ n: '*' });
    const rows: DeploymentRow[] = await where(this.#db(DEPLOYMENTS).select('*'))
      .orderBy([
        { column: 'deployed_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(options.limit)
      .offset(options.offset);
    const ids = rows.map(r => r.id);
    const changes: ChangeRow[] = ids.length
      ? await this.#db(CHANGES)
          .whereIn('deployment_id', ids)
          .select('deployment_id', 'lead_ms')
      : [];
    const byDeployment = new Map<string, number[]>();
    for (const c of changes) {
      const list = byDeployment.get(c.deployment_id!) ?? [];
      if (c.lead_ms !== null) list.push(num(c.lead_ms));
      else list.push(Number.NaN);
      byDeployment.set(c.deployment_id!, list);
    }
    return {
      total: num(n as string | number),
      items: rows.map(r => {
        const all = byDeployment.get(r.id) ?? [];
        const leads = all
          .filter(v => !Number.isNaN(v))
          .sort((a, b) => a - b)
          .map(v => [v, 1] as const);
        const leadTimeMedian = percentileOfCounts(leads, 0.5);
        return {
          id: r.id,
          entityRef: r.entity_ref,
          sha: r.sha,
          deployedAt: num(r.deployed_at),
          status: r.status,
          production: Boolean(r.production),
          source: r.source,
          ...(r.token ? { token: r.token } : {}),
          ...(r.url ? { url: r.url } : {}),
          failed: Boolean(r.failed),
          rework: Boolean(r.rework),
          commits: all.length,
          ...(leadTimeMedian === undefined ? {} : { leadTimeMedian }),
        };
      }),
    };
  }

  /** The commits first deployed in a period, with their lead times, newest first. */
  async listCommits(options: {
    entityRefs: string[];
    from: number;
    to: number;
    limit: number;
    offset: number;
  }): Promise<{ total: number; items: DoraCommitRecord[] }> {
    const { entityRefs, from, to } = options;
    if (entityRefs.length === 0) return { total: 0, items: [] };
    const where = (q: Knex.QueryBuilder) =>
      q
        .whereNotNull(`${CHANGES}.lead_ms`)
        .andWhere(`${CHANGES}.deployed_at`, '>=', from)
        .andWhere(`${CHANGES}.deployed_at`, '<', to)
        .whereIn(`${CHANGES}.entity_ref`, entityRefs);
    const [{ n }] = await where(this.#db(CHANGES)).count({ n: '*' });
    const rows: Array<ChangeRow & { token: string | null }> = await where(
      this.#db(CHANGES)
        .leftJoin(DEPLOYMENTS, `${DEPLOYMENTS}.id`, `${CHANGES}.deployment_id`)
        .select(`${CHANGES}.*`, `${DEPLOYMENTS}.token`),
    )
      .orderBy([
        { column: `${CHANGES}.deployed_at`, order: 'desc' },
        { column: `${CHANGES}.committed_at`, order: 'desc' },
        { column: `${CHANGES}.sha`, order: 'asc' },
      ])
      .limit(options.limit)
      .offset(options.offset);
    return {
      total: num(n as string | number),
      items: rows.map(r => ({
        entityRef: r.entity_ref,
        sha: r.sha,
        committedAt: num(r.committed_at),
        deployedAt: num(r.deployed_at),
        leadTime: num(r.lead_ms),
        deploymentId: r.deployment_id!,
        ...(r.token ? { token: r.token } : {}),
      })),
    };
  }

  /** The incidents started in a period, newest first. */
  async listIncidents(options: {
    entityRefs: string[];
    from: number;
    to: number;
    limit: number;
    offset: number;
  }): Promise<{ total: number; items: DoraIncidentRecord[] }> {
    const { entityRefs, from, to } = options;
    if (entityRefs.length === 0) return { total: 0, items: [] };
    const where = (q: Knex.QueryBuilder) =>
      q
        .where('started_at', '>=', from)
        .andWhere('started_at', '<', to)
        .whereIn('entity_ref', entityRefs);
    const [{ n }] = await where(this.#db(INCIDENTS)).count({ n: '*' });
    const rows: IncidentRow[] = await where(this.#db(INCIDENTS).select('*'))
      .orderBy([
        { column: 'started_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(options.limit)
      .offset(options.offset);
    return { total: num(n as string | number), items: rows.map(toIncident) };
  }
}

function toIncident(r: IncidentRow): DoraIncidentRecord {
  return {
    id: r.id,
    entityRef: r.entity_ref,
    title: r.title,
    source: r.source,
    startedAt: num(r.started_at),
    ...(r.resolved_at === null ? {} : { resolvedAt: num(r.resolved_at) }),
    ...(r.recovery_ms === null ? {} : { recoveryTime: num(r.recovery_ms) }),
    ...(r.deployment_id ? { deploymentId: r.deployment_id } : {}),
    ...(r.token ? { token: r.token } : {}),
    ...(r.sha ? { sha: r.sha } : {}),
    ...(r.url ? { url: r.url } : {}),
  };
}

function occurredAt(event: DoraEvent): number {
  if (event.type === 'incident') return event.resolvedAt ?? event.startedAt;
  return event.at;
}

type Tx = Knex.Transaction;
type DeploymentEvent = Extract<DoraEvent, { type: 'deployment' }>;
type PushEvent = Extract<DoraEvent, { type: 'push' }>;
type IncidentEvent = Extract<DoraEvent, { type: 'incident' }>;

/** A sha as the facts keep it: lower case, at most 40 characters. */
const sha = (s: string) => s.toLowerCase().slice(0, 40);

async function applyDeployment(tx: Tx, event: DeploymentEvent) {
  const id = event.sourceId;
  const existing = await tx(DEPLOYMENTS).where({ id }).first('id');
  if (existing) return;
  const delivered = event.production && event.status === 'success';
  await tx(DEPLOYMENTS).insert({
    id,
    entity_ref: event.entityRef,
    sha: sha(event.sha),
    deployed_at: event.at,
    status: event.status,
    production: event.production,
    source: event.source,
    token: event.token ?? null,
    url: event.url ?? null,
    failed: event.production && event.status === 'failure',
    rework: false,
  });
  // Incidents that named this deployment before it arrived.
  if (event.production) {
    const waiting: IncidentRow[] = await tx(INCIDENTS)
      .where({ entity_ref: event.entityRef })
      .whereNull('deployment_id')
      .andWhere('started_at', '>=', event.at);
    for (const incident of waiting) {
      if (
        (incident.token && incident.token === event.token) ||
        (incident.sha && sha(event.sha).startsWith(incident.sha))
      ) {
        await linkIncident(tx, incident.id, id);
      }
    }
    await updateRework(tx, event.entityRef, event.at);
  }
  if (!delivered) return;

  // The commits it brought to production.
  const carried: Array<{ sha: string; committedAt?: number }> = [];
  if (event.commits) {
    carried.push(...event.commits.map(c => ({ ...c, sha: sha(c.sha) })));
    if (!carried.some(c => c.sha === sha(event.sha))) {
      carried.push({ sha: sha(event.sha) });
    }
  } else {
    // Pushed before it and carried by no deployment yet: the commits of the pushes up to the
    // one that brought its sha (Four Keys links changes to deployments so).
    const own: ChangeRow | undefined = await tx(CHANGES)
      .where({ entity_ref: event.entityRef, sha: sha(event.sha) })
      .first();
    const pushedBy = optNum(own?.pushed_at) ?? event.at;
    const pending: ChangeRow[] = await tx(CHANGES)
      .where({ entity_ref: event.entityRef })
      .whereNull('deployment_id')
      .andWhere('pushed_at', '<=', pushedBy);
    carried.push(
      ...pending.map(c => ({
        sha: c.sha,
        ...(c.committed_at === null
          ? {}
          : { committedAt: num(c.committed_at) }),
      })),
    );
    if (!carried.some(c => c.sha === sha(event.sha))) {
      carried.push({ sha: sha(event.sha) });
    }
  }
  for (const commit of carried) {
    await deliverChange(tx, {
      entityRef: event.entityRef,
      sha: commit.sha,
      committedAt: commit.committedAt,
      deploymentId: id,
      deployedAt: event.at,
    });
  }
}

/** Records that a deployment brought a commit to production, if no earlier one did. */
async function deliverChange(
  tx: Tx,
  change: {
    entityRef: string;
    sha: string;
    committedAt?: number;
    deploymentId: string;
    deployedAt: number;
  },
) {
  const row: ChangeRow | undefined = await tx(CHANGES)
    .where({ entity_ref: change.entityRef, sha: change.sha })
    .first();
  if (!row) {
    await tx(CHANGES).insert({
      entity_ref: change.entityRef,
      sha: change.sha,
      committed_at: change.committedAt ?? null,
      pushed_at: null,
      deployment_id: change.deploymentId,
      deployed_at: change.deployedAt,
      lead_ms: leadMs(change.committedAt, change.deployedAt),
    });
    return;
  }
  // A commit deployed twice counts from its first production deployment.
  const deployedAt = optNum(row.deployed_at);
  const committedAt = optNum(row.committed_at) ?? change.committedAt;
  if (deployedAt !== undefined && deployedAt <= change.deployedAt) {
    if (row.committed_at === null && committedAt !== undefined) {
      await tx(CHANGES)
        .where({ entity_ref: change.entityRef, sha: change.sha })
        .update({
          committed_at: committedAt,
          lead_ms: leadMs(committedAt, deployedAt),
        });
    }
    return;
  }
  await tx(CHANGES)
    .where({ entity_ref: change.entityRef, sha: change.sha })
    .update({
      committed_at: committedAt ?? null,
      deployment_id: change.deploymentId,
      deployed_at: change.deployedAt,
      lead_ms: leadMs(committedAt, change.deployedAt),
    });
}

function leadMs(committedAt: number | undefined, deployedAt: number) {
  // A commit clock ahead of the deployment's counts as no wait, not as negative time.
  return committedAt === undefined
    ? null
    : Math.max(0, deployedAt - committedAt);
}

async function applyPush(tx: Tx, event: PushEvent) {
  let deployedBy: { id: string; at: number } | undefined;
  for (const commit of event.commits) {
    const key = { entity_ref: event.entityRef, sha: sha(commit.sha) };
    const row: ChangeRow | undefined = await tx(CHANGES).where(key).first();
    if (!row) {
      await tx(CHANGES).insert({
        ...key,
        committed_at: commit.committedAt,
        pushed_at: event.at,
        deployment_id: null,
        deployed_at: null,
        lead_ms: null,
      });
      continue;
    }
    const committedAt = optNum(row.committed_at) ?? commit.committedAt;
    const deployedAt = optNum(row.deployed_at);
    await tx(CHANGES)
      .where(key)
      .update({
        committed_at: committedAt,
        pushed_at: optNum(row.pushed_at) ?? event.at,
        ...(deployedAt === undefined
          ? {}
          : { lead_ms: leadMs(committedAt, deployedAt) }),
      });
    if (row.deployment_id && deployedAt !== undefined) {
      if (!deployedBy || deployedAt < deployedBy.at) {
        deployedBy = { id: row.deployment_id, at: deployedAt };
      }
    }
  }
  // The push arrived after a deployment of one of its commits: that deployment carried the
  // push's other commits too.
  if (deployedBy) {
    for (const commit of event.commits) {
      await deliverChange(tx, {
        entityRef: event.entityRef,
        sha: sha(commit.sha),
        committedAt: commit.committedAt,
        deploymentId: deployedBy.id,
        deployedAt: deployedBy.at,
      });
    }
  }
}

async function applyIncident(tx: Tx, event: IncidentEvent) {
  const row: IncidentRow | undefined = await tx(INCIDENTS)
    .where({ id: event.incidentId })
    .first();
  const startedAt = Math.min(
    event.startedAt,
    optNum(row?.started_at) ?? event.startedAt,
  );
  // A stale 'open' (older than the resolution already stored) keeps it resolved.
  const storedResolution = optNum(row?.resolved_at);
  const stale =
    event.resolvedAt === undefined &&
    storedResolution !== undefined &&
    event.updatedAt !== undefined &&
    event.updatedAt <= storedResolution;
  const resolvedAt = stale ? storedResolution : event.resolvedAt;
  const values = {
    entity_ref: event.entityRef,
    title: event.title,
    source: event.source,
    started_at: startedAt,
    resolved_at: resolvedAt ?? null,
    recovery_ms:
      resolvedAt === undefined ? null : Math.max(0, resolvedAt - startedAt),
    token: event.token ?? row?.token ?? null,
    sha: event.sha ? sha(event.sha) : row?.sha ?? null,
    url: event.url ?? row?.url ?? null,
  };
  if (row) {
    await tx(INCIDENTS).where({ id: event.incidentId }).update(values);
  } else {
    await tx(INCIDENTS).insert({
      id: event.incidentId,
      ...values,
      deployment_id: null,
    });
  }
  if (!row?.deployment_id) {
    const cause = await causeOf(tx, {
      entityRef: event.entityRef,
      token: values.token ?? undefined,
      sha: values.sha ?? undefined,
      startedAt,
    });
    if (cause) await linkIncident(tx, event.incidentId, cause);
  }
  await updateRework(
    tx,
    event.entityRef,
    Math.min(startedAt, optNum(row?.started_at) ?? startedAt),
  );
}

/** The production deployment an incident names: by token, or the last of a sha before it began. */
async function causeOf(
  tx: Tx,
  o: { entityRef: string; token?: string; sha?: string; startedAt: number },
): Promise<string | undefined> {
  if (o.token) {
    const byToken = await tx(DEPLOYMENTS)
      .where({ token: o.token, production: true })
      .first('id');
    if (byToken) return byToken.id;
  }
  if (o.sha) {
    const bySha = await tx(DEPLOYMENTS)
      .where({ entity_ref: o.entityRef, production: true })
      .andWhere('sha', 'like', `${o.sha}%`)
      .andWhere('deployed_at', '<=', o.startedAt)
      .orderBy('deployed_at', 'desc')
      .first('id');
    if (bySha) return bySha.id;
  }
  return undefined;
}

async function linkIncident(tx: Tx, incidentId: string, deploymentId: string) {
  await tx(INCIDENTS)
    .where({ id: incidentId })
    .update({ deployment_id: deploymentId });
  await tx(DEPLOYMENTS)
    .where({ id: deploymentId, production: true })
    .update({ failed: true });
}

/**
 * Rework: a production deployment made while an incident of the service was open (and not the
 * one that caused it). Recomputed for the service's deployments from `since` on.
 */
async function updateRework(tx: Tx, entityRef: string, since: number) {
  await tx(DEPLOYMENTS)
    .where({ entity_ref: entityRef, production: true })
    .andWhere('deployed_at', '>=', since)
    .update({
      rework: tx.raw(
        `CASE WHEN EXISTS (
          SELECT 1 FROM ${INCIDENTS} i
          WHERE i.entity_ref = ${DEPLOYMENTS}.entity_ref
            AND i.started_at <= ${DEPLOYMENTS}.deployed_at
            AND (i.resolved_at IS NULL OR i.resolved_at >= ${DEPLOYMENTS}.deployed_at)
            AND (i.deployment_id IS NULL OR i.deployment_id <> ${DEPLOYMENTS}.id)
        ) THEN TRUE ELSE FALSE END`,
      ),
    });
}
