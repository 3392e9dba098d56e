/*
 * The durable run engine's vocabulary. A *run* is one long action (a deployment's pipeline, a
 * rollback, a flag's gradual rollout, an environment's creation); its *kind* names the stage
 * handlers that carry it out and how it ends. Every run and stage is a row, every step is
 * idempotent and written to the database, so a restart resumes where it stopped, and steps run
 * under a fenced lease, so two replicas never commit the same step.
 */

/** Where a stage is. */
export type StageStatus =
  | 'pending'
  | 'running'
  | 'waiting'
  | 'succeeded'
  | 'failed'
  | 'skipped';

/** A stage to create: what a kind plans for a run (or adds when it compensates). */
export interface StagePlan {
  /** Stable name, unique in the run, e.g. `canary.verify`. */
  name: string;
  /** Names the handler that runs it. */
  kind: string;
  /** The environment it acts on, if any. */
  environment?: string;
}

/** Where a run is: stepping, ended and telling its kind (finishing), or done. */
export type RunStatus = 'running' | 'finishing' | 'finished';

/** A run as stored. */
export interface RunRecord<TInput = unknown> {
  id: string;
  kind: string;
  /** What the run acts on, e.g. a catalog entity ref. */
  subject: string;
  input: TInput;
  status: RunStatus;
  /**
   * How the run ends, in its kind's words. Set when a failure makes it compensate (the outcome
   * it ends with once compensated) and when it finishes.
   */
  outcome?: string;
  reason?: string;
  currentStage: number;
  nextStepAt?: Date;
  cancelRequestedBy?: string;
  /** Why it was asked to stop (its failure reason); else "Cancelled by <who>". */
  cancelReason?: string;
  createdAt: Date;
  finishedAt?: Date;
}

/** A stage as stored, with the state its handler keeps. */
export interface StageRecord<TState extends object = object> {
  runId: string;
  position: number;
  name: string;
  kind: string;
  environment?: string;
  status: StageStatus;
  startedAt?: Date;
  finishedAt?: Date;
  /** A user entity ref, or `delivery` for the engine itself. */
  actor?: string;
  /** Steps of it that ran. */
  attempts: number;
  /** Consecutive steps that threw. */
  errors: number;
  state: TState;
}

export type LogLevel = 'info' | 'warn' | 'error';

export interface LogRecord {
  runId: string;
  position: number;
  at: Date;
  level: LogLevel;
  message: string;
}

/** What one step of a stage decided. `state` replaces the stage's state when given. */
export type StepResult<TState extends object = object> =
  /** The stage is complete; the run moves on. */
  | { type: 'done'; state?: TState; actor?: string }
  /**
   * Look again after `afterMs`. `waiting` marks the stage as waiting on a person (an approval),
   * not on a system.
   */
  | { type: 'wait'; afterMs: number; state?: TState; waiting?: boolean }
  /** The stage failed for good: the run stops, and its kind decides how to compensate. */
  | { type: 'fail'; reason: string; state?: TState };

/** What a stage handler gets for one step. */
export interface StageContext<TInput, TTarget, TState extends object> {
  run: RunRecord<TInput>;
  stage: StageRecord<TState>;
  /** Every stage of the run, in order (read only), e.g. to find an earlier stage's state. */
  stages: ReadonlyArray<StageRecord>;
  /** What the run's kind loaded for this step (e.g. the catalog entity). */
  target: TTarget;
  /** The time of this step, on the database's clock. */
  now: Date;
  /** Aborted when the step's lease is lost: stop, touch nothing more. */
  signal: AbortSignal;
  /** Appends a line to the stage's log (fenced). */
  log(level: LogLevel, message: string): Promise<void>;
  /**
   * Saves the stage's state now, before the step ends (fenced): for ids of things created in
   * another system, so that a retry adopts them instead of creating them twice.
   */
  checkpoint(state: TState): Promise<void>;
  /**
   * Renews the lease and throws a {@link LeaseLostError} if another replica has taken the run.
   * Call it right before each external effect (a write to a cluster, GitHub, Jenkins...).
   */
  fence(): Promise<void>;
}

/** How often a stage is retried when its step throws. */
export interface RetryPolicy {
  /** Steps that may throw in a row before the stage fails; `Infinity` retries for ever. */
  maxAttempts: number;
  /** Delay before the next attempt after `errors` consecutive errors. */
  backoffMs(errors: number): number;
}

/**
 * Carries out one kind of stage, one idempotent step at a time. It may be stopped at any point
 * (a crash, a lost lease) and run again: each step must be safe to repeat.
 */
export interface StageHandler<TInput, TTarget, TState extends object = object> {
  /** The stage kind it handles, e.g. `deploy`. */
  readonly stage: string;
  /** Overrides the engine's default retry policy. */
  readonly retry?: RetryPolicy;
  run(ctx: StageContext<TInput, TTarget, TState>): Promise<StepResult<TState>>;
}

/** A handler of any state type, as a kind's registry holds them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyStageHandler<TInput, TTarget> = StageHandler<
  TInput,
  TTarget,
  any
>;

/** Declares a stage handler with its state type inferred (like scaffolder's createTemplateAction). */
export function createStageHandler<TInput, TTarget, TState extends object>(
  handler: StageHandler<TInput, TTarget, TState>,
): StageHandler<TInput, TTarget, TState> {
  return handler;
}

/** A failure the run's kind is asked about. */
export interface RunFailure<TInput> {
  run: RunRecord<TInput>;
  stages: ReadonlyArray<StageRecord>;
  /** The stage that failed (undefined when the run was stopped between stages). */
  stage?: StageRecord;
  reason: string;
  /** Who asked to stop the run, when it was cancelled. */
  cancelledBy?: string;
  /** True when a compensating stage failed (the run was already compensating). */
  compensating: boolean;
}

/** How a kind answers a failure: the outcome, and stages to run first to compensate. */
export interface FailurePlan {
  outcome: string;
  reason: string;
  /** Added after the existing stages and run before the run ends with `outcome`. */
  compensate?: StagePlan[];
}

/** Moments of a run its kind may want to tell people about. */
export type RunEvent<TInput> =
  | { type: 'stage-started'; run: RunRecord<TInput>; stage: StageRecord }
  | { type: 'stage-finished'; run: RunRecord<TInput>; stage: StageRecord }
  | { type: 'compensating'; run: RunRecord<TInput>; stage: StageRecord };

/**
 * A kind of run: its stage handlers (a registry, one handler per stage kind), what each step
 * loads, and what happens when it fails or ends. Adding a kind never changes the engine.
 */
export interface RunKind<TInput = unknown, TTarget = unknown> {
  /** Stored on each run, e.g. `deployment`. */
  readonly kind: string;
  readonly handlers: ReadonlyArray<AnyStageHandler<TInput, TTarget>>;
  /** Loads what the handlers act on, before each step (e.g. resolves the catalog entity). */
  load(run: RunRecord<TInput>, stage: StageRecord): Promise<TTarget>;
  /** The outcome of a run whose stages all succeeded (default `succeeded`). */
  readonly successOutcome?: string;
  /**
   * Why the run may not be stopped now, if it may not (e.g. a deployment that production already
   * runs, being marked stable). A cancel request is then left unanswered and the run goes on.
   */
  cancelRefusal?(
    run: RunRecord<TInput>,
    stages: ReadonlyArray<StageRecord>,
  ): string | undefined;
  /** Decides how a failed run ends (default: `failed`, no compensation). */
  onFailure?(failure: RunFailure<TInput>): FailurePlan;
  /**
   * Called once the run has ended, until it returns without throwing (so at least once, even
   * across a crash): it must be idempotent.
   */
  onFinished?(run: RunRecord<TInput>): Promise<void>;
  /** Told about stage changes after they are written; its errors are logged, never fatal. */
  onEvent?(event: RunEvent<TInput>): Promise<void>;
}

/** A kind of any input and target, as the engine's registry holds them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRunKind = RunKind<any, any>;

/** Thrown when a step's lease was taken by another replica: the step must touch nothing more. */
export class LeaseLostError extends Error {
  name = 'LeaseLostError';
  constructor(runId: string) {
    super(`The lease on run ${runId} was lost; another replica owns it now`);
  }
}
