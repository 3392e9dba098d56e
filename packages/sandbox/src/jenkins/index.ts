/*
 * The sandbox Jenkins: a REST subset for triggering parameterized builds and following them.
 */
export { startJenkinsServer } from './JenkinsServer';
export type {
  HeldJenkinsResponse,
  JenkinsServer,
  JenkinsServerOptions,
} from './JenkinsServer';
export {
  DEFAULT_JENKINS_OUTCOME,
  JenkinsState,
  JenkinsStateError,
  normalizeJobName,
} from './JenkinsState';
export type {
  BuildRecord,
  BuildView,
  JenkinsOutcome,
  JenkinsResult,
  QueueItemRecord,
} from './JenkinsState';
