import { LoggerService } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import { Claim, Lease, RunChanges, RunStore, StagePatch } from './RunStore';
import {
  AnyRunKind,
  LeaseLostError,
  LogLevel,
  RetryPolicy,
  RunEvent,
  RunRecord,
  StagePlan,
  StageRecord,
  StepResult,
} from './types';

/** How the engine runs. */
export interface RunEngineOptions {
  store: RunStore;
  logger: LoggerService;
  /** Names this replica in leases (host, pid and a random suffix). */
  instanceId: string;
  /** How long a claim lasts; steps renew it while they run (at a third of it). */
  leaseMs: number;
  /** For stages whose handler has no policy of its own. */
  retry: RetryPolicy;
}

/** A step's fenced writes and lease, with the run it acts on. */
interface Step {
  kind: AnyRunKind;
  run: RunRecord;
  lease: Lease;
  now: Date;
}

const errorMessage = (error: unknown) =>
  error instanceof Error ? error.message : String(error);

/**
 * The durable run engine: advances runs of every registered kind one idempotent step at a time.
 *
 * Each step runs under a lease claimed in the database (a new generation per claim, times on
 * the database's clock). Everything a step writes is committed in one transaction that matches
 * only while its generation is still the latest claim, handlers call `fence()` before each
 * external effect, and a heartbeat renews the lease of long steps. A replica paused past its
 * lease therefore cannot commit or touch a system once another replica has claimed the run, and
 * a restarted replica resumes every run where the database says it is.
 */
export class RunEngine {
  readonly #options: RunEngineOptions;
  readonly #kinds = new Map<string, AnyRunKind>();

  constructor(options: RunEngineOptions) {
    this.#options = options;
  }

  /** Adds a kind of run. Its stage handlers are looked up by stage kind. */
  register(kind: AnyRunKind): this {
    if (this.#kinds.has(kind.kind)) {
      throw new Error(`A run kind '${kind.kind}' is already registered`);
    }
    const seen = new Set<string>();
    for (const handler of kind.handlers) {
      if (seen.has(handler.stage)) {
        throw new Error(
          `Run kind '${kind.kind}' has two handlers for stage '${handler.stage}'`,
        );
      }
      seen.add(handler.stage);
    }
    this.#kinds.set(kind.kind, kind);
    return this;
  }

  /**
   * Creates a run of a registered kind with its planned stages; it is due at once. With
   * `transaction`, inside it (so it exists exactly when the caller's own change does).
   */
  async createRun(options: {
    kind: string;
    id: string;
    subject: string;
    input: unknown;
    stages: StagePlan[];
    transaction?: Knex.Transaction;
  }): Promise<void> {
    const kind = this.#kinds.get(options.kind);
    if (!kind) throw new Error(`Unknown run kind '${options.kind}'`);
    const missing = options.stages.filter(
      s => !kind.handlers.some(h => h.stage === s.kind),
    );
    if (missing.length > 0) {
      throw new Error(
        `Run kind '${kind.kind}' has no handler for stage kind ${missing
          .map(s => `'${s.kind}'`)
          .join(', ')}`,
      );
    }
    await this.#options.store.createRun({
      run: {
        id: options.id,
        kind: options.kind,
        subject: options.subject,
        input: options.input,
        stages: options.stages,
        now: await this.#options.store.now(),
      },
      transaction: options.transaction,
    });
  }

  /** Asks a run to stop: its current stage fails and its kind compensates. */
  async requestCancel(options: {
    id: string;
    by: string;
    reason?: string;
  }): Promise<boolean> {
    return this.#options.store.requestCancel(options);
  }

  /**
   * Steps due runs, each claimed just before its step, up to `limit` steps; returns how many it
   * took. Safe to call from every replica at once.
   */
  async runDue(limit = 10): Promise<number> {
    const { store, instanceId, leaseMs, logger } = this.#options;
    let stepped = 0;
    for (; stepped < limit; stepped++) {
      const claim = await store.claimNext({
        owner: instanceId,
        leaseMs,
        kinds: [...this.#kinds.keys()],
      });
      if (!claim) break;
      try {
        await this.#step(claim);
      } catch (error) {
        if (error instanceof LeaseLostError) {
          logger.warn(`${error.message}; this replica's step was dropped`);
          continue;
        }
        // Only store errors get here. Give the lease back if it is still ours; otherwise it
        // lapses and another round retries.
        logger.error(`Step of run ${claim.run.id} failed: ${error}`);
        await store
          .commit({
            id: claim.run.id,
            lease: claim.lease,
            changes: {
              release: {
                nextStepAt: new Date(claim.now.getTime() + leaseMs / 4),
              },
            },
          })
          .catch(() => undefined);
      }
    }
    return stepped;
  }

  async #commit(step: Step, changes: RunChanges): Promise<void> {
    const committed = await this.#options.store.commit({
      id: step.run.id,
      lease: step.lease,
      changes,
    });
    if (!committed) throw new LeaseLostError(step.run.id);
  }

  async #event(step: Step, event: RunEvent<unknown>): Promise<void> {
    try {
      await step.kind.onEvent?.(event);
    } catch (error) {
      this.#options.logger.warn(
        `Run ${step.run.id}: telling about ${event.type} failed: ${error}`,
      );
    }
  }

  async #step(claim: Claim): Promise<void> {
    const { store } = this.#options;
    const kind = this.#kinds.get(claim.run.kind)!;
    const step: Step = { kind, ...claim };
    const { run, now } = step;
    if (run.status === 'finishing') {
      await this.#finished(step);
      return;
    }
    const stages = await store.listStages({ runIds: [run.id] });
    const compensating = run.outcome !== undefined;
    const stage = stages[run.currentStage];

    if (
      run.cancelRequestedBy &&
      !compensating &&
      !kind.cancelRefusal?.(run, stages)
    ) {
      await this.#fail(step, stages, stage, {
        reason: run.cancelReason ?? `Cancelled by ${run.cancelRequestedBy}`,
        cancelledBy: run.cancelRequestedBy,
      });
      return;
    }
    if (!stage) {
      await this.#end(step, {
        outcome: run.outcome ?? kind.successOutcome ?? 'succeeded',
        reason: run.reason,
      });
      return;
    }
    if (stage.status === 'failed') {
      // A replica stopped while failing this stage: finish failing it, never run it again.
      const logs = await store.listLogs({ runIds: [run.id] });
      const reason = logs
        .filter(l => l.position === stage.position && l.level === 'error')
        .at(-1)?.message;
      await this.#fail(step, stages, stage, { reason: reason ?? 'Failed' });
      return;
    }
    const handler = kind.handlers.find(h => h.stage === stage.kind);
    if (!handler) {
      await this.#fail(step, stages, stage, {
        reason: `Run kind '${kind.kind}' has no handler for stage kind '${stage.kind}'`,
      });
      return;
    }
    if (stage.status === 'pending') {
      await this.#commit(step, {
        stages: [
          {
            position: stage.position,
            patch: { status: 'running', startedAt: now, actor: 'delivery' },
          },
        ],
      });
      stage.status = 'running';
      stage.startedAt = now;
      stage.actor = 'delivery';
      await this.#event(step, { type: 'stage-started', run, stage });
    }

    let result: StepResult;
    try {
      result = await this.#runHandler(step, stages, stage, handler);
    } catch (error) {
      if (error instanceof LeaseLostError) throw error;
      const errors = stage.errors + 1;
      const retry = handler.retry ?? this.#options.retry;
      const message = errorMessage(error);
      if (errors < retry.maxAttempts) {
        await this.#commit(step, {
          stages: [
            {
              position: stage.position,
              patch: { errors, incrementAttempts: true },
            },
          ],
          logs: [
            {
              position: stage.position,
              level: 'warn',
              message: `Attempt ${errors} failed, retrying: ${message}`,
              at: now,
            },
          ],
          release: {
            nextStepAt: new Date(now.getTime() + retry.backoffMs(errors)),
          },
        });
        return;
      }
      await this.#fail(step, stages, stage, {
        reason: `${stage.name} failed ${errors} times in a row: ${message}`,
        patch: { errors, incrementAttempts: true },
      });
      return;
    }

    const patch: StagePatch = {
      incrementAttempts: true,
      ...(stage.errors > 0 ? { errors: 0 } : {}),
      ...(result.state ? { state: result.state } : {}),
    };
    switch (result.type) {
      case 'wait':
        await this.#commit(step, {
          stages: [
            {
              position: stage.position,
              patch: {
                ...patch,
                ...(result.waiting && stage.status !== 'waiting'
                  ? { status: 'waiting' }
                  : {}),
              },
            },
          ],
          release: { nextStepAt: new Date(now.getTime() + result.afterMs) },
        });
        return;
      case 'fail':
        await this.#fail(step, stages, stage, { reason: result.reason, patch });
        return;
      default: {
        const finishedAt = await store.now();
        const succeeded: StagePatch = {
          ...patch,
          status: 'succeeded',
          finishedAt,
          ...(result.actor ? { actor: result.actor } : {}),
        };
        const next = stage.position + 1;
        const done = { ...stage, status: 'succeeded' as const, finishedAt };
        if (next < stages.length) {
          await this.#commit(step, {
            stages: [{ position: stage.position, patch: succeeded }],
            run: { currentStage: next },
            release: { nextStepAt: finishedAt },
          });
          await this.#event(step, { type: 'stage-finished', run, stage: done });
          return;
        }
        await this.#commit(step, {
          stages: [{ position: stage.position, patch: succeeded }],
        });
        await this.#event(step, { type: 'stage-finished', run, stage: done });
        await this.#end(step, {
          outcome: run.outcome ?? kind.successOutcome ?? 'succeeded',
          reason: run.reason,
        });
      }
    }
  }

  /** Runs one step of a handler with a heartbeat on its lease and fenced helpers. */
  async #runHandler(
    step: Step,
    stages: StageRecord[],
    stage: StageRecord,
    handler: AnyRunKind['handlers'][number],
  ): Promise<StepResult> {
    const { store, leaseMs } = this.#options;
    const { run, lease } = step;
    const controller = new AbortController();
    const lost = () => {
      if (!controller.signal.aborted) {
        controller.abort(new LeaseLostError(run.id));
      }
    };
    const fence = async () => {
      if (controller.signal.aborted) throw new LeaseLostError(run.id);
      if (!(await store.renew({ id: run.id, lease, leaseMs }))) {
        lost();
        throw new LeaseLostError(run.id);
      }
    };
    const heartbeat = setInterval(() => {
      store
        .renew({ id: run.id, lease, leaseMs })
        .then(held => (held ? undefined : lost()))
        .catch(() => undefined);
    }, Math.max(50, Math.floor(leaseMs / 3)));
    try {
      const target = await step.kind.load(run, stage);
      const result = await handler.run({
        run,
        stage,
        stages,
        target,
        now: step.now,
        signal: controller.signal,
        fence,
        log: async (level: LogLevel, message: string) => {
          await this.#commit(step, {
            logs: [
              {
                position: stage.position,
                level,
                message,
                at: await store.now(),
              },
            ],
          });
        },
        checkpoint: async (state: object) => {
          await this.#commit(step, {
            stages: [{ position: stage.position, patch: { state } }],
          });
          stage.state = state;
        },
      });
      if (controller.signal.aborted) throw new LeaseLostError(run.id);
      return result;
    } catch (error) {
      if (controller.signal.aborted) throw new LeaseLostError(run.id);
      throw error;
    } finally {
      clearInterval(heartbeat);
    }
  }

  /**
   * Stops a run at `stage`: the stage fails (its reason logged first, so that a replica resuming
   * a half-failed run reads it back), pending stages are skipped, and the kind decides the
   * outcome and whether stages compensate first.
   */
  async #fail(
    step: Step,
    stages: StageRecord[],
    stage: StageRecord | undefined,
    failure: { reason: string; cancelledBy?: string; patch?: StagePatch },
  ): Promise<void> {
    const { run, kind, now } = step;
    const compensating = run.outcome !== undefined;
    const plan = kind.onFailure?.({
      run,
      stages,
      stage,
      reason: failure.reason,
      cancelledBy: failure.cancelledBy,
      compensating,
    }) ?? {
      outcome: 'failed',
      reason: stage ? `${stage.name}: ${failure.reason}` : failure.reason,
    };
    const changes: RunChanges = { stages: [], logs: [] };
    if (stage && stage.status !== 'failed') {
      changes.logs!.push({
        position: stage.position,
        level: 'error',
        message: failure.reason,
        at: now,
      });
      changes.stages!.push({
        position: stage.position,
        patch: { ...failure.patch, status: 'failed', finishedAt: now },
      });
    }
    for (const later of stages) {
      if (
        later.position > (stage?.position ?? -1) &&
        later.status === 'pending'
      ) {
        changes.stages!.push({
          position: later.position,
          patch: { status: 'skipped' },
        });
      }
    }
    if (plan.compensate?.length && !compensating) {
      await this.#commit(step, {
        ...changes,
        appendStages: plan.compensate,
        run: {
          outcome: plan.outcome,
          reason: plan.reason,
          currentStage: stages.length,
        },
        release: { nextStepAt: now },
      });
      const [first] = plan.compensate;
      await this.#event(step, {
        type: 'compensating',
        run: { ...run, outcome: plan.outcome, reason: plan.reason },
        stage: {
          runId: run.id,
          position: stages.length,
          name: first.name,
          kind: first.kind,
          ...(first.environment ? { environment: first.environment } : {}),
          status: 'pending',
          attempts: 0,
          errors: 0,
          state: {},
        },
      });
      return;
    }
    await this.#end(step, plan, changes);
  }

  /** The run has ended: record how, then tell its kind. */
  async #end(
    step: Step,
    end: { outcome: string; reason?: string },
    changes: RunChanges = {},
  ): Promise<void> {
    await this.#commit(step, {
      ...changes,
      run: {
        status: 'finishing',
        outcome: end.outcome,
        ...(end.reason !== undefined ? { reason: end.reason } : {}),
      },
    });
    step.run = {
      ...step.run,
      status: 'finishing',
      outcome: end.outcome,
      ...(end.reason !== undefined ? { reason: end.reason } : {}),
    };
    await this.#finished(step);
  }

  /** Tells the kind a run ended (again after a crash, until it succeeds), then closes it. */
  async #finished(step: Step): Promise<void> {
    const { store, leaseMs, logger } = this.#options;
    const { run, kind } = step;
    if (!(await store.renew({ id: run.id, lease: step.lease, leaseMs }))) {
      throw new LeaseLostError(run.id);
    }
    try {
      await kind.onFinished?.(run);
    } catch (error) {
      logger.warn(`Run ${run.id} ended, but telling its kind failed: ${error}`);
      await this.#commit(step, {
        release: { nextStepAt: new Date(step.now.getTime() + leaseMs / 4) },
      });
      return;
    }
    await this.#commit(step, {
      run: { status: 'finished', finishedAt: await store.now() },
      release: { nextStepAt: null },
    });
  }
}
