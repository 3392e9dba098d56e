import { DatabaseService } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import {
  DeploymentStatus,
  TERMINAL_DEPLOYMENT_STATUSES,
} from '@internal/plugin-delivery-common';
import { migrateDeliveryDatabase } from './DatabaseObservedVersionsStore';
import {
  ApprovalRecord,
  DeploymentRecord,
  DeploymentStore,
  LockRecord,
  StageLogRecord,
  StagePatch,
  StagePlan,
  StageRecord,
} from './DeploymentStore';

const DEPLOYMENTS = 'delivery_deployments';
const STAGES = 'delivery_stages';
const LOGS = 'delivery_stage_logs';
const APPROVALS = 'delivery_approvals';
const LOCKS = 'delivery_queue_locks';
const STABLE = 'delivery_stable_versions';

type Timestamp = Date | string | number | null;

type DeploymentRow = {
  token: string;
  entity_ref: string;
  commit_sha: string;
  image: string | null;
  requested_by: string;
  requested_at: Timestamp;
  status: DeploymentStatus;
  active_entity_ref: string | null;
  called_at: Timestamp;
  call_expires_at: Timestamp;
  started_at: Timestamp;
  finished_at: Timestamp;
  reason: string | null;
  cancel_requested_by: string | null;
  current_stage: number;
  next_step_at: Timestamp;
  lease_owner: string | null;
  lease_expires_at: Timestamp;
};

type StageRow = {
  token: string;
  position: number;
  name: string;
  kind: StageRecord['kind'];
  environment: string | null;
  status: StageRecord['status'];
  started_at: Timestamp;
  finished_at: Timestamp;
  actor: string | null;
  attempts: number;
  data: string | null;
};

const WAITING: DeploymentStatus[] = ['queued', 'called'];
const ACTIVE: DeploymentStatus[] = ['called', 'running'];

function toDate(value: Timestamp): Date | undefined {
  if (value === null || value === undefined) return undefined;
  return value instanceof Date ? value : new Date(value);
}

function toRecord(row: DeploymentRow): DeploymentRecord {
  return {
    token: row.token,
    entityRef: row.entity_ref,
    commitSha: row.commit_sha,
    ...(row.image ? { image: row.image } : {}),
    requestedBy: row.requested_by,
    requestedAt: toDate(row.requested_at)!,
    status: row.status,
    ...(row.called_at ? { calledAt: toDate(row.called_at) } : {}),
    ...(row.call_expires_at
      ? { callExpiresAt: toDate(row.call_expires_at) }
      : {}),
    ...(row.started_at ? { startedAt: toDate(row.started_at) } : {}),
    ...(row.finished_at ? { finishedAt: toDate(row.finished_at) } : {}),
    ...(row.reason ? { reason: row.reason } : {}),
    ...(row.cancel_requested_by
      ? { cancelRequestedBy: row.cancel_requested_by }
      : {}),
    currentStage: row.current_stage,
    ...(row.next_step_at ? { nextStepAt: toDate(row.next_step_at) } : {}),
  };
}

function toStage(row: StageRow): StageRecord {
  return {
    token: row.token,
    position: row.position,
    name: row.name,
    kind: row.kind,
    ...(row.environment ? { environment: row.environment } : {}),
    status: row.status,
    ...(row.started_at ? { startedAt: toDate(row.started_at) } : {}),
    ...(row.finished_at ? { finishedAt: toDate(row.finished_at) } : {}),
    ...(row.actor ? { actor: row.actor } : {}),
    attempts: row.attempts,
    data: row.data ? JSON.parse(row.data) : {},
  };
}

/** Tokens sort as text in queue order: `DEP-` + 13-digit ms + `-` + 6-digit sequence. */
export function formatToken(ms: number, seq: number): string {
  return `DEP-${String(ms).padStart(13, '0')}-${String(seq).padStart(6, '0')}`;
}

function parseToken(token: string): { ms: number; seq: number } | undefined {
  const match = /^DEP-(\d{13})-(\d{6})$/.exec(token);
  return match ? { ms: Number(match[1]), seq: Number(match[2]) } : undefined;
}

function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return (
    e?.code === '23505' ||
    e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    e?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    /UNIQUE constraint failed|duplicate key value/.test(e?.message ?? '')
  );
}

/** {@link DeploymentStore} on the plugin's database (SQLite or PostgreSQL). */
export class DatabaseDeploymentStore implements DeploymentStore {
  static async create(options: { database: DatabaseService }) {
    const knex = await options.database.getClient();
    if (!options.database.migrations?.skip) {
      await migrateDeliveryDatabase(knex);
    }
    return new DatabaseDeploymentStore(knex);
  }

  constructor(private readonly db: Knex) {}

  async createDeployment(input: {
    entityRef: string;
    commitSha: string;
    requestedBy: string;
    requestedAt: Date;
  }): Promise<DeploymentRecord> {
    // The token's time never goes back, even across replicas with skewed clocks: it is at least
    // the newest token's time, and the sequence orders tokens within one millisecond. Two
    // replicas racing for the same token meet the primary key; the loser retries.
    for (let attempt = 0; attempt < 50; attempt++) {
      const newest = await this.db<DeploymentRow>(DEPLOYMENTS)
        .select('token')
        .orderBy('token', 'desc')
        .first();
      const last = newest ? parseToken(newest.token) : undefined;
      const now = input.requestedAt.getTime();
      const ms = last && last.ms >= now ? last.ms : now;
      const seq = last && last.ms === ms ? last.seq + 1 : 0;
      const token = formatToken(ms, seq);
      try {
        await this.db<DeploymentRow>(DEPLOYMENTS).insert({
          token,
          entity_ref: input.entityRef,
          commit_sha: input.commitSha,
          requested_by: input.requestedBy,
          requested_at: input.requestedAt,
          status: 'queued',
          current_stage: 0,
        });
        return (await this.getDeployment(token))!;
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
    }
    throw new Error('Could not allocate a deployment token after 50 attempts');
  }

  async getDeployment(token: string): Promise<DeploymentRecord | undefined> {
    const row = await this.db<DeploymentRow>(DEPLOYMENTS)
      .where({ token })
      .first();
    return row ? toRecord(row) : undefined;
  }

  async listQueue(entityRef: string): Promise<DeploymentRecord[]> {
    const rows = await this.db<DeploymentRow>(DEPLOYMENTS)
      .where({ entity_ref: entityRef })
      .whereIn('status', ['queued', 'called', 'running'])
      .orderBy('token', 'asc');
    const records = rows.map(toRecord);
    // Running first, then the queue in order.
    return [
      ...records.filter(r => r.status === 'running'),
      ...records.filter(r => r.status !== 'running'),
    ];
  }

  async listHistory(
    entityRef: string,
    limit: number,
  ): Promise<DeploymentRecord[]> {
    const rows = await this.db<DeploymentRow>(DEPLOYMENTS)
      .where({ entity_ref: entityRef })
      .whereIn('status', TERMINAL_DEPLOYMENT_STATUSES as DeploymentStatus[])
      .orderBy('token', 'desc')
      .limit(limit);
    return rows.map(toRecord);
  }

  async queuePosition(record: DeploymentRecord): Promise<number | undefined> {
    if (!WAITING.includes(record.status)) return undefined;
    const [{ count }] = await this.db<DeploymentRow>(DEPLOYMENTS)
      .where({ entity_ref: record.entityRef })
      .whereIn('status', WAITING)
      .andWhere('token', '<', record.token)
      .count({ count: '*' });
    return Number(count) + 1;
  }

  async listServicesWithQueued(): Promise<string[]> {
    const rows = await this.db<DeploymentRow>(DEPLOYMENTS)
      .distinct('entity_ref')
      .where({ status: 'queued' });
    return rows.map(r => r.entity_ref);
  }

  async callNext(
    entityRef: string,
    now: Date,
    callTimeoutMs: number,
  ): Promise<DeploymentRecord | undefined> {
    if (await this.getLock(entityRef)) return undefined;
    const head = await this.db<DeploymentRow>(DEPLOYMENTS)
      .where({ entity_ref: entityRef, status: 'queued' })
      .orderBy('token', 'asc')
      .first();
    if (!head) return undefined;
    try {
      // The unique active slot makes this fail when something is called or running already,
      // whichever replica got there first.
      const updated = await this.db<DeploymentRow>(DEPLOYMENTS)
        .where({ token: head.token, status: 'queued' })
        .update({
          status: 'called',
          active_entity_ref: entityRef,
          called_at: now,
          call_expires_at: new Date(now.getTime() + callTimeoutMs),
        });
      if (updated !== 1) return undefined;
    } catch (error) {
      if (isUniqueViolation(error)) return undefined;
      throw error;
    }
    // A lock taken between the check and the call wins: put the head back.
    if (await this.getLock(entityRef)) {
      await this.db<DeploymentRow>(DEPLOYMENTS)
        .where({ token: head.token, status: 'called' })
        .update({
          status: 'queued',
          active_entity_ref: null,
          called_at: null,
          call_expires_at: null,
        });
      return undefined;
    }
    return this.getDeployment(head.token);
  }

  async expireCalls(now: Date): Promise<DeploymentRecord[]> {
    const due = await this.db<DeploymentRow>(DEPLOYMENTS)
      .where({ status: 'called' })
      .andWhere('call_expires_at', '<=', now);
    const expired: DeploymentRecord[] = [];
    for (const row of due) {
      const updated = await this.db<DeploymentRow>(DEPLOYMENTS)
        .where({ token: row.token, status: 'called' })
        .update({
          status: 'expired',
          active_entity_ref: null,
          finished_at: now,
          reason: `Not started within the call window (called at ${toDate(
            row.called_at,
          )?.toISOString()})`,
        });
      if (updated === 1) expired.push((await this.getDeployment(row.token))!);
    }
    return expired;
  }

  async start(
    token: string,
    input: { image: string; stages: StagePlan[]; now: Date },
  ): Promise<boolean> {
    return this.db.transaction(async tx => {
      const updated = await tx<DeploymentRow>(DEPLOYMENTS)
        .where({ token, status: 'called' })
        .update({
          status: 'running',
          image: input.image,
          started_at: input.now,
          call_expires_at: null,
          current_stage: 0,
          next_step_at: input.now,
        });
      if (updated !== 1) return false;
      await tx(STAGES).insert(
        input.stages.map((stage, position) => ({
          token,
          position,
          name: stage.name,
          kind: stage.kind,
          environment: stage.environment ?? null,
          status: 'pending',
          attempts: 0,
        })),
      );
      return true;
    });
  }

  async cancel(token: string, by: string, now: Date) {
    const waiting = await this.db<DeploymentRow>(DEPLOYMENTS)
      .where({ token })
      .whereIn('status', WAITING)
      .update({
        status: 'cancelled',
        active_entity_ref: null,
        finished_at: now,
        call_expires_at: null,
        reason: `Cancelled by ${by}`,
      });
    if (waiting === 1) return 'cancelled' as const;
    const running = await this.db<DeploymentRow>(DEPLOYMENTS)
      .where({ token, status: 'running' })
      .update({ cancel_requested_by: by, next_step_at: now });
    return running === 1 ? ('requested' as const) : ('not-active' as const);
  }

  async finish(
    token: string,
    status: DeploymentStatus,
    reason: string | undefined,
    now: Date,
  ) {
    const updated = await this.db<DeploymentRow>(DEPLOYMENTS)
      .where({ token })
      .whereIn('status', ACTIVE)
      .update({
        status,
        active_entity_ref: null,
        finished_at: now,
        reason: reason ?? null,
        next_step_at: null,
        lease_owner: null,
        lease_expires_at: null,
      });
    return updated === 1;
  }

  async getLock(entityRef: string): Promise<LockRecord | undefined> {
    const row = await this.db(LOCKS).where({ entity_ref: entityRef }).first();
    return row
      ? {
          entityRef: row.entity_ref,
          lockedBy: row.locked_by,
          reason: row.reason,
          lockedAt: toDate(row.locked_at)!,
        }
      : undefined;
  }

  async lock(lock: LockRecord): Promise<void> {
    await this.db(LOCKS)
      .insert({
        entity_ref: lock.entityRef,
        locked_by: lock.lockedBy,
        reason: lock.reason,
        locked_at: lock.lockedAt,
      })
      .onConflict('entity_ref')
      .merge();
  }

  async unlock(entityRef: string): Promise<boolean> {
    return (await this.db(LOCKS).where({ entity_ref: entityRef }).delete()) > 0;
  }

  async addApproval(approval: ApprovalRecord): Promise<void> {
    await this.db(APPROVALS)
      .insert({
        token: approval.token,
        approver: approval.approver,
        kind: approval.kind,
        approved_at: approval.approvedAt,
      })
      .onConflict(['token', 'approver', 'kind'])
      .ignore();
  }

  async listApprovals(tokens: string | string[]): Promise<ApprovalRecord[]> {
    const rows = await this.db(APPROVALS)
      .whereIn('token', ([] as string[]).concat(tokens))
      .orderBy('approved_at', 'asc');
    return rows.map(row => ({
      token: row.token,
      approver: row.approver,
      kind: row.kind,
      approvedAt: toDate(row.approved_at)!,
    }));
  }

  async listStages(tokens: string | string[]): Promise<StageRecord[]> {
    const rows = await this.db<StageRow>(STAGES)
      .whereIn('token', ([] as string[]).concat(tokens))
      .orderBy('token', 'asc')
      .orderBy('position', 'asc');
    return rows.map(toStage);
  }

  async listLogs(tokens: string | string[]): Promise<StageLogRecord[]> {
    const rows = await this.db(LOGS)
      .whereIn('token', ([] as string[]).concat(tokens))
      .orderBy('id', 'asc');
    return rows.map(row => ({
      token: row.token,
      position: row.position,
      at: toDate(row.at)!,
      level: row.level,
      message: row.message,
    }));
  }

  async updateStage(
    token: string,
    position: number,
    patch: StagePatch,
  ): Promise<void> {
    const update: Record<string, unknown> = {};
    if (patch.status) update.status = patch.status;
    if (patch.startedAt) update.started_at = patch.startedAt;
    if (patch.finishedAt) update.finished_at = patch.finishedAt;
    if (patch.actor) update.actor = patch.actor;
    if (patch.data) update.data = JSON.stringify(patch.data);
    if (patch.incrementAttempts) update.attempts = this.db.raw('attempts + 1');
    if (Object.keys(update).length === 0) return;
    await this.db(STAGES).where({ token, position }).update(update);
  }

  async appendStages(token: string, stages: StagePlan[]): Promise<void> {
    const last = await this.db<StageRow>(STAGES)
      .where({ token })
      .max({ max: 'position' })
      .first();
    let position = Number((last as any)?.max ?? -1) + 1;
    await this.db(STAGES).insert(
      stages.map(stage => ({
        token,
        position: position++,
        name: stage.name,
        kind: stage.kind,
        environment: stage.environment ?? null,
        status: 'pending',
        attempts: 0,
      })),
    );
  }

  async appendLog(
    token: string,
    position: number,
    level: StageLogRecord['level'],
    message: string,
    at: Date,
  ): Promise<void> {
    await this.db(LOGS).insert({ token, position, level, message, at });
  }

  async setProgress(
    token: string,
    currentStage: number,
    nextStepAt: Date,
  ): Promise<void> {
    await this.db<DeploymentRow>(DEPLOYMENTS)
      .where({ token })
      .update({ current_stage: currentStage, next_step_at: nextStepAt });
  }

  async claimDue(
    owner: string,
    now: Date,
    leaseMs: number,
    limit: number,
  ): Promise<string[]> {
    const candidates = await this.db<DeploymentRow>(DEPLOYMENTS)
      .select('token')
      .where({ status: 'running' })
      .andWhere('next_step_at', '<=', now)
      .andWhere(q =>
        q.whereNull('lease_expires_at').orWhere('lease_expires_at', '<', now),
      )
      .orderBy('next_step_at', 'asc')
      .limit(limit);
    const claimed: string[] = [];
    for (const { token } of candidates) {
      const updated = await this.db<DeploymentRow>(DEPLOYMENTS)
        .where({ token, status: 'running' })
        .andWhere(q =>
          q.whereNull('lease_expires_at').orWhere('lease_expires_at', '<', now),
        )
        .update({
          lease_owner: owner,
          lease_expires_at: new Date(now.getTime() + leaseMs),
        });
      if (updated === 1) claimed.push(token);
    }
    return claimed;
  }

  async release(
    token: string,
    owner: string,
    nextStepAt: Date | undefined,
  ): Promise<void> {
    await this.db<DeploymentRow>(DEPLOYMENTS)
      .where({ token, lease_owner: owner })
      .update({
        lease_owner: null,
        lease_expires_at: null,
        ...(nextStepAt ? { next_step_at: nextStepAt } : {}),
      });
  }

  async recordStable(stable: {
    entityRef: string;
    environment: string;
    commitSha: string;
    image: string;
    token?: string;
    markedBy: string;
    markedAt: Date;
  }): Promise<void> {
    await this.db(STABLE)
      .insert({
        entity_ref: stable.entityRef,
        environment: stable.environment,
        commit_sha: stable.commitSha,
        image: stable.image,
        token: stable.token ?? null,
        marked_by: stable.markedBy,
        marked_at: stable.markedAt,
      })
      .onConflict(['entity_ref', 'environment'])
      .merge();
  }
}
