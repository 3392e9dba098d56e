import { AnyStageHandler, RunKind } from '../engine';
import { DatabaseRollbackStore } from './DatabaseRollbackStore';
import { ROLLBACK_RUN_KIND, RollbackRunInput, RollbackTarget } from './types';

/**
 * Rollbacks as a kind of run: the stages of their level (one handler each); they need nothing
 * loaded, since the input says where the service runs. A rollback is never cancelled: once
 * started it finishes. When a stage fails, the rollback escalates (`escalate`: PagerDuty and
 * the on-call group) and ends `failed`. When it ends, its row ends with it and, if it restored
 * health, its incident is resolved.
 */
export function createRollbackRunKind(deps: {
  handlers: ReadonlyArray<AnyStageHandler<RollbackRunInput, RollbackTarget>>;
  store: Pick<
    DatabaseRollbackStore,
    'finishRollback' | 'resolveIncident' | 'getRollback'
  >;
  /** Told about every change (signals, notifications). */
  changed(input: RollbackRunInput, what: 'stage' | 'finished'): Promise<void>;
}): RunKind<RollbackRunInput, RollbackTarget> {
  return {
    kind: ROLLBACK_RUN_KIND,
    handlers: deps.handlers,
    successOutcome: 'succeeded',
    async load() {
      return {};
    },
    cancelRefusal() {
      return 'a rollback is not stopped once started: it returns the service to health, or escalates';
    },
    onFailure({ stage, reason, compensating }) {
      const full = stage ? `${stage.name}: ${reason}` : reason;
      if (compensating || stage?.kind === 'escalate') {
        return { outcome: 'failed', reason: full };
      }
      return {
        outcome: 'failed',
        reason: full,
        compensate: [{ name: 'escalate', kind: 'escalate' }],
      };
    },
    async onFinished(run) {
      const at = run.finishedAt ?? new Date();
      const succeeded = run.outcome === 'succeeded';
      await deps.store.finishRollback({
        id: run.id,
        status: succeeded ? 'succeeded' : 'failed',
        ...(run.reason ? { reason: run.reason } : {}),
        at,
      });
      if (succeeded && run.input.level !== 6) {
        await deps.store.resolveIncident({ rollbackId: run.id, at });
      }
      await deps.changed(run.input, 'finished');
    },
    async onEvent(event) {
      await deps.changed(event.run.input, 'stage');
    },
  };
}
