import { createStageHandler, StageHandler } from '../../engine';
import { DeploymentRunInput, DeploymentTarget } from '../types';
import { VerifyState } from './verify';

/** What the pipeline does to a deployment's flags (the flags service, as the pipeline). */
export interface DeploymentFlags {
  /**
   * Turns the flags on for `percent` % of users in an environment, on behalf of the deployment
   * (no approval: the deployment's own gates stand for it); returns the keys it changed, those
   * it could not find (archived or removed since the request) and those it left alone (on for
   * more users already, or with targeting of their own).
   */
  rollout(options: {
    entityRef: string;
    keys: string[];
    environment: string;
    percent: number;
    deployment: string;
    actor: string;
  }): Promise<{ changed: string[]; missing: string[]; kept?: string[] }>;
  /** Turns the flags off in an environment (the kill switch, as the pipeline). */
  turnOff(options: {
    entityRef: string;
    keys: string[];
    environment: string;
    deployment: string;
    reason: string;
  }): Promise<{ changed: string[] }>;
}

/** State of a `flags` stage: the verification's, and whether the flags were set. */
export interface FlagStepState extends VerifyState {
  applied?: boolean;
}

/** The share of users a `flags` stage turns its flags on for, from its name (`canary.flags-10`). */
export function flagStepPercent(stageName: string): number {
  const match = /\.flags-(\d{1,3})$/.exec(stageName);
  const percent = match ? Number(match[1]) : NaN;
  if (!(percent >= 1 && percent <= 100)) {
    throw new Error(`Stage ${stageName} does not name a share of users`);
  }
  return percent;
}

const PIPELINE_ACTOR = 'delivery';

/**
 * `flags`: turns the deployment's flags on for the stage's share of users in its environment,
 * then watches the new version's health for the environment's window exactly like `verify`
 * (the same evidence rules): a breach fails it, and the failure turns the flags off before the
 * version is rolled back.
 */
export function createFlagStepStage(deps: {
  flags: DeploymentFlags;
  verify: StageHandler<DeploymentRunInput, DeploymentTarget, VerifyState>;
}) {
  return createStageHandler<
    DeploymentRunInput,
    DeploymentTarget,
    FlagStepState
  >({
    stage: 'flags',
    async run(ctx) {
      const { input } = ctx.run;
      const environment = ctx.stage.environment!;
      const keys = input.flags ?? [];
      if (!ctx.stage.state.applied) {
        const percent = flagStepPercent(ctx.stage.name);
        await ctx.fence();
        const {
          changed,
          missing,
          kept = [],
        } = await deps.flags.rollout({
          entityRef: input.entityRef,
          keys,
          environment,
          percent,
          deployment: input.token,
          actor: PIPELINE_ACTOR,
        });
        if (missing.length > 0) {
          await ctx.log(
            'warn',
            `No flag ${missing.join(
              ', ',
            )} any more (archived or removed); going on without`,
          );
        }
        if (kept.length > 0) {
          await ctx.log(
            'info',
            `${kept.join(
              ', ',
            )} left as they are in ${environment}: on for more users already, or targeted by hand`,
          );
        }
        const stepped = keys.filter(
          k => !missing.includes(k) && !kept.includes(k),
        );
        if (stepped.length > 0) {
          await ctx.log(
            'info',
            `${stepped.join(
              ', ',
            )} on for ${percent} % of users in ${environment}${
              changed.length === 0 ? ' (already)' : ''
            }`,
          );
        }
        // The checkpoint also becomes the stage's state, which the verification goes on from.
        await ctx.checkpoint({ ...ctx.stage.state, applied: true });
      }
      return deps.verify.run(ctx);
    },
  });
}

/**
 * `flags-off`: after a failure in an environment whose flags the pipeline had turned on, turns
 * them off there, before the version is rolled back (the fastest rollback comes first). Never
 * gives up: while it cannot, the version stays, and the rollback waits.
 */
export function createFlagsOffStage(deps: {
  flags: DeploymentFlags;
  pollIntervalMs: number;
}) {
  return createStageHandler<DeploymentRunInput, DeploymentTarget, object>({
    stage: 'flags-off',
    retry: {
      maxAttempts: Infinity,
      backoffMs: errors => Math.min(deps.pollIntervalMs * errors, 30_000),
    },
    async run(ctx) {
      const { input } = ctx.run;
      const environment = ctx.stage.environment!;
      await ctx.fence();
      const { changed } = await deps.flags.turnOff({
        entityRef: input.entityRef,
        keys: input.flags ?? [],
        environment,
        deployment: input.token,
        reason: `Deployment ${input.token} failed: ${ctx.run.reason ?? ''}`,
      });
      await ctx.log(
        'warn',
        changed.length > 0
          ? `Turned ${changed.join(', ')} off in ${environment}`
          : `${(input.flags ?? []).join(', ')} already off in ${environment}`,
      );
      return { type: 'done' };
    },
  });
}
