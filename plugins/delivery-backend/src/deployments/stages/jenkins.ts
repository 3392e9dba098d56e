import { StageContext, StepResult, createStageHandler } from '../../engine';
import {
  DEFAULT_JENKINS_PARAMETER_NAMES,
  JenkinsBuildState,
  JenkinsParameterNames,
  JenkinsProvider,
} from '../../providers/jenkins/JenkinsProvider';
import { DeploymentRunInput, DeploymentTarget } from '../types';

/** State of a `jenkins` stage. */
export interface JenkinsState {
  /** The triggered build, as far as it got. */
  build?: JenkinsBuildState;
}

/**
 * `jenkins`: runs the service's parameterized Jenkins job with the token, the sha and the
 * environment (parameter names from settings, the process's by default), and waits for its
 * result (a failure or the timeout fails the stage). Exactly one build per deployment: the
 * queue item is saved as soon as the build is triggered, so a retry follows it; and a retry
 * that has nothing saved (the replica died between triggering and saving, or the trigger's
 * answer was lost) first looks for a queued item or build of the job carrying this token and
 * environment, and adopts it instead of triggering another.
 */
export function createJenkinsStage(deps: {
  jenkins?: JenkinsProvider;
  /** Without settings (Jenkins not configured), the stage fails. */
  settings?: {
    timeoutMs: number;
    jobAnnotation: string;
    /** Build parameter names; the process's (`DEPLOYMENT_TOKEN`...) when not given. */
    parameters?: JenkinsParameterNames;
  };
  pollIntervalMs: number;
}) {
  return createStageHandler<DeploymentRunInput, DeploymentTarget, JenkinsState>(
    {
      stage: 'jenkins',
      async run(ctx) {
        const { jenkins, settings } = deps;
        const job = settings
          ? ctx.target.service.entity.metadata.annotations?.[
              settings.jobAnnotation
            ]
          : undefined;
        if (!jenkins || !settings || !job) {
          return {
            type: 'fail',
            reason: 'Jenkins is not configured for this service any more',
          };
        }
        const { token, commitSha } = ctx.run.input;
        const names = settings.parameters ?? DEFAULT_JENKINS_PARAMETER_NAMES;
        return stepJenkinsBuild(ctx, {
          jenkins,
          job,
          parameters: {
            [names.token]: token,
            [names.commitSha]: commitSha,
            [names.environment]: ctx.stage.environment ?? '',
          },
          identifiedBy: [names.token, names.environment],
          what: token,
          timeoutMs: settings.timeoutMs,
          pollIntervalMs: deps.pollIntervalMs,
        });
      },
    },
  );
}

/**
 * One step of following a parameterized Jenkins build, for any kind of run: triggers it (or
 * adopts the build already queued or built with the same identifying parameters, after a crash
 * that lost the answer) and saves it at once; then polls it until it succeeds (done), fails, is
 * cancelled or outlives `timeoutMs` from the stage's start (fail).
 */
export async function stepJenkinsBuild(
  ctx: StageContext<unknown, unknown, JenkinsState>,
  options: {
    jenkins: JenkinsProvider;
    job: string;
    parameters: Record<string, string>;
    identifiedBy: string[];
    /** Names the build's purpose in logs (a token, a branch). */
    what: string;
    timeoutMs: number;
    pollIntervalMs: number;
  },
): Promise<StepResult<JenkinsState>> {
  const { jenkins, job, what } = options;
  const build = ctx.stage.state.build;
  if (!build) {
    await ctx.fence();
    const triggered = await jenkins.trigger(job, options.parameters, {
      identifiedBy: options.identifiedBy,
    });
    await ctx.checkpoint({ build: triggered });
    await ctx.log(
      'info',
      triggered.adopted
        ? `Found Jenkins job ${job}'s build for ${what} already ${
            triggered.buildNumber !== undefined
              ? `started (#${triggered.buildNumber})`
              : 'queued'
          }, following it instead of triggering another (${
            triggered.buildUrl ?? triggered.queueItemUrl
          })`
        : `Triggered Jenkins job ${job} (${triggered.queueItemUrl})`,
    );
    return {
      type: 'wait',
      afterMs: options.pollIntervalMs,
      state: { build: triggered },
    };
  }
  const polled = await jenkins.poll(build);
  if (polled.buildNumber && !build.buildNumber) {
    await ctx.log(
      'info',
      `Jenkins build #${polled.buildNumber} started: ${polled.buildUrl ?? ''}`,
    );
  }
  if (polled.cancelled) {
    return {
      type: 'fail',
      reason: `Jenkins cancelled the queued build of ${job}`,
      state: { build: polled },
    };
  }
  if (!polled.building && polled.result) {
    if (polled.result === 'SUCCESS') {
      await ctx.log('info', `Jenkins build #${polled.buildNumber} succeeded`);
      return { type: 'done', state: { build: polled } };
    }
    return {
      type: 'fail',
      reason: `Jenkins build #${polled.buildNumber} of ${job} ended ${polled.result}`,
      state: { build: polled },
    };
  }
  const elapsed =
    ctx.now.getTime() - (ctx.stage.startedAt?.getTime() ?? ctx.now.getTime());
  if (elapsed > options.timeoutMs) {
    return {
      type: 'fail',
      reason: `Jenkins build of ${job} did not finish within ${Math.round(
        options.timeoutMs / 1000,
      )} s`,
      state: { build: polled },
    };
  }
  return {
    type: 'wait',
    afterMs: options.pollIntervalMs,
    state: { build: polled },
  };
}
