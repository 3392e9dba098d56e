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
}

/**
 * Triggers parameterized builds and follows them: crumb, buildWithParameters, queue item,
 * build result. Each call is bounded by a request timeout; the overall build timeout is the
 * pipeline's business.
 */
export interface JenkinsProvider {
  /** Queues a build of `jobFullName` (folders separated by `/`) with parameters. */
  trigger(
    jobFullName: string,
    parameters: Record<string, string>,
  ): Promise<JenkinsBuildState>;
  /** Reads where a triggered build is now. */
  poll(state: JenkinsBuildState): Promise<JenkinsBuildState>;
}
