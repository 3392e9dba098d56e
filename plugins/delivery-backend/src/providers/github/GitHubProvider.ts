import { CiCheck, RepositoryInfo } from '@internal/plugin-delivery-common';

export type { RepositoryInfo };

/** A commit as the delivery plugins need it. */
export interface Commit {
  sha: string;
  message: string;
  authorName: string;
  authorLogin?: string;
  avatarUrl?: string;
  /** ISO time it was committed. */
  date: string;
  url: string;
}

/** An open issue that blocks deployments. */
export interface BlockingIssue {
  number: number;
  title: string;
  url: string;
}

/** Where a commit is relative to a branch. */
export interface CommitPlacement {
  exists: boolean;
  /** Reachable from the head of the branch. */
  onBranch: boolean;
}

/** A state of a GitHub deployment. */
export type DeploymentState =
  | 'in_progress'
  | 'success'
  | 'failure'
  | 'error'
  | 'inactive';

/**
 * What the delivery plugins read from and record in a service's repository. Failures are
 * `UpstreamError`s naming GitHub (502/503) or `NotFoundError`s.
 */
export interface GitHubProvider {
  getRepository(slug: string): Promise<RepositoryInfo>;
  /** The newest commits of a branch, newest first. */
  listCommits(slug: string, branch: string, limit: number): Promise<Commit[]>;
  /** The full message of a commit (subject, body and trailers). */
  getCommitMessage(slug: string, sha: string): Promise<string>;
  /**
   * The commits `head` brings since `base` (base excluded, oldest first, at most 250 as GitHub's
   * compare gives), with their author times; only `head` when there is no base.
   */
  commitsBetween(
    slug: string,
    base: string | undefined,
    head: string,
  ): Promise<Array<{ sha: string; committedAt: number }>>;
  /** Every CI result of a commit: check runs and commit statuses. */
  getCiChecks(slug: string, sha: string): Promise<CiCheck[]>;
  commitOnBranch(
    slug: string,
    branch: string,
    sha: string,
  ): Promise<CommitPlacement>;
  /** Open issues (not pull requests) that carry `label`. */
  listOpenIssuesWithLabel(
    slug: string,
    label: string,
  ): Promise<BlockingIssue[]>;
  /** Records a deployment of `sha` to `environment`; returns its id. */
  createDeployment(
    slug: string,
    input: {
      sha: string;
      environment: string;
      description: string;
      payload: Record<string, string>;
      productionEnvironment: boolean;
    },
  ): Promise<number>;
  /** The deployment of `sha` to `environment` whose payload carries `token`, if any. */
  findDeployment(
    slug: string,
    input: { sha: string; environment: string; token: string },
  ): Promise<number | undefined>;
  createDeploymentStatus(
    slug: string,
    deploymentId: number,
    input: { state: DeploymentState; description: string; logUrl?: string },
  ): Promise<void>;
}
