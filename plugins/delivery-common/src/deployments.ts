/**
 * The deployment queue and pipeline, as the backend API exposes them.
 *
 * A developer requests a deployment of a commit; it gets a token `DEP-<timestamp>-<seq>` and a
 * place in the service's FIFO queue. The head of the queue is *called* when nothing else is
 * running for the service and the queue is not locked; the requester must start it before the
 * call expires. Started, it runs the pipeline stage by stage.
 */

/** Where a deployment is in its life. */
export type DeploymentStatus =
  /** Waiting in the queue. */
  | 'queued'
  /** At the head of the queue and nothing is running: the requester may start it. */
  | 'called'
  /** The pipeline is running. */
  | 'running'
  /** Reached production and was marked stable. */
  | 'succeeded'
  /** A stage failed and its environment was returned to the backup version. */
  | 'rolled_back'
  /**
   * Stopped before it changed any environment (e.g. not eligible any more at validation), or a
   * rollback failed too (then it needs a human).
   */
  | 'failed'
  /** Cancelled by the requester (or an owner) before it finished. */
  | 'cancelled'
  /** Not started within the call window. */
  | 'expired';

/** Statuses after which nothing changes any more. */
export const TERMINAL_DEPLOYMENT_STATUSES: readonly DeploymentStatus[] = [
  'succeeded',
  'rolled_back',
  'failed',
  'cancelled',
  'expired',
];

/** What a stage does. */
export type StageKind =
  /** Checks eligibility again and that the token is still called. */
  | 'validate'
  /** Records the version running in an environment, to return to on failure. */
  | 'backup'
  /** Sets the new image and commit on the environment's Deployment. */
  | 'deploy'
  /** Waits until the rollout of the new version completes. */
  | 'rollout'
  /** Watches error rate and p95 latency for a health window. */
  | 'verify'
  /** Waits for an approval by someone other than the requester. */
  | 'approval'
  /** Runs a parameterized Jenkins build with the token and sha and waits for its result. */
  | 'jenkins'
  /** Returns the environment to its backup version after a failure. */
  | 'rollback'
  /** Records the version as stable (ConfigMap in each cluster and the database). */
  | 'mark-stable';

export type StageStatus =
  | 'pending'
  | 'running'
  | 'waiting'
  | 'succeeded'
  | 'failed'
  | 'skipped';

/** One line of a stage's log. */
export interface StageLogLine {
  at: string;
  level: 'info' | 'warn' | 'error';
  message: string;
}

/** One step of a deployment's pipeline. */
export interface DeploymentStage {
  /** Position in the pipeline, from 0. */
  position: number;
  /** Stable name, e.g. `canary.verify`. */
  name: string;
  kind: StageKind;
  /** Environment the stage acts on, when it acts on one. */
  environment?: string;
  status: StageStatus;
  startedAt?: string;
  finishedAt?: string;
  /** Entity ref of the user who did it, or `delivery` for the pipeline itself. */
  actor?: string;
  logs: StageLogLine[];
}

/** A requested deployment: its place in the queue, its pipeline and its outcome. */
export interface Deployment {
  token: string;
  entityRef: string;
  commitSha: string;
  /** Image the pipeline deploys. */
  image?: string;
  requestedBy: string;
  requestedAt: string;
  status: DeploymentStatus;
  /** 1 for the head of the queue; only for queued and called deployments. */
  queuePosition?: number;
  calledAt?: string;
  /** When a called deployment expires unless started. */
  callExpiresAt?: string;
  startedAt?: string;
  finishedAt?: string;
  /** Why it ended the way it did (failure reason, who cancelled, expiry). */
  reason?: string;
  approvals: Array<{
    approver: string;
    at: string;
    kind: 'request' | 'production';
  }>;
  stages: DeploymentStage[];
}

/** A reason a commit may not be deployed. */
export interface IneligibilityReason {
  code:
    | 'not-on-default-branch'
    | 'ci-not-green'
    | 'blocking-issue'
    | 'approval-required'
    | 'unknown-commit';
  message: string;
}

/** Whether a commit may be deployed now, and if not, every reason why. */
export interface Eligibility {
  commitSha: string;
  eligible: boolean;
  reasons: IneligibilityReason[];
}

/** A lock on a service's queue: no deployment is called while it holds. */
export interface QueueLock {
  lockedBy: string;
  reason: string;
  lockedAt: string;
}

/** Response of `GET /entities/{namespace}/{kind}/{name}/deployments`. */
export interface DeploymentsResponse {
  entityRef: string;
  /** Queued, called and running deployments, in queue order (running first). */
  queue: Deployment[];
  /** Finished deployments, newest first. */
  history: Deployment[];
  lock?: QueueLock;
}

/** Response of `POST /entities/{namespace}/{kind}/{name}/deployments`. */
export interface RequestDeploymentResponse {
  deployment: Deployment;
  queuePosition: number;
}

/** Signal channel on which the backend announces changes to a service's deployments. */
export function deliverySignalChannel(entityRef: string): string {
  return `delivery:${entityRef}`;
}

/** Payload of a delivery signal (a type alias, so it satisfies `useSignal`'s JSON constraint). */
export type DeliverySignal = {
  token: string;
  status: DeploymentStatus;
  /** Name of the stage that changed, when a stage changed. */
  stage?: string;
};
