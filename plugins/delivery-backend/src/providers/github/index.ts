export type {
  BlockingIssue,
  Commit,
  CommitPlacement,
  DeploymentState,
  GitHubProvider,
  RepositoryInfo,
} from './GitHubProvider';
export { OctokitGitHubProvider } from './OctokitGitHubProvider';
