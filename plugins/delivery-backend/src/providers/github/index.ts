export type {
  BlockingIssue,
  Commit,
  CommitPlacement,
  DeploymentState,
  GitHubProvider,
  RepositoryInfo,
} from './GitHubProvider';
export { OctokitGitHubProvider } from './OctokitGitHubProvider';
export { GitHubResponseCache } from './GitHubResponseCache';
export type { GitHubCacheStats } from './GitHubResponseCache';
export { readGitHubBudgetConfig } from './config';
export type { GitHubBudgetConfig } from './config';
