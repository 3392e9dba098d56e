import {
  DeploymentStatus,
  StageKind,
  StageStatus,
} from '@internal/plugin-delivery-common';

/** A deployment row, without stages. */
export interface DeploymentRecord {
  token: string;
  entityRef: string;
  commitSha: string;
  image?: string;
  requestedBy: string;
  requestedAt: Date;
  status: DeploymentStatus;
  calledAt?: Date;
  callExpiresAt?: Date;
  startedAt?: Date;
  finishedAt?: Date;
  reason?: string;
  cancelRequestedBy?: string;
  currentStage: number;
  nextStepAt?: Date;
}

/** A stage row with its state. */
export interface StageRecord {
  token: string;
  position: number;
  name: string;
  kind: StageKind;
  environment?: string;
  status: StageStatus;
  startedAt?: Date;
  finishedAt?: Date;
  actor?: string;
  attempts: number;
  data: Record<string, any>;
}

export interface StageLogRecord {
  token: string;
  position: number;
  at: Date;
  level: 'info' | 'warn' | 'error';
  message: string;
}

export interface ApprovalRecord {
  token: string;
  approver: string;
  kind: 'request' | 'production';
  approvedAt: Date;
}

export interface LockRecord {
  entityRef: string;
  lockedBy: string;
  reason: string;
  lockedAt: Date;
}

/** A stage to create: what the pipeline plans. */
export interface StagePlan {
  name: string;
  kind: StageKind;
  environment?: string;
}

/** Changes to a stage. */
export interface StagePatch {
  status?: StageStatus;
  startedAt?: Date;
  finishedAt?: Date;
  actor?: string;
  data?: Record<string, any>;
  incrementAttempts?: boolean;
}

/**
 * Durable state of the deployment queue and pipeline. Every transition is a conditional update,
 * so concurrent callers (several backend replicas) cannot both make it.
 */
export interface DeploymentStore {
  /** Creates a queued deployment with a fresh token. */
  createDeployment(input: {
    entityRef: string;
    commitSha: string;
    requestedBy: string;
    requestedAt: Date;
  }): Promise<DeploymentRecord>;
  getDeployment(token: string): Promise<DeploymentRecord | undefined>;
  /** Queued, called and running deployments of a service, in queue order. */
  listQueue(entityRef: string): Promise<DeploymentRecord[]>;
  /** Finished deployments of a service, newest first. */
  listHistory(entityRef: string, limit: number): Promise<DeploymentRecord[]>;
  /** 1-based position among the service's queued and called deployments, if waiting. */
  queuePosition(record: DeploymentRecord): Promise<number | undefined>;
  /** Services that have queued deployments. */
  listServicesWithQueued(): Promise<string[]>;

  /**
   * Calls the head of the service's queue when nothing is called or running and the queue is not
   * locked. Returns the called deployment, if one was called.
   */
  callNext(
    entityRef: string,
    now: Date,
    callTimeoutMs: number,
  ): Promise<DeploymentRecord | undefined>;
  /** Expires called deployments whose call ran out; returns them. */
  expireCalls(now: Date): Promise<DeploymentRecord[]>;
  /** Moves a called deployment to running with its planned stages; false if it was not called. */
  start(
    token: string,
    input: { image: string; stages: StagePlan[]; now: Date },
  ): Promise<boolean>;
  /** Cancels a queued or called deployment (true), or marks a running one for cancellation. */
  cancel(
    token: string,
    by: string,
    now: Date,
  ): Promise<'cancelled' | 'requested' | 'not-active'>;
  /** Ends a deployment with a final status; frees the service's active slot. */
  finish(
    token: string,
    status: DeploymentStatus,
    reason: string | undefined,
    now: Date,
  ): Promise<boolean>;

  getLock(entityRef: string): Promise<LockRecord | undefined>;
  lock(lock: LockRecord): Promise<void>;
  unlock(entityRef: string): Promise<boolean>;

  addApproval(approval: ApprovalRecord): Promise<void>;
  /** Approvals of one deployment, or of several at once (one query). */
  listApprovals(tokens: string | string[]): Promise<ApprovalRecord[]>;

  /** Stages of one deployment, or of several at once (one query), in pipeline order. */
  listStages(tokens: string | string[]): Promise<StageRecord[]>;
  /** Log lines of one deployment, or of several at once (one query), oldest first. */
  listLogs(tokens: string | string[]): Promise<StageLogRecord[]>;
  updateStage(
    token: string,
    position: number,
    patch: StagePatch,
  ): Promise<void>;
  appendStages(token: string, stages: StagePlan[]): Promise<void>;
  appendLog(
    token: string,
    position: number,
    level: StageLogRecord['level'],
    message: string,
    at: Date,
  ): Promise<void>;
  /** Moves the run to another stage and says when to look at it again. */
  setProgress(
    token: string,
    currentStage: number,
    nextStepAt: Date,
  ): Promise<void>;

  /**
   * Leases running deployments that are due (next step time passed, no live lease) to `owner`;
   * returns the leased tokens. A lease is exclusive: other owners get other tokens.
   */
  claimDue(
    owner: string,
    now: Date,
    leaseMs: number,
    limit: number,
  ): Promise<string[]>;
  /** Gives a lease back, saying when the run is due again. */
  release(
    token: string,
    owner: string,
    nextStepAt: Date | undefined,
  ): Promise<void>;

  recordStable(stable: {
    entityRef: string;
    environment: string;
    commitSha: string;
    image: string;
    token?: string;
    markedBy: string;
    markedAt: Date;
  }): Promise<void>;
}
