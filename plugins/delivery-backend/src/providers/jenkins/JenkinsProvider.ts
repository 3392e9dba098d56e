/** Names of the build parameters the pipeline sends (`delivery.jenkins.parameters`). */
export interface JenkinsParameterNames {
  /** Carries the deployment token; also what finds a build again after a crash. */
  token: string;
  /** Carries the full commit sha being deployed. */
  commitSha: string;
  /** Carries the environment the stage runs after, e.g. `uat`. */
  environment: string;
}

/** The process's names: `DEPLOYMENT_TOKEN`, `GIT_COMMIT_SHA`, `TARGET_ENV`. */
export const DEFAULT_JENKINS_PARAMETER_NAMES: JenkinsParameterNames = {
  token: 'DEPLOYMENT_TOKEN',
  commitSha: 'GIT_COMMIT_SHA',
  environment: 'TARGET_ENV',
};

/** A triggered Jenkins build, as far as it got. */
export interface JenkinsBuildState {
  /** Queue item URL returned by buildWithParameters (the Location header). */
  queueItemUrl: string;
  /**
   * The job (folders separated by `/`) and the queue item's id. With them, `poll` builds its
   * URLs from the configured base URL rather than trusting the root URL Jenkins reports.
   */
  jobFullName?: string;
  queueId?: number;
  /** Build number once the queue item has left the queue. */
  buildNumber?: number;
  buildUrl?: string;
  /** True while the build runs (or waits in the queue). */
  building: boolean;
  /** SUCCESS, FAILURE, UNSTABLE, ABORTED, NOT_BUILT once finished. */
  result?: string;
  /** Set when the queue item was cancelled in Jenkins. */
  cancelled?: boolean;
  /** Set when `trigger` found this build already queued or built rather than queueing it. */
  adopted?: boolean;
}

/** Options of {@link JenkinsProvider.trigger}. */
export interface JenkinsTriggerOptions {
  /**
   * Names of parameters whose values identify the build (e.g. the deployment token): when the
   * job already has a queued item or a build with these parameter values, `trigger` returns it
   * (`adopted`) instead of queueing another. This makes a trigger safe to repeat after a crash
   * that lost its answer.
   */
  identifiedBy?: string[];
}

/**
 * Triggers parameterized builds and follows them: crumb, buildWithParameters, queue item,
 * build result. Each call is bounded by a request timeout; the overall build timeout is the
 * pipeline's business.
 */
export interface JenkinsProvider {
  /**
   * Queues a build of `jobFullName` (folders separated by `/`) with parameters, or, with
   * `identifiedBy`, adopts the one already queued or built with the same identifying values.
   */
  trigger(
    jobFullName: string,
    parameters: Record<string, string>,
    options?: JenkinsTriggerOptions,
  ): Promise<JenkinsBuildState>;
  /** Reads where a triggered build is now. */
  poll(state: JenkinsBuildState): Promise<JenkinsBuildState>;
}
