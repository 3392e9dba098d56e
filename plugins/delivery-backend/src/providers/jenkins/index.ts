export type { JenkinsBuildState, JenkinsProvider } from './JenkinsProvider';
export {
  JenkinsRestProvider,
  createJenkinsProvider,
  jobPath,
} from './JenkinsRestProvider';
export type { JenkinsRestProviderOptions } from './JenkinsRestProvider';
