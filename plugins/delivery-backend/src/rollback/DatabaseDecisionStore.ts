import { DatabaseService } from '@backstage/backend-plugin-api';
import {
  Decision,
  DecisionHistory,
  DecisionThresholds,
  FlagOfChange,
  HealthFigures,
} from '@internal/plugin-delivery-common';
import { Knex } from 'knex';
import { migrateDeliveryDatabase } from '../database/DatabaseObservedVersionsStore';

const TABLE = 'delivery_rollback_decisions';

/** What a decision was made on. */
export interface DecisionInputs {
  figures: HealthFigures;
  flags: FlagOfChange[];
  history?: DecisionHistory;
  thresholds?: Partial<DecisionThresholds>;
  /** The window the figures cover, in seconds. */
  windowSeconds: number;
}

/** A stored decision. */
export interface DecisionRecord {
  id: string;
  entityRef: string;
  environment: string;
  decidedAt: Date;
  decidedBy: string;
  decision: Decision;
  inputs: DecisionInputs;
  runId?: string;
}

type Row = {
  id: number | string;
  entity_ref: string;
  environment: string;
  decided_at: Date | string;
  level: string;
  action: string;
  severity: string;
  reasons: string;
  inputs: string;
  decided_by: string;
  run_id: string | null;
  decision?: string;
};

/**
 * Every decision of the rollback engine with its inputs, on the plugin's database (SQLite or
 * PostgreSQL): what on-call reads as the history of decisions, and what explains an automated
 * action after the fact.
 */
export class DatabaseDecisionStore {
  static async create(options: { database: DatabaseService }) {
    const knex = await options.database.getClient();
    if (!options.database.migrations?.skip) {
      await migrateDeliveryDatabase(knex);
    }
    return new DatabaseDecisionStore(knex);
  }

  constructor(private readonly db: Knex) {}

  async record(options: {
    entityRef: string;
    environment: string;
    decidedAt: Date;
    decidedBy: string;
    decision: Decision;
    inputs: DecisionInputs;
  }): Promise<DecisionRecord> {
    const { decision } = options;
    const [inserted] = await this.db(TABLE)
      .insert({
        entity_ref: options.entityRef,
        environment: options.environment,
        decided_at: options.decidedAt,
        level: String(decision.level),
        action: decision.action,
        severity: decision.severity,
        reasons: JSON.stringify(decision.reasons),
        // The whole decision (flags to turn off, what comes next) rides with the inputs.
        inputs: JSON.stringify({ ...options.inputs, decision }),
        decided_by: options.decidedBy,
      })
      .returning('id');
    const id = String(typeof inserted === 'object' ? inserted.id : inserted);
    return (await this.get(id))!;
  }

  /** Links a decision to the run that acted on it. */
  async actedBy(id: string, runId: string): Promise<void> {
    await this.db(TABLE).where({ id }).update({ run_id: runId });
  }

  /** Retention: deletes decisions made before `before`; returns how many went. */
  async prune(options: { before: Date }): Promise<number> {
    return this.db(TABLE).where('decided_at', '<', options.before).delete();
  }

  async get(id: string): Promise<DecisionRecord | undefined> {
    const row = await this.db<Row>(TABLE).where({ id }).first();
    return row ? toRecord(row) : undefined;
  }

  /** A service's decisions, newest first, in one environment or all. */
  async list(options: {
    entityRef: string;
    environment?: string;
    limit?: number;
  }): Promise<DecisionRecord[]> {
    const query = this.db<Row>(TABLE)
      .where({ entity_ref: options.entityRef })
      .orderBy([
        { column: 'decided_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(options.limit ?? 50);
    if (options.environment) query.where({ environment: options.environment });
    return (await query).map(toRecord);
  }
}

function toRecord(row: Row): DecisionRecord {
  const { decision, ...inputs } = JSON.parse(row.inputs);
  return {
    id: String(row.id),
    entityRef: row.entity_ref,
    environment: row.environment,
    decidedAt: new Date(row.decided_at),
    decidedBy: row.decided_by,
    decision,
    inputs,
    ...(row.run_id ? { runId: row.run_id } : {}),
  };
}
