import { Knex } from 'knex';
import {
  Claim,
  Lease,
  NewRun,
  RunChanges,
  RunStore,
  StagePatch,
} from './RunStore';
import { LogRecord, RunRecord, StagePlan, StageRecord } from './types';

const RUNS = 'delivery_runs';
const STAGES = 'delivery_run_stages';
const LOGS = 'delivery_run_logs';

type Timestamp = Date | string | number | null;

type RunRow = {
  id: string;
  kind: string;
  subject: string;
  input: string;
  status: RunRecord['status'];
  outcome: string | null;
  reason: string | null;
  current_stage: number;
  next_step_at: Timestamp;
  cancel_requested_by: string | null;
  cancel_reason?: string | null;
  lease_owner: string | null;
  lease_generation: number | string;
  lease_expires_at: Timestamp;
  created_at: Timestamp;
  finished_at: Timestamp;
};

type StageRow = {
  run_id: string;
  position: number;
  name: string;
  kind: string;
  environment: string | null;
  status: StageRecord['status'];
  started_at: Timestamp;
  finished_at: Timestamp;
  actor: string | null;
  attempts: number;
  errors: number;
  state: string | null;
};

type LogRow = {
  id: number;
  run_id: string;
  position: number;
  at: Timestamp;
  level: LogRecord['level'];
  message: string;
};

function toDate(value: Timestamp): Date | undefined {
  if (value === null || value === undefined) return undefined;
  return value instanceof Date ? value : new Date(value);
}

function toRun(row: RunRow): RunRecord {
  return {
    id: row.id,
    kind: row.kind,
    subject: row.subject,
    input: JSON.parse(row.input),
    status: row.status,
    ...(row.outcome ? { outcome: row.outcome } : {}),
    ...(row.reason ? { reason: row.reason } : {}),
    currentStage: row.current_stage,
    ...(row.next_step_at ? { nextStepAt: toDate(row.next_step_at) } : {}),
    ...(row.cancel_requested_by
      ? { cancelRequestedBy: row.cancel_requested_by }
      : {}),
    ...(row.cancel_reason ? { cancelReason: row.cancel_reason } : {}),
    createdAt: toDate(row.created_at)!,
    ...(row.finished_at ? { finishedAt: toDate(row.finished_at) } : {}),
  };
}

function toStage(row: StageRow): StageRecord {
  return {
    runId: row.run_id,
    position: row.position,
    name: row.name,
    kind: row.kind,
    ...(row.environment ? { environment: row.environment } : {}),
    status: row.status,
    ...(row.started_at ? { startedAt: toDate(row.started_at) } : {}),
    ...(row.finished_at ? { finishedAt: toDate(row.finished_at) } : {}),
    ...(row.actor ? { actor: row.actor } : {}),
    attempts: row.attempts,
    errors: row.errors,
    state: row.state ? JSON.parse(row.state) : {},
  };
}

/** Rows of new, pending stages of a run, numbered from `first`. */
function newStageRows(runId: string, stages: StagePlan[], first: number) {
  return stages.map((stage, i) => ({
    run_id: runId,
    position: first + i,
    name: stage.name,
    kind: stage.kind,
    environment: stage.environment ?? null,
    status: 'pending',
    attempts: 0,
    errors: 0,
    state: '{}',
  }));
}

function stageUpdate(db: Knex, patch: StagePatch): Record<string, unknown> {
  const update: Record<string, unknown> = {};
  if (patch.status) update.status = patch.status;
  if (patch.startedAt) update.started_at = patch.startedAt;
  if (patch.finishedAt) update.finished_at = patch.finishedAt;
  if (patch.actor) update.actor = patch.actor;
  if (patch.state) update.state = JSON.stringify(patch.state);
  if (patch.errors !== undefined) update.errors = patch.errors;
  if (patch.incrementAttempts) update.attempts = db.raw('attempts + 1');
  return update;
}

/**
 * {@link RunStore} on the plugin's database. On PostgreSQL lease times come from the server's
 * clock (`clock_timestamp()`), so replicas with skewed clocks agree on who holds a lease; on
 * SQLite, which lives in one process, from that process's clock. Tests may inject a clock.
 */
export class DatabaseRunStore implements RunStore {
  readonly #db: Knex;
  readonly #clock?: () => Date;

  constructor(db: Knex, options?: { clock?: () => Date }) {
    this.#db = db;
    this.#clock = options?.clock;
  }

  async now(): Promise<Date> {
    if (this.#clock) return this.#clock();
    if (this.#db.client.config.client === 'pg') {
      const result = await this.#db.raw('select clock_timestamp() as now');
      return new Date(result.rows[0].now);
    }
    return new Date();
  }

  async createRun(options: {
    run: NewRun;
    transaction?: Knex.Transaction;
  }): Promise<void> {
    const { run } = options;
    const write = async (tx: Knex.Transaction) => {
      await tx<RunRow>(RUNS).insert({
        id: run.id,
        kind: run.kind,
        subject: run.subject,
        input: JSON.stringify(run.input ?? {}),
        status: 'running',
        current_stage: 0,
        next_step_at: run.now,
        lease_generation: 0,
        created_at: run.now,
      });
      if (run.stages.length > 0) {
        await tx(STAGES).insert(newStageRows(run.id, run.stages, 0));
      }
    };
    if (options.transaction) {
      await write(options.transaction);
    } else {
      await this.#db.transaction(write);
    }
  }

  async getRun(options: { id: string }): Promise<RunRecord | undefined> {
    const row = await this.#db<RunRow>(RUNS).where({ id: options.id }).first();
    return row ? toRun(row) : undefined;
  }

  async listStages(options: { runIds: string[] }): Promise<StageRecord[]> {
    if (options.runIds.length === 0) return [];
    const rows = await this.#db<StageRow>(STAGES)
      .whereIn('run_id', options.runIds)
      .orderBy('run_id', 'asc')
      .orderBy('position', 'asc');
    return rows.map(toStage);
  }

  async listLogs(options: { runIds: string[] }): Promise<LogRecord[]> {
    if (options.runIds.length === 0) return [];
    const rows = await this.#db<LogRow>(LOGS)
      .whereIn('run_id', options.runIds)
      .orderBy('id', 'asc');
    return rows.map(row => ({
      runId: row.run_id,
      position: row.position,
      at: toDate(row.at)!,
      level: row.level,
      message: row.message,
    }));
  }

  async requestCancel(options: {
    id: string;
    by: string;
    reason?: string;
  }): Promise<boolean> {
    const updated = await this.#db<RunRow>(RUNS)
      .where({ id: options.id, status: 'running' })
      .update({
        cancel_requested_by: options.by,
        cancel_reason: options.reason ?? null,
        next_step_at: await this.now(),
      });
    return updated === 1;
  }

  async claimNext(options: {
    owner: string;
    leaseMs: number;
    kinds: string[];
  }): Promise<Claim | undefined> {
    if (options.kinds.length === 0) return undefined;
    const now = await this.now();
    const free = (q: Knex.QueryBuilder) =>
      q.whereNull('lease_expires_at').orWhere('lease_expires_at', '<', now);
    // One query for all due work, whatever the number of services and kinds.
    const candidates = await this.#db<RunRow>(RUNS)
      .select('id')
      .whereIn('status', ['running', 'finishing'])
      .whereIn('kind', options.kinds)
      .andWhere('next_step_at', '<=', now)
      .andWhere(free)
      .orderBy('next_step_at', 'asc')
      .limit(5);
    for (const { id } of candidates) {
      // Another replica may claim the same run between the query and here: the conditional
      // update lets exactly one of them bump the generation.
      const claimed = await this.#db(RUNS)
        .where({ id })
        .whereIn('status', ['running', 'finishing'])
        .andWhere(free)
        .update({
          lease_owner: options.owner,
          lease_generation: this.#db.raw('lease_generation + 1'),
          lease_expires_at: new Date(now.getTime() + options.leaseMs),
        });
      if (claimed !== 1) continue;
      const row = await this.#db<RunRow>(RUNS).where({ id }).first();
      if (!row || row.lease_owner !== options.owner) continue;
      return {
        run: toRun(row),
        lease: {
          owner: options.owner,
          generation: Number(row.lease_generation),
        },
        now,
      };
    }
    return undefined;
  }

  async renew(options: {
    id: string;
    lease: Lease;
    leaseMs: number;
  }): Promise<boolean> {
    const now = await this.now();
    const updated = await this.#db<RunRow>(RUNS)
      .where({
        id: options.id,
        lease_owner: options.lease.owner,
        lease_generation: options.lease.generation,
      })
      .update({ lease_expires_at: new Date(now.getTime() + options.leaseMs) });
    return updated === 1;
  }

  async commit(options: {
    id: string;
    lease: Lease;
    changes: RunChanges;
  }): Promise<boolean> {
    const { id, lease, changes } = options;
    return this.#db.transaction(async tx => {
      // The fence: this update matches only while the step's claim is the latest one, and on
      // PostgreSQL it locks the run's row until the transaction ends, so a claim by another
      // replica waits for it and then sees the new state, or wins first and this matches nothing.
      const run: Record<string, unknown> = {};
      if (changes.run?.status) run.status = changes.run.status;
      if (changes.run?.outcome !== undefined) run.outcome = changes.run.outcome;
      if (changes.run?.reason !== undefined) run.reason = changes.run.reason;
      if (changes.run?.currentStage !== undefined) {
        run.current_stage = changes.run.currentStage;
      }
      if (changes.run?.finishedAt) run.finished_at = changes.run.finishedAt;
      if (changes.release) {
        run.lease_owner = null;
        run.lease_expires_at = null;
        run.next_step_at = changes.release.nextStepAt;
      }
      const held = await tx<RunRow>(RUNS)
        .where({
          id,
          lease_owner: lease.owner,
          lease_generation: lease.generation,
        })
        .update(
          Object.keys(run).length > 0
            ? run
            : { lease_generation: lease.generation },
        );
      if (held !== 1) return false;
      for (const { position, patch } of changes.stages ?? []) {
        const update = stageUpdate(tx, patch);
        if (Object.keys(update).length > 0) {
          await tx(STAGES).where({ run_id: id, position }).update(update);
        }
      }
      if (changes.appendStages?.length) {
        const last = await tx(STAGES)
          .where({ run_id: id })
          .max({ max: 'position' })
          .first();
        await tx(STAGES).insert(
          newStageRows(id, changes.appendStages, Number(last?.max ?? -1) + 1),
        );
      }
      if (changes.logs?.length) {
        await tx(LOGS).insert(
          changes.logs.map(l => ({
            run_id: id,
            position: l.position,
            at: l.at,
            level: l.level,
            message: l.message,
          })),
        );
      }
      return true;
    });
  }

  async prune(options: {
    logsBefore: Date;
    runsBefore: Date;
  }): Promise<{ logs: number; runs: string[] }> {
    const finishedBefore = (before: Date) =>
      this.#db(RUNS)
        .select('id')
        .where('status', 'finished')
        .andWhere('finished_at', '<', before);
    return this.#db.transaction(async (tx: Knex.Transaction) => {
      const logs = await tx(LOGS)
        .whereIn('run_id', finishedBefore(options.logsBefore))
        .delete();
      const runs = (
        await tx(RUNS)
          .select('id')
          .where('status', 'finished')
          .andWhere('finished_at', '<', options.runsBefore)
      ).map((r: { id: string }) => r.id);
      // In chunks, within the databases' bound-parameter limits; children first, whether or
      // not the database enforces the cascade.
      for (let i = 0; i < runs.length; i += 500) {
        const ids = runs.slice(i, i + 500);
        await tx(LOGS).whereIn('run_id', ids).delete();
        await tx(STAGES).whereIn('run_id', ids).delete();
        await tx(RUNS).whereIn('id', ids).delete();
      }
      return { logs, runs };
    });
  }
}
