/** Rollout state of a workload in one environment. */
export type RolloutState =
  /** Every replica runs the newest template and is ready. */
  | 'complete'
  /** A rollout is in progress (updated or ready replicas behind the desired count). */
  | 'progressing'
  /** Scaled to zero on purpose. */
  | 'scaled-down'
  /** The workload is not present in the environment. */
  | 'missing';

/** A version of a service: the image tag and the commit it was built from. */
export interface DeployedVersion {
  /** Full container image reference. */
  image: string;
  /** Tag of the image (the part after the last `:`), when it has one. */
  imageTag?: string;
  /** Full commit sha, when the workload records it. */
  commitSha?: string;
}

/** The state of a service in one configured environment. */
export interface EnvironmentStatus {
  /** Environment name from `delivery.environments` (uat, canary, production). */
  environment: string;
  /** Cluster name from `kubernetes.clusterLocatorMethods`. */
  cluster: string;
  namespace: string;
  /** Name of the Kubernetes Deployment, when found. */
  workload?: string;
  version?: DeployedVersion;
  replicas: {
    desired: number;
    ready: number;
    updated: number;
    available: number;
  };
  rollout: RolloutState;
  /** `deployment.kubernetes.io/revision` of the Deployment. */
  revision?: string;
  /** ISO time the running version was deployed, when known. */
  deployedAt?: string;
  /** The recorded stable version, or `unknown` when no stable version is recorded. */
  stable: StableVersion | { state: 'unknown' };
}

/** The stable version recorded for a service in one environment. */
export interface StableVersion {
  state: 'recorded';
  commitSha?: string;
  image?: string;
  version?: string;
  markedAt?: string;
  markedBy?: string;
}

/** Combined CI state of a commit, GitHub's vocabulary. */
export type CiState = 'success' | 'failure' | 'pending' | 'none';

/** One CI check of a commit (a check run or a commit status context). */
export interface CiCheck {
  name: string;
  state: CiState;
  url?: string;
}

/** A commit on the default branch with its CI state. */
export interface CommitSummary {
  sha: string;
  shortSha: string;
  message: string;
  author: { name: string; login?: string; avatarUrl?: string };
  committedAt: string;
  url: string;
  ci: { state: CiState; checks: CiCheck[] };
}

/** Response of `GET /entities/{namespace}/{kind}/{name}/environments`. */
export interface EnvironmentsResponse {
  entityRef: string;
  environments: EnvironmentStatus[];
}

/** Response of `GET /entities/{namespace}/{kind}/{name}/commits`. */
export interface CommitsResponse {
  entityRef: string;
  repository: { slug: string; defaultBranch: string; url: string };
  commits: CommitSummary[];
}
