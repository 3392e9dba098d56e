import { EnvironmentConfig } from '../../config';
import { createStageHandler } from '../../engine';
import { GitHubProvider } from '../../providers/github';
import { MetricsProvider } from '../../providers/metrics';
import { healthBreach } from '../plan';
import { DeploymentRunInput, DeploymentTarget, environmentOf } from '../types';
import { reportDeploymentStatus, requireBackup } from './shared';

/** State of a `verify` stage. */
export interface VerifyState {
  /** Health samples taken. */
  samples?: number;
  /** Unhealthy samples in a row. */
  streak?: number;
  /** Told that no metrics provider is configured. */
  warned?: boolean;
}

/** Settings of the health verification. */
export interface VerifySettings {
  thresholds: { errorRate: number; p95Seconds: number };
  /** Consecutive unhealthy samples that fail a verification. */
  consecutiveBreaches: number;
  /** Health window and sampling interval per environment name. */
  verification: Record<string, { windowMs: number; intervalMs: number }>;
}

/**
 * `verify`: samples the new version's health (error rate, p95 latency) for the environment's
 * window; enough unhealthy samples in a row fail it. Without a metrics provider it only waits
 * the window out, and says so.
 */
export function createVerifyStage(
  deps: {
    metrics?: MetricsProvider;
    github: GitHubProvider;
    environments: EnvironmentConfig[];
  } & VerifySettings,
) {
  return createStageHandler<DeploymentRunInput, DeploymentTarget, VerifyState>({
    stage: 'verify',
    async run(ctx) {
      const env = environmentOf(deps.environments, ctx.stage);
      const backup = requireBackup(ctx);
      const { token } = ctx.run.input;
      const state = ctx.stage.state;
      const window = deps.verification[env.name] ?? {
        windowMs: 60_000,
        intervalMs: 5_000,
      };
      const elapsed =
        ctx.now.getTime() -
        (ctx.stage.startedAt?.getTime() ?? ctx.now.getTime());
      if (!deps.metrics) {
        if (!state.warned) {
          await ctx.log(
            'warn',
            'No metrics provider is configured (delivery.metrics): health is not checked',
          );
        }
        if (elapsed >= window.windowMs) {
          await reportDeploymentStatus(
            deps.github,
            ctx,
            env.name,
            'success',
            `Deployed ${token}`,
          );
          return { type: 'done' };
        }
        return {
          type: 'wait',
          afterMs: window.intervalMs,
          state: { ...state, warned: true },
        };
      }
      const sample = await deps.metrics.health({
        environment: env.name,
        cluster: backup.cluster,
        namespace: backup.namespace,
        workload: backup.workload,
        entityRef: ctx.run.input.entityRef,
      });
      const breach = healthBreach(sample, deps.thresholds);
      const streak = breach ? (state.streak ?? 0) + 1 : 0;
      const samples = (state.samples ?? 0) + 1;
      const next = { ...state, streak, samples };
      const describe =
        sample.errorRate === undefined
          ? 'no traffic'
          : `error rate ${(sample.errorRate * 100).toFixed(2)}%, p95 ${
              sample.p95Seconds?.toFixed(2) ?? '?'
            } s, ${sample.requestsPerSecond.toFixed(1)} req/s`;
      await ctx.log(
        breach ? 'warn' : 'info',
        `Health sample ${samples}: ${describe}`,
      );
      if (breach && streak >= deps.consecutiveBreaches) {
        await reportDeploymentStatus(
          deps.github,
          ctx,
          env.name,
          'failure',
          `Unhealthy: ${breach}`,
        );
        return {
          type: 'fail',
          reason: `Unhealthy in ${env.name}: ${breach}`,
          state: next,
        };
      }
      if (elapsed >= window.windowMs) {
        await ctx.log(
          'info',
          `Healthy for the ${Math.round(window.windowMs / 1000)} s window`,
        );
        await reportDeploymentStatus(
          deps.github,
          ctx,
          env.name,
          'success',
          `Verified ${token}`,
        );
        return { type: 'done', state: next };
      }
      return { type: 'wait', afterMs: window.intervalMs, state: next };
    },
  });
}
