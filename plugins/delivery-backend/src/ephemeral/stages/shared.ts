import {
  StageContext,
  StageHandler,
  StepResult,
  createStageHandler,
} from '../../engine';
import { EnvironmentRunInput, EnvironmentTarget, staleReason } from '../types';

export type EnvironmentStageContext<TState extends object> = StageContext<
  EnvironmentRunInput,
  EnvironmentTarget,
  TState
>;

export type EnvironmentStage<TState extends object = object> = StageHandler<
  EnvironmentRunInput,
  EnvironmentTarget,
  TState
>;

/**
 * An environment stage that first checks its environment is still its own: a deleted
 * environment, or one a newer push's run took over, fails the stage before it touches anything.
 */
export function createEnvironmentStage<TState extends object>(
  stage: string,
  run: (ctx: EnvironmentStageContext<TState>) => Promise<StepResult<TState>>,
): EnvironmentStage<TState> {
  return createStageHandler<EnvironmentRunInput, EnvironmentTarget, TState>({
    stage,
    async run(ctx) {
      const stale = staleReason(ctx.target, ctx.run.id);
      if (stale) return { type: 'fail', reason: stale };
      return run(ctx);
    },
  });
}
