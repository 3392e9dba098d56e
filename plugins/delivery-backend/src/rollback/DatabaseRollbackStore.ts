import { DatabaseService } from '@backstage/backend-plugin-api';
import { ConflictError } from '@backstage/errors';
import { Knex } from 'knex';
import { migrateDeliveryDatabase } from '../database/DatabaseObservedVersionsStore';
import { isUniqueViolation } from '../database/uniqueViolation';

/** Levels a rollback can run at: 1 flag off, 2 stable version, 3 reroute, 5 restore, 6 escalate. */
export type RollbackLevel = 1 | 2 | 3 | 5 | 6;

export type RollbackStatus = 'running' | 'succeeded' | 'failed';

/** A rollback as stored (its stages are the run's). */
export interface RollbackRecord {
  id: string;
  entityRef: string;
  environment: string;
  level: RollbackLevel;
  reason: string;
  requestedBy: string;
  automated: boolean;
  decisionId?: string;
  deploymentToken?: string;
  flags?: string[];
  targetVersion?: string;
  status: RollbackStatus;
  outcomeReason?: string;
  createdAt: Date;
  finishedAt?: Date;
}

/** An incident: from the breach detected to health restored. */
export interface IncidentRecord {
  id: string;
  entityRef: string;
  environment: string;
  deploymentToken?: string;
  level: RollbackLevel;
  reason: string;
  severity: 'critical' | 'warning' | 'info';
  startedAt: Date;
  resolvedAt?: Date;
  actedBy: string;
  rollbackId?: string;
  githubIssueUrl?: string;
}

const ROLLBACKS = 'delivery_rollbacks';
const INCIDENTS = 'delivery_incidents';

type RollbackRow = {
  id: string;
  entity_ref: string;
  environment: string;
  level: number;
  reason: string;
  requested_by: string;
  automated: boolean | number;
  decision_id: string | null;
  deployment_token: string | null;
  flags: string | null;
  target_version: string | null;
  status: RollbackStatus;
  outcome_reason: string | null;
  created_at: Date | string;
  finished_at: Date | string | null;
  running_slot: string | null;
};

type IncidentRow = {
  id: string;
  entity_ref: string;
  environment: string;
  deployment_token: string | null;
  level: number;
  reason: string;
  severity: IncidentRecord['severity'];
  started_at: Date | string;
  resolved_at: Date | string | null;
  acted_by: string;
  rollback_id: string | null;
  github_issue_url: string | null;
};

const date = (value: Date | string) => new Date(value);

/**
 * Rollbacks and incidents on the plugin's database (SQLite or PostgreSQL). One rollback of a
 * service runs at a time: the database refuses a second (`running_slot` is unique).
 */
export class DatabaseRollbackStore {
  static async create(options: { database: DatabaseService }) {
    const knex = await options.database.getClient();
    if (!options.database.migrations?.skip) {
      await migrateDeliveryDatabase(knex);
    }
    return new DatabaseRollbackStore(knex);
  }

  constructor(private readonly db: Knex) {}

  /**
   * Records a new running rollback, in `transaction` when given (with its run). Throws a
   * ConflictError naming the running one when the service has one.
   */
  async createRollback(options: {
    rollback: Omit<RollbackRecord, 'status' | 'finishedAt' | 'outcomeReason'>;
    transaction?: Knex.Transaction;
  }): Promise<void> {
    const r = options.rollback;
    const db = options.transaction ?? this.db;
    try {
      await db(ROLLBACKS).insert({
        id: r.id,
        entity_ref: r.entityRef,
        environment: r.environment,
        level: r.level,
        reason: r.reason,
        requested_by: r.requestedBy,
        automated: r.automated,
        decision_id: r.decisionId ?? null,
        deployment_token: r.deploymentToken ?? null,
        flags: r.flags ? JSON.stringify(r.flags) : null,
        target_version: r.targetVersion ?? null,
        status: 'running',
        created_at: r.createdAt,
        running_slot: r.entityRef,
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const running = await this.running({ entityRef: r.entityRef });
      throw new ConflictError(
        `A rollback of ${r.entityRef} is running${
          running
            ? ` (${running.id}, level ${running.level} in ${running.environment}, by ${running.requestedBy})`
            : ''
        }; wait for it to finish`,
      );
    }
  }

  /** Ends a rollback (idempotent: a finished one keeps its first end). */
  async finishRollback(options: {
    id: string;
    status: Exclude<RollbackStatus, 'running'>;
    reason?: string;
    at: Date;
  }): Promise<void> {
    await this.db(ROLLBACKS)
      .where({ id: options.id, status: 'running' })
      .update({
        status: options.status,
        outcome_reason: options.reason ?? null,
        finished_at: options.at,
        running_slot: null,
      });
  }

  async getRollback(options: {
    id: string;
  }): Promise<RollbackRecord | undefined> {
    const row = await this.db<RollbackRow>(ROLLBACKS)
      .where({ id: options.id })
      .first();
    return row ? toRollback(row) : undefined;
  }

  /** The service's running rollback, if any. */
  async running(options: {
    entityRef: string;
  }): Promise<RollbackRecord | undefined> {
    const row = await this.db<RollbackRow>(ROLLBACKS)
      .where({ running_slot: options.entityRef })
      .first();
    return row ? toRollback(row) : undefined;
  }

  /** A service's rollbacks, newest first. */
  async listRollbacks(options: {
    entityRef: string;
    limit?: number;
  }): Promise<RollbackRecord[]> {
    const rows = await this.db<RollbackRow>(ROLLBACKS)
      .where({ entity_ref: options.entityRef })
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(options.limit ?? 20);
    return rows.map(toRollback);
  }

  /**
   * Retention: deletes rollbacks that finished before `before` (never a running one). Incidents
   * stay: DORA counts them over long periods.
   */
  async pruneRollbacks(options: { before: Date }): Promise<number> {
    return this.db(ROLLBACKS)
      .whereNot({ status: 'running' })
      .andWhere('finished_at', '<', options.before)
      .delete();
  }

  /** Opens an incident (idempotent by id), in `transaction` when given. */
  async openIncident(options: {
    incident: IncidentRecord;
    transaction?: Knex.Transaction;
  }): Promise<void> {
    const i = options.incident;
    await (options.transaction ?? this.db)(INCIDENTS)
      .insert({
        id: i.id,
        entity_ref: i.entityRef,
        environment: i.environment,
        deployment_token: i.deploymentToken ?? null,
        level: i.level,
        reason: i.reason,
        severity: i.severity,
        started_at: i.startedAt,
        resolved_at: i.resolvedAt ?? null,
        acted_by: i.actedBy,
        rollback_id: i.rollbackId ?? null,
        github_issue_url: i.githubIssueUrl ?? null,
      })
      .onConflict('id')
      .ignore();
  }

  /** Marks the incident of a rollback resolved (once). */
  async resolveIncident(options: { rollbackId: string; at: Date }) {
    await this.db(INCIDENTS)
      .where({ rollback_id: options.rollbackId })
      .whereNull('resolved_at')
      .update({ resolved_at: options.at });
  }

  /** Records the GitHub issue opened for an incident. */
  async setIncidentIssue(options: { id: string; url: string }) {
    await this.db(INCIDENTS)
      .where({ id: options.id })
      .update({ github_issue_url: options.url });
  }

  /** The incidents of several rollbacks (one query). */
  async incidentsOf(options: {
    rollbackIds: string[];
  }): Promise<IncidentRecord[]> {
    if (options.rollbackIds.length === 0) return [];
    const rows = await this.db<IncidentRow>(INCIDENTS).whereIn(
      'rollback_id',
      options.rollbackIds,
    );
    return rows.map(toIncident);
  }

  /** Runs `fn` in one transaction (a rollback's row, incident and run exist together). */
  async transaction<T>(fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  /** Every service's incidents started or resolved since a time (DORA's catch-up). */
  async listIncidentsSince(options: {
    since: Date;
  }): Promise<IncidentRecord[]> {
    const rows = await this.db<IncidentRow>(INCIDENTS)
      .where('started_at', '>=', options.since)
      .orWhere('resolved_at', '>=', options.since)
      .orderBy('started_at', 'asc');
    return rows.map(toIncident);
  }

  /** A service's incidents, newest first. */
  async listIncidents(options: {
    entityRef: string;
    limit?: number;
  }): Promise<IncidentRecord[]> {
    const rows = await this.db<IncidentRow>(INCIDENTS)
      .where({ entity_ref: options.entityRef })
      .orderBy([
        { column: 'started_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(options.limit ?? 20);
    return rows.map(toIncident);
  }
}

function toRollback(row: RollbackRow): RollbackRecord {
  return {
    id: row.id,
    entityRef: row.entity_ref,
    environment: row.environment,
    level: Number(row.level) as RollbackLevel,
    reason: row.reason,
    requestedBy: row.requested_by,
    automated: Boolean(row.automated),
    ...(row.decision_id ? { decisionId: row.decision_id } : {}),
    ...(row.deployment_token ? { deploymentToken: row.deployment_token } : {}),
    ...(row.flags ? { flags: JSON.parse(row.flags) } : {}),
    ...(row.target_version ? { targetVersion: row.target_version } : {}),
    status: row.status,
    ...(row.outcome_reason ? { outcomeReason: row.outcome_reason } : {}),
    createdAt: date(row.created_at),
    ...(row.finished_at ? { finishedAt: date(row.finished_at) } : {}),
  };
}

function toIncident(row: IncidentRow): IncidentRecord {
  return {
    id: row.id,
    entityRef: row.entity_ref,
    environment: row.environment,
    ...(row.deployment_token ? { deploymentToken: row.deployment_token } : {}),
    level: Number(row.level) as RollbackLevel,
    reason: row.reason,
    severity: row.severity,
    startedAt: date(row.started_at),
    ...(row.resolved_at ? { resolvedAt: date(row.resolved_at) } : {}),
    actedBy: row.acted_by,
    ...(row.rollback_id ? { rollbackId: row.rollback_id } : {}),
    ...(row.github_issue_url ? { githubIssueUrl: row.github_issue_url } : {}),
  };
}
