import { MetricsProvider } from '@internal/plugin-delivery-node';
import { createStageHandler } from '../../engine';
import { healthBreach } from '../../deployments/plan';
import { VerifySettings } from '../../deployments/stages/verify';
import { EnvironmentConfig } from '../../config';
import { KubernetesProvider } from '../../providers/kubernetes';
import { RollbackRunInput, RollbackTarget } from '../types';
import { workloadOf } from './shared';

/** State of a rollback's `verify` stage. */
export interface RecoveryState {
  samples?: number;
  /** Healthy samples with traffic. */
  evidence?: number;
  /** Unhealthy samples in a row. */
  streak?: number;
  announced?: boolean;
}

/**
 * `verify` after a rollback step: watches the environment's health (all of its traffic, whatever
 * the version) for the environment's verification window, sampling only time since the stage
 * began. Health is restored once the window is over with `minSamples` healthy samples and the
 * last one healthy; `consecutiveBreaches` unhealthy samples in a row fail it (the rollback did not
 * help: it escalates). Without traffic to judge by the end of the evidence timeout it finishes,
 * saying so: on-call judges then, rather than being paged for silence.
 */
export function createRecoveryVerifyStage(
  deps: {
    metrics?: MetricsProvider;
    kubernetes: KubernetesProvider;
    environments: EnvironmentConfig[];
  } & VerifySettings,
) {
  return createStageHandler<RollbackRunInput, RollbackTarget, RecoveryState>({
    stage: 'verify',
    async run(ctx) {
      const settings = deps.verification[ctx.stage.environment ?? ''];
      if (!settings) {
        throw new Error(
          `No verification settings for environment '${ctx.stage.environment}'`,
        );
      }
      const state = ctx.stage.state;
      const elapsed =
        ctx.now.getTime() -
        (ctx.stage.startedAt?.getTime() ?? ctx.now.getTime());
      const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;
      if (!state.announced) {
        await ctx.log(
          'info',
          deps.metrics
            ? `Watching health for ${seconds(
                settings.windowMs,
              )}, a sample every ${seconds(settings.intervalMs)}`
            : `No metrics provider is configured: waiting ${seconds(
                settings.windowMs,
              )} without checking health`,
        );
        return {
          type: 'wait',
          afterMs: deps.metrics ? settings.intervalMs : settings.windowMs,
          state: { ...state, announced: true },
        };
      }
      if (!deps.metrics) {
        return elapsed >= settings.windowMs
          ? { type: 'done' }
          : { type: 'wait', afterMs: settings.windowMs - elapsed };
      }
      const workload = await workloadOf(
        deps.kubernetes,
        deps.environments,
        ctx,
      );
      // Only the answers of the version the rollback returned to count (none: all of them).
      const { target, backup, level } = ctx.run.input;
      let version: string | undefined;
      if (level === 2) version = target?.commitSha;
      else if (level !== 1) version = backup?.commitSha;
      const windowSeconds = Math.max(
        1,
        Math.floor(Math.min(elapsed, deps.sampleWindowMs) / 1000),
      );
      const sample = await deps.metrics.health({
        ...(version ? { version } : {}),
        environment: ctx.stage.environment ?? '',
        cluster: workload.cluster,
        namespace: workload.namespace,
        workload: workload.name,
        entityRef: ctx.run.input.entityRef,
        windowSeconds,
      });
      const samples = (state.samples ?? 0) + 1;
      const traffic =
        sample.requestsPerSecond > 0 && sample.errorRate !== undefined;
      // A few errors in a small sample are not a breach: the bound must be over the limit.
      const breach = traffic
        ? healthBreach(
            sample,
            deps.thresholds,
            Math.round(sample.requestsPerSecond * windowSeconds),
          )
        : undefined;
      const streak = breach ? (state.streak ?? 0) + 1 : 0;
      const evidence = (state.evidence ?? 0) + (traffic && !breach ? 1 : 0);
      const next = { ...state, samples, streak, evidence };
      if (breach) {
        await ctx.log('warn', `Still unhealthy: ${breach}`);
        if (streak >= deps.consecutiveBreaches) {
          return {
            type: 'fail',
            reason: `Health was not restored in ${ctx.stage.environment}: ${breach} in ${streak} samples in a row`,
            state: next,
          };
        }
      }
      if (elapsed >= settings.windowMs && !breach) {
        if (evidence >= settings.minSamples) {
          await ctx.log(
            'info',
            `Health restored: ${evidence} healthy samples in ${seconds(
              elapsed,
            )}`,
          );
          return { type: 'done', state: next };
        }
        if (elapsed >= settings.windowMs + settings.evidenceTimeoutMs) {
          await ctx.log(
            'warn',
            `Too little traffic to judge (${evidence} healthy samples of ${settings.minSamples}): finished without proof that health is restored`,
          );
          return { type: 'done', state: next };
        }
      }
      return { type: 'wait', afterMs: settings.intervalMs, state: next };
    },
  });
}
