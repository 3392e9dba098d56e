import { ANNOTATION_JENKINS_JOB } from '@internal/plugin-delivery-common';
import {
  JenkinsState,
  stepJenkinsBuild,
} from '../../deployments/stages/jenkins';
import {
  DEFAULT_JENKINS_PARAMETER_NAMES,
  JenkinsParameterNames,
  JenkinsProvider,
} from '../../providers/jenkins/JenkinsProvider';
import { EphemeralBuildRecord } from '../DatabaseEphemeralStore';
import { createEnvironmentStage } from './shared';

/**
 * `build`: runs the service's Jenkins job (`jenkins.io/job-full-name`) for the branch and sha,
 * and waits for it; the environment fails with the job's result when it fails. The run id is the
 * token parameter, so a retry after a crash adopts the build instead of starting another. A
 * service without a job (or a portal without Jenkins) builds elsewhere: the stage says so and
 * goes on with the image the template names.
 */
export function createBuildStage(deps: {
  jenkins?: JenkinsProvider;
  parameters?: JenkinsParameterNames;
  branchParameter: string;
  timeoutMs: number;
  pollIntervalMs: number;
  /** Records the build on the environment, for the tab. */
  recordBuild(
    environmentId: string,
    build: EphemeralBuildRecord,
  ): Promise<void>;
}) {
  return createEnvironmentStage<JenkinsState>('build', async ctx => {
    const job =
      ctx.target.service.entity.metadata.annotations?.[ANNOTATION_JENKINS_JOB];
    if (!deps.jenkins || !job) {
      await ctx.log(
        'info',
        deps.jenkins
          ? `${ctx.run.input.entityRef} has no ${ANNOTATION_JENKINS_JOB} annotation: its image ${ctx.run.input.image} is expected from the branch's own CI`
          : `Jenkins is not configured: the image ${ctx.run.input.image} is expected from the branch's own CI`,
      );
      return { type: 'done' };
    }
    const names = deps.parameters ?? DEFAULT_JENKINS_PARAMETER_NAMES;
    const { branch, commitSha, namespace } = ctx.run.input;
    const result = await stepJenkinsBuild(ctx, {
      jenkins: deps.jenkins,
      job,
      parameters: {
        [names.token]: ctx.run.id,
        [names.commitSha]: commitSha,
        [names.environment]: namespace,
        [deps.branchParameter]: branch,
      },
      identifiedBy: [names.token],
      what: `${branch} (${ctx.run.id})`,
      timeoutMs: deps.timeoutMs,
      pollIntervalMs: deps.pollIntervalMs,
    });
    const build = result.state?.build;
    if (build) {
      const record: EphemeralBuildRecord = {
        job,
        building: build.building,
        ...(build.buildNumber !== undefined
          ? { number: build.buildNumber }
          : {}),
        ...(build.buildUrl ? { url: build.buildUrl } : {}),
        ...(build.result ? { result: build.result } : {}),
      };
      const before = ctx.target.environment.build;
      if (JSON.stringify(before) !== JSON.stringify(record)) {
        await deps.recordBuild(ctx.run.input.environmentId, record);
      }
    }
    return result;
  });
}
