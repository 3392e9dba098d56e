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
  GitHubStateChange,
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
export {
  WebhookSender,
  deploymentStatusPayload,
  deterministicDeliveryId,
  issuesPayload,
  pushPayload,
  signWebhookBody,
} from './webhooks.ts';
export type {
  PushCommit,
  WebhookDelivery,
  WebhookSenderOptions,
  WebhookSenderStats,
} from './webhooks.ts';
export {
  DORA_HISTORY_REPOSITORIES,
  INCIDENT_LABEL,
  buildDoraHistory,
  doraHistoryDeliveries,
  isoWithOffset,
} from './doraHistory.ts';
export type {
  DoraHistoryAuthor,
  DoraHistoryCommit,
  DoraHistoryDelivery,
  DoraHistoryEvent,
  DoraHistoryOptions,
  DoraHistoryRenderer,
} from './doraHistory.ts';
