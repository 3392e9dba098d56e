export type {
  JenkinsBuildState,
  JenkinsParameterNames,
  JenkinsProvider,
  JenkinsTriggerOptions,
} from './JenkinsProvider';
export { DEFAULT_JENKINS_PARAMETER_NAMES } from './JenkinsProvider';
export {
  JenkinsRestProvider,
  createJenkinsProvider,
  jobPath,
  readJenkinsParameterNames,
} from './JenkinsRestProvider';
export type { JenkinsRestProviderOptions } from './JenkinsRestProvider';
