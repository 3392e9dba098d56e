import { EnvironmentConfig, VerificationConfig } from '../../config';
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
  /** Samples with traffic answered by the new version (the evidence). */
  evidence?: number;
  /** Unhealthy samples in a row. */
  streak?: number;
  /** Said how it verifies. */
  announced?: boolean;
}

/** Settings of the health verification. */
export interface VerifySettings {
  thresholds: { errorRate: number; p95Seconds: number };
  /** Consecutive unhealthy samples that fail a verification. */
  consecutiveBreaches: number;
  /** Window, interval, minimum evidence and evidence timeout per environment name. */
  verification: Record<string, VerificationConfig>;
  /** Range each sample covers at most (`delivery.metrics.window`). */
  sampleWindowMs: number;
  /** Whether to wait the window out when no metrics provider is configured. */
  verifyWithoutMetrics: boolean;
}

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

/**
 * `verify`: watches the new version's health (error rate, p95 latency) for the environment's
 * window. Samples cover only time after the rollout finished and only requests answered by the
 * new version; a sample without such traffic is inconclusive, never healthy. It passes once the
 * window is over with at least `minSamples` samples of evidence and the last one healthy; enough
 * unhealthy samples in a row fail it, and so does too little evidence by the end of the evidence
 * timeout. Without a metrics provider it fails, unless `verifyWithoutMetrics` lets it wait the
 * window out.
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
      const { token, commitSha } = ctx.run.input;
      const state = ctx.stage.state;
      const settings = deps.verification[env.name];
      if (!settings) {
        throw new Error(
          `No verification settings for environment '${env.name}'`,
        );
      }
      // The stage starts when the rollout has finished: nothing before counts.
      const elapsed =
        ctx.now.getTime() -
        (ctx.stage.startedAt?.getTime() ?? ctx.now.getTime());
      if (!deps.metrics) {
        if (!deps.verifyWithoutMetrics) {
          return {
            type: 'fail',
            reason: `No metrics provider is configured (delivery.metrics), so ${env.name} cannot be verified; delivery.pipeline.verifyWithoutMetrics: true allows waiting the window out instead`,
          };
        }
        if (!state.announced) {
          await ctx.log(
            'warn',
            `No metrics provider is configured (delivery.metrics): health is not checked, only the ${seconds(
              settings.windowMs,
            )} window waited out (delivery.pipeline.verifyWithoutMetrics)`,
          );
        }
        if (elapsed >= settings.windowMs) {
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
          afterMs: settings.intervalMs,
          state: { ...state, announced: true },
        };
      }
      if (!state.announced) {
        await ctx.log(
          'info',
          `Watching ${commitSha.slice(0, 7)} for ${seconds(
            settings.windowMs,
          )}, a sample every ${seconds(settings.intervalMs)}; at least ${
            settings.minSamples
          } with its traffic needed`,
        );
        return {
          type: 'wait',
          afterMs: settings.intervalMs,
          state: { ...state, announced: true },
        };
      }
      const windowSeconds = Math.max(
        1,
        Math.floor(Math.min(elapsed, deps.sampleWindowMs) / 1000),
      );
      const sample = await deps.metrics.health({
        environment: env.name,
        cluster: backup.cluster,
        namespace: backup.namespace,
        workload: backup.workload,
        entityRef: ctx.run.input.entityRef,
        version: commitSha,
        // Only the time since the rollout finished.
        windowSeconds,
      });
      const samples = (state.samples ?? 0) + 1;
      const withTraffic =
        sample.errorRate !== undefined && sample.requestsPerSecond > 0;
      const breach = withTraffic
        ? healthBreach(
            sample,
            deps.thresholds,
            Math.round(sample.requestsPerSecond * windowSeconds),
          )
        : undefined;
      // An inconclusive sample neither breaks nor extends a run of unhealthy ones.
      let streak = state.streak ?? 0;
      if (withTraffic) streak = breach ? streak + 1 : 0;
      const evidence = (state.evidence ?? 0) + (withTraffic ? 1 : 0);
      const next = { ...state, streak, samples, evidence };
      await ctx.log(
        breach || !withTraffic ? 'warn' : 'info',
        `Health sample ${samples}: ${
          withTraffic
            ? `error rate ${(sample.errorRate! * 100).toFixed(2)}%, p95 ${
                sample.p95Seconds?.toFixed(2) ?? '?'
              } s, ${sample.requestsPerSecond.toFixed(1)} req/s`
            : `no traffic of ${commitSha.slice(0, 7)}: inconclusive`
        }`,
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
      if (elapsed >= settings.windowMs) {
        if (evidence >= settings.minSamples && streak === 0) {
          await ctx.log(
            'info',
            `Healthy for the ${seconds(
              settings.windowMs,
            )} window (${evidence} samples with traffic)`,
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
        if (elapsed >= settings.windowMs + settings.evidenceTimeoutMs) {
          const why =
            evidence < settings.minSamples
              ? `not enough evidence: ${evidence} of ${samples} samples had traffic of ${commitSha.slice(
                  0,
                  7,
                )}, ${settings.minSamples} needed`
              : `still unhealthy at the end: ${streak} unhealthy sample(s) in a row`;
          await reportDeploymentStatus(
            deps.github,
            ctx,
            env.name,
            'failure',
            `Not verified: ${why}`,
          );
          return {
            type: 'fail',
            reason: `Not verified in ${env.name} within ${seconds(
              settings.windowMs + settings.evidenceTimeoutMs,
            )}: ${why}`,
            state: next,
          };
        }
      }
      return { type: 'wait', afterMs: settings.intervalMs, state: next };
    },
  });
}
