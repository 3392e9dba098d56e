import { createStageHandler } from '../../engine';
import { DeploymentFlags } from '../../deployments/stages';
import { RollbackRunInput, RollbackTarget } from '../types';

/**
 * `flags-off` (level 1): turns the rollback's flags off in its environment through the flags
 * service (the kill switch, recorded in each flag's history with the rollback's id). Idempotent;
 * retried until it succeeds, since it is the fastest relief there is.
 */
export function createRollbackFlagsOffStage(deps: {
  flags: Pick<DeploymentFlags, 'turnOff'>;
  pollIntervalMs: number;
}) {
  return createStageHandler<RollbackRunInput, RollbackTarget, object>({
    stage: 'flags-off',
    retry: {
      maxAttempts: Infinity,
      backoffMs: errors => Math.min(deps.pollIntervalMs * errors, 10_000),
    },
    async run(ctx) {
      const { input } = ctx.run;
      const keys = input.flags ?? [];
      if (keys.length === 0) {
        return { type: 'fail', reason: 'No flag to turn off was named' };
      }
      await ctx.fence();
      const { changed } = await deps.flags.turnOff({
        entityRef: input.entityRef,
        keys,
        environment: ctx.stage.environment ?? input.environment,
        deployment: input.id,
        reason: `Rollback ${input.id} (level 1): ${input.reason}`,
      });
      await ctx.log(
        'warn',
        changed.length > 0
          ? `Turned off ${changed.join(', ')} in ${ctx.stage.environment}`
          : `${keys.join(', ')} already off in ${ctx.stage.environment}`,
      );
      return { type: 'done' };
    },
  });
}
