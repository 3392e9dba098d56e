import { Knex } from 'knex';
import {
  LogLevel,
  LogRecord,
  RunRecord,
  RunStatus,
  StagePlan,
  StageRecord,
  StageStatus,
} from './types';

/** The lease a step runs under: who holds it and which claim (generation) it was. */
export interface Lease {
  owner: string;
  generation: number;
}

/** A run claimed for one step. */
export interface Claim {
  run: RunRecord;
  lease: Lease;
  /** When it was claimed, on the database's clock: the step's time. */
  now: Date;
}

/** Changes to a stage. */
export interface StagePatch {
  status?: StageStatus;
  startedAt?: Date;
  finishedAt?: Date;
  actor?: string;
  state?: object;
  errors?: number;
  incrementAttempts?: boolean;
}

/** What one step writes, all at once and only while its lease holds. */
export interface RunChanges {
  stages?: Array<{ position: number; patch: StagePatch }>;
  /** Stages added at the end (compensation). */
  appendStages?: StagePlan[];
  logs?: Array<{
    position: number;
    level: LogLevel;
    message: string;
    at: Date;
  }>;
  run?: {
    status?: RunStatus;
    outcome?: string;
    reason?: string;
    currentStage?: number;
    finishedAt?: Date;
  };
  /**
   * Ends the step: gives the lease back and says when the run is due again (`null`: never, it
   * finished). Without it the lease is kept (a step in progress).
   */
  release?: { nextStepAt: Date | null };
}

/** A run to create, with its planned stages. */
export interface NewRun {
  id: string;
  kind: string;
  subject: string;
  input: unknown;
  stages: StagePlan[];
  /** When it was created; it is due at once. */
  now: Date;
}

/**
 * Durable state of runs. Every write of a step is fenced: applied only if the run's lease
 * generation is still the one the step was claimed with, so a replica that lost its lease
 * (paused past it, slow network) writes nothing after another replica claimed the run.
 */
export interface RunStore {
  /** The time on the database's clock (lease times are reckoned on it, never a replica's). */
  now(): Promise<Date>;
  /**
   * Creates a run, due at once. With `transaction`, inside that transaction (e.g. with the
   * queue's move of the deployment to running).
   */
  createRun(options: {
    run: NewRun;
    transaction?: Knex.Transaction;
  }): Promise<void>;
  getRun(options: { id: string }): Promise<RunRecord | undefined>;
  /** Stages of several runs at once (one query), in order. */
  listStages(options: { runIds: string[] }): Promise<StageRecord[]>;
  /** Log lines of several runs at once (one query), oldest first. */
  listLogs(options: { runIds: string[] }): Promise<LogRecord[]>;
  /**
   * Asks a running run to stop, with why (default "Cancelled by <by>"); it is due at once. False
   * when it is not running.
   */
  requestCancel(options: {
    id: string;
    by: string;
    reason?: string;
  }): Promise<boolean>;
  /**
   * Finds the run most overdue among all due runs of the given kinds (one query) whose lease is
   * free or lapsed, and claims it: a new lease generation, `leaseMs` long on the database's
   * clock. Undefined when nothing is due.
   */
  claimNext(options: {
    owner: string;
    leaseMs: number;
    kinds: string[];
  }): Promise<Claim | undefined>;
  /** Extends a lease that is still held and not lapsed; false when it is lost. */
  renew(options: {
    id: string;
    lease: Lease;
    leaseMs: number;
  }): Promise<boolean>;
  /** Applies a step's writes in one transaction if the lease still holds; false otherwise. */
  commit(options: {
    id: string;
    lease: Lease;
    changes: RunChanges;
  }): Promise<boolean>;
  /**
   * Retention: deletes the logs of runs finished before `logsBefore`, and runs (with their
   * stages and logs) finished before `runsBefore`. Never touches a run that has not finished.
   * Returns how many log lines and runs went, and the ids of the runs.
   */
  prune(options: {
    logsBefore: Date;
    runsBefore: Date;
  }): Promise<{ logs: number; runs: string[] }>;
}
