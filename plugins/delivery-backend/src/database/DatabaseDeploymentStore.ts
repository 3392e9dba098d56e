import { DatabaseService } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import { isUniqueViolation } from './uniqueViolation';
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
  StableVersionRecord,
} from './DeploymentStore';

const DEPLOYMENTS = 'delivery_deployments';
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
  workload: string | null;
  active_workload: string | null;
  called_at: Timestamp;
  call_expires_at: Timestamp;
  started_at: Timestamp;
  finished_at: Timestamp;
  reason: string | null;
  flags?: string | null;
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
    workload: row.workload ?? row.entity_ref,
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
    flags: row.flags ? JSON.parse(row.flags) : [],
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
    workload: string;
    commitSha: string;
    requestedBy: string;
    requestedAt: Date;
    flags?: string[];
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
          workload: input.workload,
          commit_sha: input.commitSha,
          requested_by: input.requestedBy,
          requested_at: input.requestedAt,
          status: 'queued',
          flags: input.flags?.length ? JSON.stringify(input.flags) : null,
        });
        return (await this.getDeployment({ token }))!;
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
    }
    throw new Error('Could not allocate a deployment token after 50 attempts');
  }

  async getDeployment(options: {
    token: string;
  }): Promise<DeploymentRecord | undefined> {
    const row = await this.db<DeploymentRow>(DEPLOYMENTS)
      .where({ token: options.token })
      .first();
    return row ? toRecord(row) : undefined;
  }

  async listQueue(options: { entityRef: string }): Promise<DeploymentRecord[]> {
    const rows = await this.db<DeploymentRow>(DEPLOYMENTS)
      .where({ entity_ref: options.entityRef })
      .whereIn('status', ['queued', 'called', 'running'])
      .orderBy('token', 'asc');
    const records = rows.map(toRecord);
    // Running first, then the queue in order.
    return [
      ...records.filter(r => r.status === 'running'),
      ...records.filter(r => r.status !== 'running'),
    ];
  }

  async listHistory(options: {
    entityRef: string;
    limit: number;
  }): Promise<DeploymentRecord[]> {
    const rows = await this.db<DeploymentRow>(DEPLOYMENTS)
      .where({ entity_ref: options.entityRef })
      .whereIn('status', TERMINAL_DEPLOYMENT_STATUSES as DeploymentStatus[])
      .orderBy('token', 'desc')
      .limit(options.limit);
    return rows.map(toRecord);
  }

  async listWatched(options: { finishedAfter: Date }): Promise<string[]> {
    const rows = await this.db<DeploymentRow>(DEPLOYMENTS)
      .distinct('entity_ref')
      .where({ status: 'running' })
      .orWhere('finished_at', '>=', options.finishedAfter);
    return rows.map(r => r.entity_ref);
  }

  async queuePosition(options: {
    deployment: DeploymentRecord;
  }): Promise<number | undefined> {
    const record = options.deployment;
    if (!WAITING.includes(record.status)) return undefined;
    const [{ count }] = await this.db<DeploymentRow>(DEPLOYMENTS)
      .where({ entity_ref: record.entityRef })
      .whereIn('status', WAITING)
      .andWhere('token', '<', record.token)
      .count({ count: '*' });
    return Number(count) + 1;
  }

  async callDue(options: {
    now: Date;
    callTimeoutMs: number;
    entityRef?: string;
  }): Promise<DeploymentRecord[]> {
    const { now, callTimeoutMs } = options;
    // One query finds the head of every queue that may be called: queued, first of its
    // service, nothing called or running on its workload (whichever entity it came from), and
    // the queue not locked.
    const heads = await this.db<DeploymentRow>(`${DEPLOYMENTS} as d`)
      .select('d.token', 'd.entity_ref', 'd.workload')
      .where('d.status', 'queued')
      .modify(q => {
        if (options.entityRef) q.andWhere('d.entity_ref', options.entityRef);
      })
      .whereNotExists(
        this.db(`${DEPLOYMENTS} as a`)
          .select(this.db.raw('1'))
          .whereRaw('a.active_workload = d.workload'),
      )
      .whereNotExists(
        this.db(`${LOCKS} as l`)
          .select(this.db.raw('1'))
          .whereRaw('l.entity_ref = d.entity_ref'),
      )
      .whereNotExists(
        this.db(`${DEPLOYMENTS} as e`)
          .select(this.db.raw('1'))
          .whereRaw('e.entity_ref = d.entity_ref')
          .andWhere('e.status', 'queued')
          .andWhereRaw('e.token < d.token'),
      );
    const called: DeploymentRecord[] = [];
    for (const head of heads) {
      try {
        // The unique active slot stops a second call when another replica (or another entity's
        // queue on the same workload) called meanwhile.
        const updated = await this.db<DeploymentRow>(DEPLOYMENTS)
          .where({ token: head.token, status: 'queued' })
          .update({
            status: 'called',
            active_workload: head.workload ?? head.entity_ref,
            called_at: now,
            call_expires_at: new Date(now.getTime() + callTimeoutMs),
          });
        if (updated !== 1) continue;
      } catch (error) {
        if (isUniqueViolation(error)) continue;
        throw error;
      }
      // A lock taken between the query and the call wins: put the head back.
      if (await this.getLock({ entityRef: head.entity_ref })) {
        await this.db<DeploymentRow>(DEPLOYMENTS)
          .where({ token: head.token, status: 'called' })
          .update({
            status: 'queued',
            active_workload: null,
            called_at: null,
            call_expires_at: null,
          });
        continue;
      }
      called.push((await this.getDeployment({ token: head.token }))!);
    }
    return called;
  }

  async expireCalls(options: { now: Date }): Promise<DeploymentRecord[]> {
    const { now } = options;
    const due = await this.db<DeploymentRow>(DEPLOYMENTS)
      .where({ status: 'called' })
      .andWhere('call_expires_at', '<=', now);
    const expired: DeploymentRecord[] = [];
    for (const row of due) {
      const updated = await this.db<DeploymentRow>(DEPLOYMENTS)
        .where({ token: row.token, status: 'called' })
        .update({
          status: 'expired',
          active_workload: null,
          finished_at: now,
          reason: `Not started within the call window (called at ${toDate(
            row.called_at,
          )?.toISOString()})`,
        });
      if (updated === 1) {
        expired.push((await this.getDeployment({ token: row.token }))!);
      }
    }
    return expired;
  }

  async start(options: {
    token: string;
    image: string;
    now: Date;
    then(transaction: Knex.Transaction): Promise<void>;
  }): Promise<'started' | 'not-called' | 'expired' | 'locked'> {
    const { token, now } = options;
    return this.db.transaction(async tx => {
      const row = await tx<DeploymentRow>(DEPLOYMENTS).where({ token }).first();
      if (!row || row.status !== 'called') return 'not-called';
      if (await tx(LOCKS).where({ entity_ref: row.entity_ref }).first()) {
        return 'locked';
      }
      // The conditions again in the update: a lock, an expiry or another start may have come
      // in between (on PostgreSQL the lock's insert commits or waits on its own).
      const updated = await tx<DeploymentRow>(DEPLOYMENTS)
        .where({ token, status: 'called' })
        .andWhere('call_expires_at', '>', now)
        .whereNotExists(
          tx(LOCKS).select(tx.raw('1')).where({ entity_ref: row.entity_ref }),
        )
        .update({
          status: 'running',
          image: options.image,
          started_at: now,
          call_expires_at: null,
        });
      if (updated !== 1) {
        const expires = toDate(row.call_expires_at);
        return expires && expires <= now ? 'expired' : 'not-called';
      }
      await options.then(tx);
      return 'started';
    });
  }

  async cancelWaiting(options: {
    token: string;
    reason: string;
    now: Date;
  }): Promise<boolean> {
    const updated = await this.db<DeploymentRow>(DEPLOYMENTS)
      .where({ token: options.token })
      .whereIn('status', WAITING)
      .update({
        status: 'cancelled',
        active_workload: null,
        finished_at: options.now,
        call_expires_at: null,
        reason: options.reason,
      });
    return updated === 1;
  }

  async finish(options: {
    token: string;
    status: DeploymentStatus;
    reason?: string;
    now: Date;
  }): Promise<boolean> {
    const updated = await this.db<DeploymentRow>(DEPLOYMENTS)
      .where({ token: options.token })
      .whereIn('status', ACTIVE)
      .update({
        status: options.status,
        active_workload: null,
        finished_at: options.now,
        reason: options.reason ?? null,
      });
    return updated === 1;
  }

  async getLock(options: {
    entityRef: string;
  }): Promise<LockRecord | undefined> {
    const row = await this.db(LOCKS)
      .where({ entity_ref: options.entityRef })
      .first();
    return row
      ? {
          entityRef: row.entity_ref,
          lockedBy: row.locked_by,
          reason: row.reason,
          lockedAt: toDate(row.locked_at)!,
        }
      : undefined;
  }

  async lock(options: { lock: LockRecord }): Promise<DeploymentRecord[]> {
    const { lock } = options;
    return this.db.transaction(async tx => {
      await tx(LOCKS)
        .insert({
          entity_ref: lock.entityRef,
          locked_by: lock.lockedBy,
          reason: lock.reason,
          locked_at: lock.lockedAt,
        })
        .onConflict('entity_ref')
        .merge();
      // A called deployment that has not started goes back to the head of the queue.
      const called = await tx<DeploymentRow>(DEPLOYMENTS).where({
        entity_ref: lock.entityRef,
        status: 'called',
      });
      const uncalled: DeploymentRecord[] = [];
      for (const row of called) {
        const updated = await tx<DeploymentRow>(DEPLOYMENTS)
          .where({ token: row.token, status: 'called' })
          .update({
            status: 'queued',
            active_workload: null,
            called_at: null,
            call_expires_at: null,
          });
        if (updated === 1) {
          uncalled.push(
            toRecord({
              ...row,
              status: 'queued',
              active_workload: null,
              called_at: null,
              call_expires_at: null,
            }),
          );
        }
      }
      return uncalled;
    });
  }

  async unlock(options: { entityRef: string }): Promise<boolean> {
    return (
      (await this.db(LOCKS).where({ entity_ref: options.entityRef }).delete()) >
      0
    );
  }

  async addApproval(options: { approval: ApprovalRecord }): Promise<void> {
    const { approval } = options;
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

  async listApprovals(options: {
    tokens: string[];
  }): Promise<ApprovalRecord[]> {
    if (options.tokens.length === 0) return [];
    const rows = await this.db(APPROVALS)
      .whereIn('token', options.tokens)
      .orderBy('approved_at', 'asc');
    return rows.map(row => ({
      token: row.token,
      approver: row.approver,
      kind: row.kind,
      approvedAt: toDate(row.approved_at)!,
    }));
  }

  async recordStable(stable: StableVersionRecord): Promise<void> {
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

  async prune(options: { before: Date }): Promise<number> {
    return this.db.transaction(async tx => {
      const finished = tx<DeploymentRow>(DEPLOYMENTS)
        .select('token')
        .whereNotIn('status', ['queued', 'called', 'running'])
        .andWhere('finished_at', '<', options.before);
      await tx(APPROVALS).whereIn('token', finished).delete();
      const deleted: number = await tx<DeploymentRow>(DEPLOYMENTS)
        .whereNotIn('status', ['queued', 'called', 'running'])
        .andWhere('finished_at', '<', options.before)
        .delete();
      return deleted;
    });
  }
}
