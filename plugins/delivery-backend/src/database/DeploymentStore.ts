import { Knex } from 'knex';
import { DeploymentStatus } from '@internal/plugin-delivery-common';

/**
 * A requested deployment: its place in the service's queue and how it ended. Once started, its
 * pipeline is a run of the engine (kind `deployment`) whose id is the token.
 */
export interface DeploymentRecord {
  token: string;
  entityRef: string;
  /**
   * The Kubernetes workload it changes (`<namespaces>/<kubernetes-id>`): at most one deployment
   * per workload is called or running, whichever catalog entity asked for it.
   */
  workload: string;
  commitSha: string;
  /** The image the pipeline deploys (set when it starts). */
  image?: string;
  requestedBy: string;
  requestedAt: Date;
  status: DeploymentStatus;
  /** Keys of the service's flags the change ships behind (turned on by the pipeline). */
  flags: string[];
  calledAt?: Date;
  callExpiresAt?: Date;
  startedAt?: Date;
  finishedAt?: Date;
  reason?: string;
}

export interface ApprovalRecord {
  token: string;
  approver: string;
  /** `request` (a regulated service's request), or the environment whose gate it opened. */
  kind: string;
  approvedAt: Date;
}

export interface LockRecord {
  entityRef: string;
  lockedBy: string;
  reason: string;
  lockedAt: Date;
}

export interface StableVersionRecord {
  entityRef: string;
  environment: string;
  commitSha: string;
  image: string;
  token?: string;
  markedBy: string;
  markedAt: Date;
}

/**
 * Durable state of the deployment queues: requests, calls, expiry, cancellation, locks,
 * approvals and stable versions. Every transition is a conditional update, so concurrent callers
 * (several backend replicas) cannot both make it.
 */
export interface DeploymentStore {
  /** Creates a queued deployment with a fresh token (unique and sortable across replicas). */
  createDeployment(options: {
    entityRef: string;
    workload: string;
    commitSha: string;
    requestedBy: string;
    requestedAt: Date;
    /** Keys of the service's flags the change ships behind. */
    flags?: string[];
  }): Promise<DeploymentRecord>;
  getDeployment(options: {
    token: string;
  }): Promise<DeploymentRecord | undefined>;
  /** Queued, called and running deployments of a service: running first, then queue order. */
  listQueue(options: { entityRef: string }): Promise<DeploymentRecord[]>;
  /** Finished deployments of a service, newest first. */
  listHistory(options: {
    entityRef: string;
    limit: number;
  }): Promise<DeploymentRecord[]>;
  /** Services with a deployment running, or one that finished after `finishedAfter`. */
  listWatched(options: { finishedAfter: Date }): Promise<string[]>;
  /** 1-based position among the service's queued and called deployments, if waiting. */
  queuePosition(options: {
    deployment: DeploymentRecord;
  }): Promise<number | undefined>;

  /**
   * Calls the head of every queue that may be called (nothing called or running for the service,
   * queue not locked), or only of `entityRef`'s. One query finds them all; returns those called.
   */
  callDue(options: {
    now: Date;
    callTimeoutMs: number;
    entityRef?: string;
  }): Promise<DeploymentRecord[]>;
  /** Expires called deployments whose call ran out; returns them. */
  expireCalls(options: { now: Date }): Promise<DeploymentRecord[]>;
  /**
   * Moves a called deployment to running, and in the same transaction runs `then` (which creates
   * its pipeline run). Only while it is called, its call has not expired and its queue is not
   * locked; otherwise nothing changes and the answer says why.
   */
  start(options: {
    token: string;
    image: string;
    now: Date;
    then(transaction: Knex.Transaction): Promise<void>;
  }): Promise<'started' | 'not-called' | 'expired' | 'locked'>;
  /** Cancels a queued or called deployment, saying why; false when it was neither. */
  cancelWaiting(options: {
    token: string;
    reason: string;
    now: Date;
  }): Promise<boolean>;
  /** Ends a called or running deployment with a final status; frees the service's slot. */
  finish(options: {
    token: string;
    status: DeploymentStatus;
    reason?: string;
    now: Date;
  }): Promise<boolean>;

  getLock(options: { entityRef: string }): Promise<LockRecord | undefined>;
  /**
   * Locks a service's queue. In the same transaction its called deployment, if any, goes back to
   * the head of the queue (un-called); it is returned, so its requester can be told.
   */
  lock(options: { lock: LockRecord }): Promise<DeploymentRecord[]>;
  unlock(options: { entityRef: string }): Promise<boolean>;

  addApproval(options: { approval: ApprovalRecord }): Promise<void>;
  /** Approvals of several deployments at once (one query). */
  listApprovals(options: { tokens: string[] }): Promise<ApprovalRecord[]>;

  recordStable(stable: StableVersionRecord): Promise<void>;
  /**
   * Retention: deletes deployments that finished before `before` (never queued, called or
   * running ones), with their approvals. Returns how many went.
   */
  prune(options: { before: Date }): Promise<number>;
}

/** What stages read of a queue's lock. */
export type LockReader = Pick<DeploymentStore, 'getLock'>;

/** What the approval stages read. */
export type ApprovalReader = Pick<DeploymentStore, 'listApprovals'>;

/** What the mark-stable stage writes. */
export type StableVersionWriter = Pick<DeploymentStore, 'recordStable'>;
