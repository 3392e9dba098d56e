import { DatabaseService } from '@backstage/backend-plugin-api';
import { ConflictError } from '@backstage/errors';
import { Knex } from 'knex';
import { migrateDeliveryDatabase } from '../database/DatabaseObservedVersionsStore';
import { isUniqueViolation } from '../database/uniqueViolation';

export type EphemeralStatus =
  | 'creating'
  | 'updating'
  | 'ready'
  | 'failed'
  | 'deleting'
  | 'deleted';

/** The Jenkins build of an environment's branch. */
export interface EphemeralBuildRecord {
  job: string;
  number?: number;
  url?: string;
  building: boolean;
  result?: string;
}

/** A flag as the environment started with it. */
export interface EphemeralFlagRecord {
  key: string;
  state: string;
  defaultVariant?: string;
  /** Targeting rules decide for some users. */
  targeted?: boolean;
}

/** An ephemeral environment as stored. */
export interface EphemeralRecord {
  id: string;
  entityRef: string;
  branch: string;
  cluster: string;
  namespace: string;
  commitSha: string;
  image?: string;
  status: EphemeralStatus;
  statusReason?: string;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
  expiresAt: Date;
  persistent: boolean;
  readyAt?: Date;
  remindedFor?: Date;
  deletedAt?: Date;
  deletedBy?: string;
  runId?: string;
  build?: EphemeralBuildRecord;
  flags?: EphemeralFlagRecord[];
}

/** A GitHub delivery waiting in the inbox. */
export interface EphemeralInboxItem {
  id: number;
  name: string;
  deliveryId?: string;
  repository: string;
  payload: unknown;
  receivedAt: number;
  attempts: number;
}

const TABLE = 'delivery_ephemeral_environments';
const INBOX = 'delivery_ephemeral_inbox';

/** Statuses of an environment that still has (or is getting) a namespace. */
export const LIVE_STATUSES: EphemeralStatus[] = [
  'creating',
  'updating',
  'ready',
  'failed',
];

type Row = {
  id: string;
  entity_ref: string;
  branch: string;
  cluster: string;
  namespace: string;
  live_namespace: string | null;
  commit_sha: string;
  image: string | null;
  status: EphemeralStatus;
  status_reason: string | null;
  created_by: string;
  created_at: string | number;
  updated_at: string | number;
  expires_at: string | number;
  persistent: boolean | number;
  ready_at: string | number | null;
  reminded_for: string | number | null;
  deleted_at: string | number | null;
  deleted_by: string | null;
  run_id: string | null;
  sweep_id: string | null;
  sweep_claimed_at: string | number | null;
  build: string | null;
  flags: string | null;
};

function date(value: string | number | null): Date | undefined {
  return value === null || value === undefined
    ? undefined
    : new Date(Number(value));
}

function toRecord(row: Row): EphemeralRecord {
  const optional = <T>(key: string, value: T | null | undefined) =>
    value === null || value === undefined ? {} : { [key]: value };
  return {
    id: row.id,
    entityRef: row.entity_ref,
    branch: row.branch,
    cluster: row.cluster,
    namespace: row.namespace,
    commitSha: row.commit_sha,
    status: row.status,
    createdBy: row.created_by,
    createdAt: date(row.created_at)!,
    updatedAt: date(row.updated_at)!,
    expiresAt: date(row.expires_at)!,
    persistent: Boolean(row.persistent),
    ...optional('image', row.image),
    ...optional('statusReason', row.status_reason),
    ...optional('readyAt', date(row.ready_at)),
    ...optional('remindedFor', date(row.reminded_for)),
    ...optional('deletedAt', date(row.deleted_at)),
    ...optional('deletedBy', row.deleted_by),
    ...optional('runId', row.run_id),
    ...optional('build', row.build ? JSON.parse(row.build) : undefined),
    ...optional('flags', row.flags ? JSON.parse(row.flags) : undefined),
  };
}

/** What may change on an environment. */
export interface EphemeralPatch {
  status?: EphemeralStatus;
  statusReason?: string | null;
  commitSha?: string;
  image?: string;
  expiresAt?: Date;
  persistent?: boolean;
  readyAt?: Date;
  remindedFor?: Date;
  runId?: string;
  build?: EphemeralBuildRecord;
  flags?: EphemeralFlagRecord[];
  deletedBy?: string;
}

/**
 * Ephemeral environments and their GitHub inbox, on the plugin's database (SQLite or
 * PostgreSQL). A live environment's namespace is unique per cluster (a unique index over the
 * namespace while it is not deleted), so two branches can never share one, and the sweep claims
 * expired environments with one conditional update, so two sweeps never delete the same one
 * twice.
 */
export class DatabaseEphemeralStore {
  static async create(options: { database: DatabaseService }) {
    const knex = await options.database.getClient();
    if (!options.database.migrations?.skip) {
      await migrateDeliveryDatabase(knex);
    }
    return new DatabaseEphemeralStore(knex);
  }

  constructor(private readonly db: Knex) {}

  /** Runs `fn` in one transaction (an environment and its run are created together). */
  async transaction<T>(fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  /** Stores a new environment (in `transaction` when given). 409 when its namespace is live. */
  async insert(
    env: EphemeralRecord,
    transaction?: Knex.Transaction,
  ): Promise<void> {
    try {
      await (transaction ?? this.db)(TABLE).insert({
        id: env.id,
        entity_ref: env.entityRef,
        branch: env.branch,
        cluster: env.cluster,
        namespace: env.namespace,
        live_namespace: env.namespace,
        commit_sha: env.commitSha,
        image: env.image ?? null,
        status: env.status,
        status_reason: env.statusReason ?? null,
        created_by: env.createdBy,
        created_at: env.createdAt.getTime(),
        updated_at: env.updatedAt.getTime(),
        expires_at: env.expiresAt.getTime(),
        persistent: env.persistent,
        run_id: env.runId ?? null,
        build: env.build ? JSON.stringify(env.build) : null,
        flags: env.flags ? JSON.stringify(env.flags) : null,
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        const taken = await this.findLiveByNamespace(
          env.cluster,
          env.namespace,
        );
        throw new ConflictError(
          taken
            ? `Namespace ${env.namespace} already belongs to the live environment ${taken.id} of ${taken.entityRef}, branch ${taken.branch}`
            : `Namespace ${env.namespace} is already taken`,
        );
      }
      throw error;
    }
  }

  async get(id: string): Promise<EphemeralRecord | undefined> {
    const row = await this.db<Row>(TABLE).where({ id }).first();
    return row ? toRecord(row) : undefined;
  }

  async findLiveByNamespace(
    cluster: string,
    namespace: string,
  ): Promise<EphemeralRecord | undefined> {
    const row = await this.db<Row>(TABLE)
      .where({ cluster, live_namespace: namespace })
      .first();
    return row ? toRecord(row) : undefined;
  }

  /** The service's live environment of a branch, if any. */
  async findLive(
    entityRef: string,
    branch: string,
  ): Promise<EphemeralRecord | undefined> {
    const row = await this.db<Row>(TABLE)
      .where({ entity_ref: entityRef, branch })
      .whereNotNull('live_namespace')
      .orderBy('created_at', 'desc')
      .first();
    return row ? toRecord(row) : undefined;
  }

  /** A service's environments: every live one, then the newest `deleted` deleted ones. */
  async listForEntity(
    entityRef: string,
    options: { deleted: number },
  ): Promise<EphemeralRecord[]> {
    const live = await this.db<Row>(TABLE)
      .where({ entity_ref: entityRef })
      .whereNotNull('live_namespace')
      .orderBy('created_at', 'desc');
    const deleted = await this.db<Row>(TABLE)
      .where({ entity_ref: entityRef })
      .whereNull('live_namespace')
      .orderBy('deleted_at', 'desc')
      .limit(options.deleted);
    return [...live, ...deleted].map(toRecord);
  }

  /** Every live environment of a cluster, in short (the sweep's checks against the cluster). */
  async liveEnvironments(
    cluster: string,
  ): Promise<
    Array<Pick<EphemeralRecord, 'id' | 'namespace' | 'status' | 'updatedAt'>>
  > {
    const rows = await this.db<Row>(TABLE)
      .where({ cluster })
      .whereNotNull('live_namespace')
      .select('id', 'namespace', 'status', 'updated_at');
    return rows.map(r => ({
      id: r.id,
      namespace: r.namespace,
      status: r.status,
      updatedAt: date(r.updated_at)!,
    }));
  }

  /**
   * Changes a live environment; with `statuses`, only while it is in one of them; with `runId`,
   * only while that run is its latest. Returns the environment after the change, or undefined
   * when nothing changed.
   */
  async update(
    id: string,
    patch: EphemeralPatch,
    options: {
      statuses?: EphemeralStatus[];
      runId?: string;
      at: Date;
      transaction?: Knex.Transaction;
    },
  ): Promise<EphemeralRecord | undefined> {
    const changes: Partial<Row> = { updated_at: options.at.getTime() };
    if (patch.status !== undefined) changes.status = patch.status;
    if (patch.statusReason !== undefined) {
      changes.status_reason = patch.statusReason;
    }
    if (patch.commitSha !== undefined) changes.commit_sha = patch.commitSha;
    if (patch.image !== undefined) changes.image = patch.image;
    if (patch.expiresAt !== undefined) {
      changes.expires_at = patch.expiresAt.getTime();
    }
    if (patch.persistent !== undefined) changes.persistent = patch.persistent;
    if (patch.readyAt !== undefined) changes.ready_at = patch.readyAt.getTime();
    if (patch.remindedFor !== undefined) {
      changes.reminded_for = patch.remindedFor.getTime();
    }
    if (patch.runId !== undefined) changes.run_id = patch.runId;
    if (patch.build !== undefined) changes.build = JSON.stringify(patch.build);
    if (patch.flags !== undefined) changes.flags = JSON.stringify(patch.flags);
    if (patch.deletedBy !== undefined) changes.deleted_by = patch.deletedBy;
    const db = options.transaction ?? this.db;
    const query = db<Row>(TABLE).where({ id }).whereNotNull('live_namespace');
    if (options.statuses) query.whereIn('status', options.statuses);
    if (options.runId) query.where('run_id', options.runId);
    const n = await query.update(changes);
    if (n === 0) return undefined;
    const row = await db<Row>(TABLE).where({ id }).first();
    return row ? toRecord(row) : undefined;
  }

  /** Marks live environments deleted (their namespaces are gone). Returns those it marked. */
  async markDeleted(
    ids: string[],
    options: { by: string; reason: string; at: Date },
  ): Promise<string[]> {
    const marked: string[] = [];
    for (let i = 0; i < ids.length; i += 500) {
      const rows: Array<{ id: string }> = await this.db<Row>(TABLE)
        .whereIn('id', ids.slice(i, i + 500))
        .whereNotNull('live_namespace')
        .update({
          status: 'deleted',
          status_reason: options.reason,
          live_namespace: null,
          deleted_at: options.at.getTime(),
          deleted_by: options.by,
          updated_at: options.at.getTime(),
          sweep_id: null,
        })
        .returning('id');
      marked.push(...rows.map(r => r.id));
    }
    return marked;
  }

  /**
   * Claims the expired, non-persistent live environments for a sweep, and deletions that
   * stopped half-way more than `staleMs` ago (a replica died, the cluster was unreachable): one
   * conditional update, so two sweeps at once never claim the same one. Marks them `deleting`.
   */
  async claimExpired(options: {
    sweepId: string;
    now: Date;
    staleMs: number;
    limit: number;
  }): Promise<EphemeralRecord[]> {
    const now = options.now.getTime();
    const stale = now - options.staleMs;
    const due = (q: Knex.QueryBuilder) =>
      q.whereNotNull('live_namespace').where(which =>
        which
          // Expired, and not claimed by a sweep that is still at it.
          .where(expired =>
            expired
              .where('expires_at', '<=', now)
              .where('persistent', false)
              .where(free =>
                free
                  .whereNull('sweep_id')
                  .orWhere('sweep_claimed_at', '<', stale),
              ),
          )
          // A deletion (by a person, a branch event or a sweep) that stopped half-way.
          .orWhere(stuck =>
            stuck.where('status', 'deleting').where('updated_at', '<', stale),
          ),
      );
    // One statement: the due environments, oldest expiry first, claimed and returned; the
    // condition is evaluated again on each row it updates, so what another sweep claimed
    // meanwhile is not claimed twice.
    const rows: Row[] = await due(this.db<Row>(TABLE))
      .whereIn(
        'id',
        due(this.db<Row>(TABLE).select('id'))
          .orderBy('expires_at')
          .limit(options.limit),
      )
      .update({
        sweep_id: options.sweepId,
        sweep_claimed_at: now,
        status: 'deleting',
        updated_at: now,
      })
      .returning('*');
    return rows.map(toRecord);
  }

  /** Live environments whose creator should be reminded of their expiry by `before`. */
  async dueForReminder(options: {
    now: Date;
    before: Date;
  }): Promise<EphemeralRecord[]> {
    const rows = await this.db<Row>(TABLE)
      .whereNotNull('live_namespace')
      .where('persistent', false)
      .whereIn('status', ['ready', 'updating', 'creating', 'failed'])
      .where('expires_at', '>', options.now.getTime())
      .where('expires_at', '<=', options.before.getTime())
      .where(q =>
        q.whereNull('reminded_for').orWhereRaw('reminded_for <> expires_at'),
      );
    return rows.map(toRecord);
  }

  /** Claims a reminder: true for the one caller that records it for this expiry. */
  async claimReminder(id: string, expiresAt: Date): Promise<boolean> {
    const n = await this.db<Row>(TABLE)
      .where({ id, expires_at: expiresAt.getTime() })
      .where(q =>
        q
          .whereNull('reminded_for')
          .orWhere('reminded_for', '<>', expiresAt.getTime()),
      )
      .update({ reminded_for: expiresAt.getTime() });
    return n > 0;
  }

  /** Forgets environments deleted before `before` (retention); live ones are never touched. */
  async pruneDeleted(options: { before: Date }): Promise<number> {
    return this.db<Row>(TABLE)
      .whereNull('live_namespace')
      .where('deleted_at', '<', options.before.getTime())
      .delete();
  }

  // ---- inbox ------------------------------------------------------------------------------

  /** Writes a delivery to the inbox before it is processed; returns its id. */
  async addToInbox(item: {
    name: string;
    deliveryId?: string;
    repository: string;
    payload: unknown;
    receivedAt: number;
  }): Promise<number> {
    const [row] = await this.db(INBOX)
      .insert({
        name: item.name,
        delivery_id: item.deliveryId ?? null,
        repository: item.repository,
        payload: JSON.stringify(item.payload),
        received_at: item.receivedAt,
        next_attempt_at: item.receivedAt,
      })
      .returning('id');
    return Number(typeof row === 'object' ? row.id : row);
  }

  /** The oldest deliveries due for an attempt. */
  async dueInbox(options: {
    now: number;
    limit: number;
  }): Promise<EphemeralInboxItem[]> {
    const rows = await this.db(INBOX)
      .where('next_attempt_at', '<=', options.now)
      .orderBy('id')
      .limit(options.limit);
    return rows.map(r => ({
      id: Number(r.id),
      name: r.name,
      ...(r.delivery_id ? { deliveryId: r.delivery_id } : {}),
      repository: r.repository,
      payload: JSON.parse(r.payload),
      receivedAt: Number(r.received_at),
      attempts: Number(r.attempts),
    }));
  }

  async removeFromInbox(id: number): Promise<void> {
    await this.db(INBOX).where({ id }).delete();
  }

  /** Records a failed attempt; the delivery is tried again after `retryInMs`. */
  async retryInboxLater(
    id: number,
    options: { error: string; now: number; retryInMs: number },
  ): Promise<void> {
    await this.db(INBOX)
      .where({ id })
      .update({
        attempts: this.db.raw('attempts + 1'),
        last_error: options.error.slice(0, 2000),
        next_attempt_at: options.now + options.retryInMs,
      });
  }

  /** Drops deliveries received before `before` (ms): kept a day, then given up. */
  async pruneInbox(options: { before: number }): Promise<number> {
    return this.db(INBOX).where('received_at', '<', options.before).delete();
  }
}
