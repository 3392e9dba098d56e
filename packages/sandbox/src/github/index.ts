export { startGitHubServer } from './GitHubApiServer.ts';
export type { GitHubServer, GitHubServerOptions } from './GitHubApiServer.ts';
export { GitHubState, GitHubStateNotFoundError } from './GitHubState.ts';
export type {
  AddCommitOptions,
  CheckRunConclusion,
  CheckRunRecord,
  CheckRunStatus,
  CommitRecord,
  CommitStatusRecord,
  CommitStatusState,
  CompareResult,
  DeploymentRecord,
  DeploymentStatusRecord,
  DeploymentStatusState,
  GitHubStateOptions,
  IssueRecord,
  OpenIssueOptions,
  PullRecord,
  RepositoryState,
} from './GitHubState.ts';
export type {
  GitHubCallCounts,
  GitHubRouteCalls,
  RateLimitWindow,
} from './budget.ts';
