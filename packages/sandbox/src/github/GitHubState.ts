/*
 * Mutable in-memory model of a few GitHub repositories, built from the sandbox seed. The HTTP
 * layer (GitHubApiServer) renders it in GitHub's REST shapes; tests and the demo drive it through
 * the sandbox-only helpers (addCommit, setCheck, openIssue, closeIssue, ...).
 */
import { createHash } from 'node:crypto';
import type { SeedCheck, SeedRepository } from '../seed.ts';

export type CheckRunStatus = 'queued' | 'in_progress' | 'completed';
export type CheckRunConclusion =
  | 'success'
  | 'failure'
  | 'neutral'
  | 'cancelled'
  | 'skipped'
  | 'timed_out'
  | 'action_required'
  | null;
export type CommitStatusState = 'error' | 'failure' | 'pending' | 'success';
export type DeploymentStatusState =
  | 'error'
  | 'failure'
  | 'inactive'
  | 'in_progress'
  | 'queued'
  | 'pending'
  | 'success';

export const COMMIT_STATUS_STATES: readonly CommitStatusState[] = [
  'error',
  'failure',
  'pending',
  'success',
];
export const DEPLOYMENT_STATUS_STATES: readonly DeploymentStatusState[] = [
  'error',
  'failure',
  'inactive',
  'in_progress',
  'queued',
  'pending',
  'success',
];

export interface CommitRecord {
  sha: string;
  message: string;
  authorName: string;
  authorEmail: string;
  /**
   * The GitHub account the author email belongs to; null when it matches none (a commit pushed
   * over git by someone GitHub does not know: the REST API then shows `author: null`).
   */
  authorLogin: string | null;
  /** ISO timestamp (author and committer date). */
  date: string;
  /** Parent shas, first parent = main line. */
  parents: string[];
}

export interface CheckRunRecord {
  id: number;
  name: string;
  headSha: string;
  status: CheckRunStatus;
  conclusion: CheckRunConclusion;
  startedAt: string;
  completedAt: string | null;
}

export interface CommitStatusRecord {
  id: number;
  sha: string;
  context: string;
  state: CommitStatusState;
  description: string | null;
  targetUrl: string | null;
  creatorLogin: string;
  createdAt: string;
  updatedAt: string;
}

export interface IssueRecord {
  id: number;
  number: number;
  title: string;
  body: string | null;
  labels: string[];
  state: 'open' | 'closed';
  stateReason: 'completed' | 'not_planned' | 'reopened' | null;
  authorLogin: string;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
}

export interface PullRecord {
  id: number;
  number: number;
  title: string;
  body: string | null;
  /** Head branch name (in the same repository). */
  head: string;
  /** Base branch name. */
  base: string;
  state: 'open' | 'closed';
  authorLogin: string;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  /** Set when merged: when, the commit the merge made on the base, and who merged it. */
  mergedAt?: string | null;
  mergeCommitSha?: string | null;
  mergedBy?: string | null;
  /** The head commit when merged (the branch may move or go later). */
  mergedHeadSha?: string | null;
}

export interface DeploymentRecord {
  id: number;
  sha: string;
  ref: string;
  task: string;
  environment: string;
  originalEnvironment: string;
  description: string | null;
  payload: unknown;
  creatorLogin: string;
  transientEnvironment: boolean;
  productionEnvironment: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface DeploymentStatusRecord {
  id: number;
  deploymentId: number;
  state: DeploymentStatusState;
  description: string;
  environment: string;
  logUrl: string;
  environmentUrl: string;
  creatorLogin: string;
  createdAt: string;
  updatedAt: string;
}

export interface LabelRecord {
  id: number;
  name: string;
  color: string;
  description: string | null;
}

/** What a repository's settings say (`POST /orgs/{org}/repos`, `PATCH /repos/{o}/{r}`). */
export interface RepositorySettings {
  private: boolean;
  visibility: 'public' | 'private' | 'internal';
  homepage: string | null;
  topics: string[];
  language: string | null;
  hasIssues: boolean;
  hasProjects: boolean;
  hasWiki: boolean;
  hasDiscussions: boolean;
  allowMergeCommit: boolean;
  allowSquashMerge: boolean;
  allowRebaseMerge: boolean;
  allowAutoMerge: boolean;
  allowUpdateBranch: boolean;
  deleteBranchOnMerge: boolean;
  squashMergeCommitTitle: string;
  squashMergeCommitMessage: string;
  mergeCommitTitle: string;
  mergeCommitMessage: string;
  archived: boolean;
  isTemplate: boolean;
}

/** Permissions a collaborator or team has on a repository. */
export type RepositoryPermission =
  | 'pull'
  | 'triage'
  | 'push'
  | 'maintain'
  | 'admin';

export const REPOSITORY_PERMISSIONS: readonly RepositoryPermission[] = [
  'pull',
  'triage',
  'push',
  'maintain',
  'admin',
];

/** The settings of a seeded repository (public, as the demo's were). */
export function defaultRepositorySettings(): RepositorySettings {
  return {
    private: false,
    visibility: 'public',
    homepage: null,
    topics: [],
    language: 'TypeScript',
    hasIssues: true,
    hasProjects: false,
    hasWiki: false,
    hasDiscussions: false,
    allowMergeCommit: true,
    allowSquashMerge: true,
    allowRebaseMerge: true,
    allowAutoMerge: false,
    allowUpdateBranch: false,
    deleteBranchOnMerge: false,
    squashMergeCommitTitle: 'COMMIT_OR_PR_TITLE',
    squashMergeCommitMessage: 'COMMIT_MESSAGES',
    mergeCommitTitle: 'MERGE_MESSAGE',
    mergeCommitMessage: 'PR_TITLE',
    archived: false,
    isTemplate: false,
  };
}

export interface RepositoryState {
  id: number;
  owner: string;
  name: string;
  description: string;
  defaultBranch: string;
  createdAt: string;
  pushedAt: string;
  /** Branch name → head sha. */
  branches: Map<string, string>;
  /** Every commit, by full sha. */
  commits: Map<string, CommitRecord>;
  checkRuns: CheckRunRecord[];
  statuses: CommitStatusRecord[];
  /** Issues and pull requests share GitHub's numbering; both live here, keyed by number. */
  issues: Map<number, IssueRecord>;
  pulls: Map<number, PullRecord>;
  labels: Map<string, LabelRecord>;
  deployments: Map<number, DeploymentRecord>;
  deploymentStatuses: DeploymentStatusRecord[];
  settings: RepositorySettings;
  /** Login → permission of the collaborators added through the API. */
  collaborators: Map<string, RepositoryPermission>;
  /** Team slug → permission of the teams given access through the API. */
  teams: Map<string, RepositoryPermission>;
  /** Branch → its protection, as `PUT .../branches/{b}/protection` set it (request body). */
  protections: Map<string, Record<string, unknown>>;
  /**
   * Created through the API (`POST /orgs/{org}/repos`, `POST /user/repos`): it has a bare git
   * repository served over smart HTTP, its commits come from pushes, and CI runs on them.
   * Seeded repositories have none (their commits exist only in this model).
   */
  git: boolean;
}

export interface CompareResult {
  status: 'identical' | 'ahead' | 'behind' | 'diverged';
  aheadBy: number;
  behindBy: number;
  /** Commits reachable from head but not from base, oldest first. */
  commits: CommitRecord[];
  baseCommit: CommitRecord;
  headCommit: CommitRecord;
  mergeBaseCommit: CommitRecord | undefined;
}

export interface AddCommitOptions {
  message: string;
  /** The commit's sha (seeded commits); by default derived from its content. */
  sha?: string;
  /** CI results to record (check runs and commit statuses with the same name). */
  checks?: SeedCheck[];
  /** Author login (null: an author GitHub does not know); defaults to the branch head's. */
  authorLogin?: string | null;
  authorName?: string;
  authorEmail?: string;
  /** Commit date; defaults to now (never before the parent). */
  date?: string;
}

export interface OpenIssueOptions {
  title: string;
  body?: string | null;
  labels?: string[];
  authorLogin?: string;
}

export interface CreateDeploymentInput {
  ref: string;
  sha: string;
  task?: string;
  environment?: string;
  description?: string | null;
  payload?: unknown;
  creatorLogin?: string;
  transientEnvironment?: boolean;
  productionEnvironment?: boolean;
}

export interface CreateDeploymentStatusInput {
  state: DeploymentStatusState;
  description?: string;
  environment?: string;
  logUrl?: string;
  environmentUrl?: string;
  creatorLogin?: string;
  /** Mark earlier successful deployments in the same environment inactive (GitHub's default). */
  autoInactive?: boolean;
}

/** What every change may carry besides its own fields. */
interface ChangeBase {
  repo: RepositoryState;
  /** When it happened (ISO); now by default. Seeded changes give theirs, for stable payloads. */
  at?: string;
  /** The delivery id to send it under (seeded changes: the same on every start). */
  deliveryId?: string;
}

/** A branch created or deleted. */
type RefChange<K extends 'create' | 'delete'> = ChangeBase & {
  kind: K;
  branch: string;
  /** The branch head (when created, or when deleted). */
  sha: string;
  /** Who created or deleted it (login). */
  sender: string;
};

/**
 * A change GitHub would send a webhook for: a branch created (`create`) or deleted (`delete`),
 * commits added to a branch or a branch created, moved or deleted (`push`), an issue opened,
 * closed, reopened, edited or (un)labelled (`issues`), a pull request merged (`pull_request`),
 * a deployment status created (`deployment_status`). Pull requests are not issues here.
 */
export type GitHubStateChange =
  | (ChangeBase & {
      kind: 'push';
      branch: string;
      /** The branch head before (undefined when the push created the branch). */
      before: string | undefined;
      /** The branch head after (40 zeros when the push deleted the branch). */
      after: string;
      /** The commits pushed, oldest first (new to the branch; none for a create or delete). */
      commits: CommitRecord[];
      created?: boolean;
      deleted?: boolean;
      /** The branch moved to a commit that does not descend from where it was. */
      forced?: boolean;
      /** `refs/heads/<b>` when a created branch starts at another branch's head. */
      baseRef?: string;
      /** Who pushed (login); by default the author of the head commit. */
      pusher?: string;
    })
  | RefChange<'create'>
  | RefChange<'delete'>
  | (ChangeBase & {
      kind: 'pull_request';
      pull: PullRecord;
      action: 'closed';
      sender: string;
    })
  | (ChangeBase & {
      kind: 'issue';
      issue: IssueRecord;
      action:
        | 'opened'
        | 'closed'
        | 'reopened'
        | 'edited'
        | 'labeled'
        | 'unlabeled';
      /** The label added or removed. */
      label?: string;
      /** What `edited` changed: the previous values. */
      changes?: { title?: { from: string }; body?: { from: string | null } };
    })
  | (ChangeBase & {
      kind: 'deployment_status';
      deployment: DeploymentRecord;
      status: DeploymentStatusRecord;
    });

/** Why a branch could not be moved or deleted (the git refs API answers 422 with it). */
export class GitHubStateRefError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RefError';
  }
}

/** The sha of a deleted ref, as push payloads give it. */
export const NULL_SHA = '0'.repeat(40);

export interface GitHubStateOptions {
  /** Clock for timestamps of new objects; defaults to `Date.now`. */
  now?: () => number;
  /** Login recorded as creator of objects made through the API. */
  viewerLogin?: string;
  /**
   * Logins that are organizations (`GET /users/{login}` says `Organization`, repositories can be
   * created with `POST /orgs/{org}/repos`); defaults to the owners of the seeded repositories.
   */
  organizations?: string[];
}

/** A ref update a `git push` made: `sha` null when the branch was deleted. */
export interface PushedRef {
  branch: string;
  sha: string | null;
}

const KNOWN_LABEL_COLORS: Record<string, string> = {
  bug: 'd73a4a',
  documentation: '0075ca',
  enhancement: 'a2eeef',
  'deploy-blocker': 'b60205',
  'good first issue': '7057ff',
  'help wanted': '008672',
  question: 'd876e3',
};

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

function labelColor(name: string): string {
  return KNOWN_LABEL_COLORS[name] ?? sha1(`label:${name}`).slice(0, 6);
}

function key(owner: string, repo: string): string {
  return `${owner.toLowerCase()}/${repo.toLowerCase()}`;
}

function checkToRun(state: SeedCheck['state']): {
  status: CheckRunStatus;
  conclusion: CheckRunConclusion;
} {
  if (state === 'pending') return { status: 'in_progress', conclusion: null };
  return { status: 'completed', conclusion: state };
}

function addMinutes(iso: string, minutes: number): string {
  return new Date(Date.parse(iso) + minutes * 60_000).toISOString();
}

/** Thrown when something to be created exists already (a repository). */
export class GitHubStateConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConflictError';
  }
}

/** Thrown by the helpers when an owner/repo, ref or number does not exist. */
export class GitHubStateNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

export class GitHubState {
  private readonly repos = new Map<string, RepositoryState>();
  private readonly userIds = new Map<string, number>();
  private readonly counters = new Map<string, number>();
  private readonly clock: () => number;
  private commitCounter = 0;
  private readonly listeners = new Set<(change: GitHubStateChange) => void>();
  private readonly organizations: Set<string>;
  readonly viewerLogin: string;

  constructor(
    repositories: SeedRepository[],
    options: GitHubStateOptions = {},
  ) {
    this.clock = options.now ?? Date.now;
    this.viewerLogin = options.viewerLogin ?? 'sandbox-bot';
    this.organizations = new Set(
      (options.organizations ?? repositories.map(r => r.owner)).map(o =>
        o.toLowerCase(),
      ),
    );
    this.userId(this.viewerLogin);
    for (const seed of repositories) this.addRepository(seed);
  }

  /** Whether `login` is an organization. */
  isOrganization(login: string): boolean {
    return this.organizations.has(login.toLowerCase());
  }

  /** What `GET /users/{login}` says the account is; undefined when there is none. */
  accountType(login: string): 'Organization' | 'User' | 'Bot' | undefined {
    if (this.isOrganization(login)) return 'Organization';
    if (!this.hasUser(login)) return undefined;
    return login.toLowerCase().endsWith('-bot') ? 'Bot' : 'User';
  }

  /**
   * The login a commit author email belongs to, as GitHub maps them: the email of a known
   * author, or `<login>@users.noreply.sandbox.local` of a known user; else null.
   */
  loginForEmail(email: string): string | null {
    const lower = email.toLowerCase();
    for (const repo of this.repos.values()) {
      for (const c of repo.commits.values()) {
        if (c.authorLogin && c.authorEmail.toLowerCase() === lower) {
          return c.authorLogin;
        }
      }
    }
    const noreply = /^(?:\d+\+)?([^@]+)@users\.noreply\.sandbox\.local$/.exec(
      lower,
    );
    if (noreply && this.hasUser(noreply[1])) {
      return this.accountLogin(noreply[1]);
    }
    return null;
  }

  /** A known login as first spelled. */
  private accountLogin(login: string): string {
    for (const repo of this.repos.values()) {
      for (const c of repo.commits.values()) {
        if (c.authorLogin?.toLowerCase() === login.toLowerCase()) {
          return c.authorLogin;
        }
      }
    }
    return login;
  }

  /**
   * Calls `listener` with every change GitHub would send a webhook for, as it happens (the
   * records are live: render them at once). Returns the unsubscribe function.
   */
  onChange(listener: (change: GitHubStateChange) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private emit(change: GitHubStateChange) {
    for (const listener of this.listeners) listener(change);
  }

  /** Next id of a kind ("repo", "check_run", "status", ...); ids start high, like GitHub's. */
  nextId(kind: string): number {
    const starts: Record<string, number> = {
      repo: 100_001,
      check_run: 2_000_001,
      status: 3_000_001,
      issue: 4_000_001,
      pull: 5_000_001,
      deployment: 6_000_001,
      deployment_status: 7_000_001,
      label: 8_000_001,
      invitation: 10_000_001,
    };
    const next = this.counters.get(kind) ?? starts[kind] ?? 1;
    this.counters.set(kind, next + 1);
    return next;
  }

  /** Stable numeric id for a user login. */
  userId(login: string): number {
    let id = this.userIds.get(login.toLowerCase());
    if (id === undefined) {
      id = 1001 + this.userIds.size;
      this.userIds.set(login.toLowerCase(), id);
    }
    return id;
  }

  /** Whether a login appears anywhere in the data (authors, creators). */
  hasUser(login: string): boolean {
    return this.userIds.has(login.toLowerCase());
  }

  nowIso(): string {
    return new Date(this.clock()).toISOString();
  }

  addRepository(seed: SeedRepository): RepositoryState {
    if (this.repos.has(key(seed.owner, seed.name))) {
      throw new Error(`Repository ${seed.owner}/${seed.name} already exists`);
    }
    const commits = new Map<string, CommitRecord>();
    const firstDate = seed.commits[0]?.date ?? this.nowIso();
    const repo: RepositoryState = {
      id: this.nextId('repo'),
      owner: seed.owner,
      name: seed.name,
      description: seed.description,
      defaultBranch: seed.defaultBranch,
      createdAt: addMinutes(firstDate, -60),
      pushedAt: firstDate,
      branches: new Map(Object.entries(seed.branches)),
      commits,
      checkRuns: [],
      statuses: [],
      issues: new Map(),
      pulls: new Map(),
      labels: new Map(),
      deployments: new Map(),
      deploymentStatuses: [],
      settings: defaultRepositorySettings(),
      collaborators: new Map(),
      teams: new Map(),
      protections: new Map(),
      git: false,
    };
    this.repos.set(key(seed.owner, seed.name), repo);
    for (const c of seed.commits) {
      commits.set(c.sha, {
        sha: c.sha,
        message: c.message,
        authorName: c.authorName,
        authorEmail: c.authorEmail,
        authorLogin: c.authorLogin,
        date: c.date,
        parents: [...c.parents],
      });
      this.userId(c.authorLogin);
      if (c.date > repo.pushedAt) repo.pushedAt = c.date;
      for (const check of c.checks) {
        this.recordCheck(repo, c.sha, check.name, check.state, c.date);
      }
    }
    for (const issue of seed.issues) {
      for (const label of issue.labels) this.ensureLabel(repo, label);
      repo.issues.set(issue.number, {
        id: this.nextId('issue'),
        number: issue.number,
        title: issue.title,
        body: issue.body,
        labels: [...issue.labels],
        state: issue.state,
        stateReason: issue.state === 'closed' ? 'completed' : null,
        authorLogin: issue.authorLogin,
        createdAt: issue.createdAt,
        updatedAt: issue.createdAt,
        closedAt: issue.state === 'closed' ? issue.createdAt : null,
      });
    }
    for (const pull of seed.pulls) {
      repo.pulls.set(pull.number, {
        id: this.nextId('pull'),
        number: pull.number,
        title: pull.title,
        body: null,
        head: pull.head,
        base: pull.base,
        state: pull.state,
        authorLogin: pull.authorLogin,
        createdAt: pull.createdAt,
        updatedAt: pull.createdAt,
        closedAt: pull.state === 'closed' ? pull.createdAt : null,
      });
    }
    return repo;
  }

  /**
   * Creates an empty repository, as `POST /orgs/{org}/repos` does: no commits and no branches
   * until the first push (`defaultBranch` is what it will be). `git` marks it as backed by a
   * bare git repository. Throws `GitHubStateConflictError` when `owner/name` exists.
   */
  createRepository(
    owner: string,
    name: string,
    options: {
      description?: string | null;
      defaultBranch?: string;
      settings?: Partial<RepositorySettings>;
      git?: boolean;
    } = {},
  ): RepositoryState {
    if (this.repos.has(key(owner, name))) {
      throw new GitHubStateConflictError(
        `Repository ${owner}/${name} already exists`,
      );
    }
    const now = this.nowIso();
    const repo: RepositoryState = {
      id: this.nextId('repo'),
      owner,
      name,
      description: options.description ?? '',
      defaultBranch: options.defaultBranch ?? 'main',
      createdAt: now,
      pushedAt: now,
      branches: new Map(),
      commits: new Map(),
      checkRuns: [],
      statuses: [],
      issues: new Map(),
      pulls: new Map(),
      labels: new Map(),
      deployments: new Map(),
      deploymentStatuses: [],
      settings: {
        ...defaultRepositorySettings(),
        language: null,
        ...options.settings,
      },
      collaborators: new Map(),
      teams: new Map(),
      protections: new Map(),
      git: options.git ?? false,
    };
    this.repos.set(key(owner, name), repo);
    this.userId(owner);
    return repo;
  }

  /** Deletes a repository (`DELETE /repos/{o}/{r}`); false when there was none. */
  deleteRepository(owner: string, name: string): boolean {
    return this.repos.delete(key(owner, name));
  }

  /**
   * Records what a `git push` did: the commits it brought (in any order; those already known are
   * skipped) and the branches it created, moved or deleted, with the changes GitHub sends
   * webhooks for: `create` and a `push` with `created` for a new branch (its commits those new to
   * the repository), a `push` with the new commits for a moved one (`forced` when it does not
   * fast-forward), `delete` and a `push` with `deleted` for a deleted one. `pusher` is the login
   * the credentials belong to. The first branch pushed to an empty repository becomes its
   * default branch when the default branch was not pushed. Returns the updated branch heads.
   */
  recordPush(
    owner: string,
    repoName: string,
    push: { commits: CommitRecord[]; refs: PushedRef[]; pusher: string },
  ): Array<{ branch: string; sha: string }> {
    const repo = this.requireRepository(owner, repoName);
    const added = new Set<string>();
    for (const c of push.commits) {
      if (repo.commits.has(c.sha)) continue;
      repo.commits.set(c.sha, { ...c, parents: [...c.parents] });
      added.add(c.sha);
      if (c.authorLogin) this.userId(c.authorLogin);
    }
    const wasEmpty = repo.branches.size === 0;
    const heads: Array<{ branch: string; sha: string }> = [];
    this.userId(push.pusher);
    for (const { branch, sha } of push.refs) {
      const before = repo.branches.get(branch);
      if (sha === null) {
        if (before === undefined) continue;
        repo.branches.delete(branch);
        this.emitBranchDeleted(repo, branch, before, push.pusher);
        continue;
      }
      if (before === sha) continue;
      if (!repo.commits.has(sha)) {
        throw new GitHubStateNotFoundError(`No commit found for ${sha}`);
      }
      heads.push({ branch, sha });
      const head = repo.commits.get(sha)!;
      if (head.date > repo.pushedAt) repo.pushedAt = head.date;
      if (before === undefined) {
        const baseBranch = this.branchAt(repo, sha, branch);
        repo.branches.set(branch, sha);
        this.emit({
          kind: 'create',
          repo,
          branch,
          sha,
          sender: push.pusher,
        });
        this.emit({
          kind: 'push',
          repo,
          branch,
          before: undefined,
          after: sha,
          commits: this.history(repo, sha)
            .filter(c => added.has(c.sha))
            .reverse(),
          created: true,
          ...(baseBranch ? { baseRef: `refs/heads/${baseBranch}` } : {}),
          pusher: push.pusher,
        });
        continue;
      }
      const fastForward = this.isAncestor(repo, before, sha);
      const old = this.ancestors(repo, before);
      repo.branches.set(branch, sha);
      this.emit({
        kind: 'push',
        repo,
        branch,
        before,
        after: sha,
        commits: this.history(repo, sha)
          .filter(c => !old.has(c.sha))
          .reverse(),
        ...(fastForward ? {} : { forced: true }),
        pusher: push.pusher,
      });
    }
    if (
      wasEmpty &&
      heads.length > 0 &&
      !repo.branches.has(repo.defaultBranch)
    ) {
      repo.defaultBranch = heads[0].branch;
    }
    return heads;
  }

  listRepositories(): RepositoryState[] {
    return [...this.repos.values()];
  }

  /** Repository by owner and name (case-insensitive, like GitHub). */
  getRepository(owner: string, repo: string): RepositoryState | undefined {
    return this.repos.get(key(owner, repo));
  }

  private requireRepository(owner: string, repo: string): RepositoryState {
    const found = this.getRepository(owner, repo);
    if (!found) {
      throw new GitHubStateNotFoundError(
        `Repository ${owner}/${repo} not found`,
      );
    }
    return found;
  }

  ensureLabel(repo: RepositoryState, name: string): LabelRecord {
    let label = repo.labels.get(name.toLowerCase());
    if (!label) {
      label = {
        id: this.nextId('label'),
        name,
        color: labelColor(name.toLowerCase()),
        description: null,
      };
      repo.labels.set(name.toLowerCase(), label);
    }
    return label;
  }

  /**
   * Resolves a ref to a full sha: a branch name (also `refs/heads/x` or `heads/x`), a full sha,
   * or an unambiguous abbreviated sha of at least 7 hex characters.
   */
  resolveRef(repo: RepositoryState, ref: string): string | undefined {
    const branch =
      repo.branches.get(ref) ??
      repo.branches.get(ref.replace(/^refs\/heads\//, '')) ??
      repo.branches.get(ref.replace(/^heads\//, ''));
    if (branch) return branch;
    const lower = ref.toLowerCase();
    if (!/^[0-9a-f]{7,40}$/.test(lower)) return undefined;
    if (repo.commits.has(lower)) return lower;
    let match: string | undefined;
    for (const sha of repo.commits.keys()) {
      if (sha.startsWith(lower)) {
        if (match) return undefined; // ambiguous
        match = sha;
      }
    }
    return match;
  }

  getCommit(repo: RepositoryState, ref: string): CommitRecord | undefined {
    const sha = this.resolveRef(repo, ref);
    return sha ? repo.commits.get(sha) : undefined;
  }

  /**
   * Commits reachable from `sha`, newest first, like `git log`: a walk from the ref that always
   * continues with the newest pending commit (on a linear history that is the first-parent chain).
   */
  history(repo: RepositoryState, sha: string): CommitRecord[] {
    const out: CommitRecord[] = [];
    const seen = new Set<string>();
    const queue: CommitRecord[] = [];
    const push = (s: string) => {
      if (seen.has(s)) return;
      seen.add(s);
      const c = repo.commits.get(s);
      if (c) queue.push(c);
    };
    push(sha);
    while (queue.length > 0) {
      // Newest first; ties keep insertion order (first parent before later parents).
      let best = 0;
      for (let i = 1; i < queue.length; i++) {
        if (queue[i].date > queue[best].date) best = i;
      }
      const [commit] = queue.splice(best, 1);
      out.push(commit);
      for (const p of commit.parents) push(p);
    }
    return out;
  }

  private ancestors(repo: RepositoryState, sha: string): Set<string> {
    const set = new Set<string>();
    const stack = [sha];
    while (stack.length > 0) {
      const s = stack.pop()!;
      if (set.has(s)) continue;
      const c = repo.commits.get(s);
      if (!c) continue;
      set.add(s);
      stack.push(...c.parents);
    }
    return set;
  }

  /** `git merge-base` plus ahead/behind counts of `head` relative to `base`. */
  compare(
    repo: RepositoryState,
    baseSha: string,
    headSha: string,
  ): CompareResult {
    const baseCommit = repo.commits.get(baseSha);
    const headCommit = repo.commits.get(headSha);
    if (!baseCommit || !headCommit) {
      throw new GitHubStateNotFoundError('Commit not found');
    }
    const baseSet = this.ancestors(repo, baseSha);
    const headSet = this.ancestors(repo, headSha);
    const headHistory = this.history(repo, headSha);
    const ahead = headHistory.filter(c => !baseSet.has(c.sha));
    const behindBy = [...baseSet].filter(s => !headSet.has(s)).length;
    // The best common ancestor: a common ancestor that no other common ancestor descends from.
    const common = headHistory.filter(c => baseSet.has(c.sha));
    let mergeBase: CommitRecord | undefined;
    for (const candidate of common) {
      const dominated = common.some(
        other =>
          other.sha !== candidate.sha &&
          this.ancestors(repo, other.sha).has(candidate.sha),
      );
      if (!dominated) {
        mergeBase = candidate;
        break;
      }
    }
    let status: CompareResult['status'];
    if (ahead.length === 0 && behindBy === 0) status = 'identical';
    else if (behindBy === 0) status = 'ahead';
    else if (ahead.length === 0) status = 'behind';
    else status = 'diverged';
    return {
      status,
      aheadBy: ahead.length,
      behindBy,
      commits: ahead.reverse(),
      baseCommit,
      headCommit,
      mergeBaseCommit: mergeBase,
    };
  }

  private recordCheck(
    repo: RepositoryState,
    sha: string,
    name: string,
    state: SeedCheck['state'],
    commitDate: string,
  ) {
    const { status, conclusion } = checkToRun(state);
    const startedAt = addMinutes(commitDate, 1);
    repo.checkRuns.push({
      id: this.nextId('check_run'),
      name,
      headSha: sha,
      status,
      conclusion,
      startedAt,
      completedAt: status === 'completed' ? addMinutes(commitDate, 6) : null,
    });
    const createdAt =
      status === 'completed' ? addMinutes(commitDate, 6) : startedAt;
    repo.statuses.push({
      id: this.nextId('status'),
      sha,
      context: name,
      state,
      description: statusDescription(name, state),
      targetUrl: null,
      creatorLogin: 'ci-bot',
      createdAt,
      updatedAt: createdAt,
    });
  }

  /** Check runs of a commit (the latest run per name first by id, newest first). */
  checkRunsFor(repo: RepositoryState, sha: string): CheckRunRecord[] {
    return repo.checkRuns
      .filter(r => r.headSha === sha)
      .sort((a, b) => b.id - a.id);
  }

  /** Commit statuses of a commit, newest first. */
  statusesFor(repo: RepositoryState, sha: string): CommitStatusRecord[] {
    return repo.statuses.filter(s => s.sha === sha).sort((a, b) => b.id - a.id);
  }

  /** The latest status per context, newest first. */
  latestStatusesFor(repo: RepositoryState, sha: string): CommitStatusRecord[] {
    const seen = new Set<string>();
    return this.statusesFor(repo, sha).filter(s => {
      if (seen.has(s.context)) return false;
      seen.add(s.context);
      return true;
    });
  }

  /** GitHub's combined state: failure if any error/failure, pending if any pending or none. */
  combinedState(
    repo: RepositoryState,
    sha: string,
  ): 'success' | 'failure' | 'pending' {
    const latest = this.latestStatusesFor(repo, sha);
    if (latest.some(s => s.state === 'error' || s.state === 'failure'))
      return 'failure';
    if (latest.length === 0 || latest.some(s => s.state === 'pending'))
      return 'pending';
    return 'success';
  }

  addStatus(
    repo: RepositoryState,
    sha: string,
    input: {
      state: CommitStatusState;
      context?: string;
      description?: string | null;
      targetUrl?: string | null;
      creatorLogin?: string;
    },
  ): CommitStatusRecord {
    const now = this.nowIso();
    const status: CommitStatusRecord = {
      id: this.nextId('status'),
      sha,
      context: input.context || 'default',
      state: input.state,
      description: input.description ?? null,
      targetUrl: input.targetUrl ?? null,
      creatorLogin: input.creatorLogin ?? this.viewerLogin,
      createdAt: now,
      updatedAt: now,
    };
    repo.statuses.push(status);
    return status;
  }

  // ---- sandbox-only helpers ---------------------------------------------------------------

  /**
   * Appends a commit on `branch` and moves the branch to it, as a `git commit` and `git push`
   * would: a `push` change with the commit. A branch that does not exist yet is created from the
   * default branch head by that push: a `create` change first, and the push has `created`.
   * Returns the new sha.
   */
  addCommit(
    owner: string,
    repoName: string,
    branch: string,
    options: AddCommitOptions,
  ): string {
    const repo = this.requireRepository(owner, repoName);
    const before = repo.branches.get(branch);
    const commit = this.recordCommit(
      repo,
      branch,
      before ?? repo.branches.get(repo.defaultBranch),
      options,
    );
    repo.branches.set(branch, commit.sha);
    if (before === undefined) {
      this.emit({
        kind: 'create',
        repo,
        branch,
        sha: commit.sha,
        sender: commit.authorLogin ?? this.viewerLogin,
      });
    }
    this.emit({
      kind: 'push',
      repo,
      branch,
      before,
      after: commit.sha,
      commits: [commit],
      ...(before === undefined ? { created: true } : {}),
    });
    return commit.sha;
  }

  /** Stores a new commit on top of `parentSha` (not moving any branch). */
  private recordCommit(
    repo: RepositoryState,
    branch: string,
    parentSha: string | undefined,
    options: AddCommitOptions,
  ): CommitRecord {
    const parent = parentSha ? repo.commits.get(parentSha) : undefined;
    const login =
      options.authorLogin === null
        ? null
        : options.authorLogin ?? parent?.authorLogin ?? this.viewerLogin;
    const knownAuthor = login
      ? [...repo.commits.values()].find(c => c.authorLogin === login)
      : undefined;
    let date = options.date ?? this.nowIso();
    if (parent && date <= parent.date) date = addMinutes(parent.date, 1);
    this.commitCounter += 1;
    const sha =
      options.sha ??
      sha1(
        `${repo.owner}/${repo.name}:${branch}:${parentSha ?? ''}:${
          options.message
        }:${date}:${this.commitCounter}`,
      );
    const commit: CommitRecord = {
      sha,
      message: options.message,
      authorName:
        options.authorName ?? knownAuthor?.authorName ?? login ?? 'unknown',
      authorEmail:
        options.authorEmail ??
        knownAuthor?.authorEmail ??
        `${login ?? 'unknown'}@users.noreply.sandbox.local`,
      authorLogin: login,
      date,
      parents: parentSha ? [parentSha] : [],
    };
    repo.commits.set(sha, commit);
    if (date > repo.pushedAt) repo.pushedAt = date;
    if (login) this.userId(login);
    for (const check of options.checks ?? []) {
      this.recordCheck(repo, sha, check.name, check.state, date);
    }
    return commit;
  }

  /**
   * A push of ready-made commits (the seed's): `branch` is created from `from` (default: the
   * default branch head) when missing, the commits are added on top of it in order, and the
   * `create` (when new) and `push` changes carry the last commit's time and delivery ids
   * derived from `deliveryKey`, so the same push renders the same deliveries on every start.
   */
  pushCommits(
    owner: string,
    repoName: string,
    branch: string,
    commits: Array<AddCommitOptions & { sha: string; date: string }>,
    options: {
      from?: string;
      deliveryIds?: { create: string; push: string };
    } = {},
  ): string {
    const repo = this.requireRepository(owner, repoName);
    const before = repo.branches.get(branch);
    let head = before;
    if (head === undefined) {
      head = this.resolveRef(repo, options.from ?? repo.defaultBranch);
      if (!head) {
        throw new GitHubStateNotFoundError(
          `No commit found for ${options.from}`,
        );
      }
    }
    const added = commits.map(c => {
      const commit = this.recordCommit(repo, branch, head, c);
      head = commit.sha;
      return commit;
    });
    repo.branches.set(branch, head);
    const last = added[added.length - 1];
    const at = last?.date;
    if (before === undefined) {
      this.emit({
        kind: 'create',
        repo,
        branch,
        sha: head,
        sender: last?.authorLogin ?? this.viewerLogin,
        at,
        deliveryId: options.deliveryIds?.create,
      });
    }
    this.emit({
      kind: 'push',
      repo,
      branch,
      before,
      after: head,
      commits: added,
      ...(before === undefined ? { created: true } : {}),
      at,
      deliveryId: options.deliveryIds?.push,
    });
    return head;
  }

  /** Whether `ancestor` is `sha` or one of its ancestors. */
  isAncestor(repo: RepositoryState, ancestor: string, sha: string): boolean {
    return this.ancestors(repo, sha).has(ancestor);
  }

  /** The branch (default branch first) whose head is `sha`, other than `except`. */
  private branchAt(
    repo: RepositoryState,
    sha: string,
    except: string,
  ): string | undefined {
    if (
      repo.defaultBranch !== except &&
      repo.branches.get(repo.defaultBranch) === sha
    ) {
      return repo.defaultBranch;
    }
    for (const [name, head] of repo.branches) {
      if (name !== except && head === sha) return name;
    }
    return undefined;
  }

  /**
   * Creates a branch at the commit `ref` resolves to (the default branch head by default), or
   * moves it there when it exists, as GitHub does for a ref created or updated through the API:
   * `create` and a `push` with `created` (no commits: they are not new), or a `push` (with the
   * new commits, `forced` when it does not fast-forward). `actor` is who did it. Returns the sha.
   */
  createBranch(
    owner: string,
    repoName: string,
    branch: string,
    ref?: string,
    options: { actor?: string } = {},
  ): string {
    const repo = this.requireRepository(owner, repoName);
    const sha = this.resolveRef(repo, ref ?? repo.defaultBranch);
    if (!sha) throw new GitHubStateNotFoundError(`No commit found for ${ref}`);
    if (repo.branches.has(branch)) {
      this.moveBranch(owner, repoName, branch, sha, {
        force: true,
        actor: options.actor,
      });
      return sha;
    }
    const actor = options.actor ?? this.viewerLogin;
    repo.branches.set(branch, sha);
    this.userId(actor);
    this.emit({ kind: 'create', repo, branch, sha, sender: actor });
    const baseBranch = this.branchAt(repo, sha, branch);
    this.emit({
      kind: 'push',
      repo,
      branch,
      before: undefined,
      after: sha,
      commits: [],
      created: true,
      ...(baseBranch ? { baseRef: `refs/heads/${baseBranch}` } : {}),
      pusher: actor,
    });
    return sha;
  }

  /**
   * Moves an existing branch to `sha`: a `push` with the commits new to it. Without `force`, a
   * move that is not a fast-forward throws a `GitHubStateRefError` ("Update is not a fast
   * forward"). Moving it where it is changes nothing.
   */
  moveBranch(
    owner: string,
    repoName: string,
    branch: string,
    sha: string,
    options: { force?: boolean; actor?: string } = {},
  ): void {
    const repo = this.requireRepository(owner, repoName);
    const before = repo.branches.get(branch);
    if (before === undefined) {
      throw new GitHubStateRefError('Reference does not exist');
    }
    if (!repo.commits.has(sha)) {
      throw new GitHubStateRefError('Object does not exist');
    }
    if (before === sha) return;
    const fastForward = this.isAncestor(repo, before, sha);
    if (!fastForward && !options.force) {
      throw new GitHubStateRefError('Update is not a fast forward');
    }
    const actor = options.actor ?? this.viewerLogin;
    const old = this.ancestors(repo, before);
    const commits = this.history(repo, sha)
      .filter(c => !old.has(c.sha))
      .reverse();
    repo.branches.set(branch, sha);
    this.userId(actor);
    this.emit({
      kind: 'push',
      repo,
      branch,
      before,
      after: sha,
      commits,
      ...(fastForward ? {} : { forced: true }),
      pusher: actor,
    });
  }

  /**
   * Deletes a branch: `delete` and a `push` with `deleted`. The default branch cannot be
   * deleted, nor a branch that does not exist (`GitHubStateRefError`).
   */
  deleteBranch(
    owner: string,
    repoName: string,
    branch: string,
    options: { actor?: string } = {},
  ): void {
    const repo = this.requireRepository(owner, repoName);
    const before = repo.branches.get(branch);
    if (before === undefined) {
      throw new GitHubStateRefError('Reference does not exist');
    }
    if (branch === repo.defaultBranch) {
      throw new GitHubStateRefError('Reference cannot be deleted');
    }
    const actor = options.actor ?? this.viewerLogin;
    repo.branches.delete(branch);
    this.userId(actor);
    this.emitBranchDeleted(repo, branch, before, actor);
  }

  /** What GitHub tells about a deleted branch: `delete`, and a `push` with `deleted: true`. */
  private emitBranchDeleted(
    repo: RepositoryState,
    branch: string,
    before: string,
    actor: string,
  ): void {
    this.emit({ kind: 'delete', repo, branch, sha: before, sender: actor });
    this.emit({
      kind: 'push',
      repo,
      branch,
      before,
      after: NULL_SHA,
      commits: [],
      deleted: true,
      pusher: actor,
    });
  }

  /**
   * Merges an open pull request into its base branch, as `PUT .../pulls/{n}/merge` does:
   * `merge` makes a merge commit (parents: base head, head), `squash` one commit with the
   * changes, `rebase` copies of the head's commits; the base branch moves (a `push`), the pull
   * request closes as merged (`pull_request` `closed`). Returns the sha the base now points at.
   */
  mergePull(
    repo: RepositoryState,
    pull: PullRecord,
    options: {
      method?: 'merge' | 'squash' | 'rebase';
      title?: string;
      message?: string;
      actor?: string;
    } = {},
  ): string {
    const method = options.method ?? 'merge';
    const actor = options.actor ?? this.viewerLogin;
    const baseSha = repo.branches.get(pull.base);
    const headSha = repo.branches.get(pull.head);
    if (!baseSha || !headSha) {
      throw new GitHubStateRefError('Reference does not exist');
    }
    const head = repo.commits.get(headSha)!;
    const newCommits = this.compare(repo, baseSha, headSha).commits;
    let tip = baseSha;
    const pushed: CommitRecord[] = [];
    const add = (commit: AddCommitOptions, parents: string[]) => {
      const recorded = this.recordCommit(repo, pull.base, tip, commit);
      recorded.parents = parents.length > 0 ? parents : recorded.parents;
      tip = recorded.sha;
      pushed.push(recorded);
    };
    if (method === 'rebase') {
      for (const c of newCommits) {
        add(
          {
            message: c.message,
            authorLogin: c.authorLogin,
            authorName: c.authorName,
            authorEmail: c.authorEmail,
          },
          [],
        );
      }
    } else if (method === 'squash') {
      add(
        {
          message:
            `${options.title ?? `${pull.title} (#${pull.number})`}` +
            `${options.message ? `\n\n${options.message}` : ''}`,
          authorLogin: pull.authorLogin,
        },
        [],
      );
    } else {
      add(
        {
          message: `${
            options.title ??
            `Merge pull request #${pull.number} from ${repo.owner}/${pull.head}`
          }\n\n${options.message ?? pull.title}`,
          authorLogin: actor,
        },
        [baseSha, headSha],
      );
    }
    repo.branches.set(pull.base, tip);
    const now = this.nowIso();
    pull.state = 'closed';
    pull.closedAt = now;
    pull.updatedAt = now;
    pull.mergedAt = now;
    pull.mergeCommitSha = tip;
    pull.mergedBy = actor;
    pull.mergedHeadSha = head.sha;
    this.userId(actor);
    this.emit({
      kind: 'push',
      repo,
      branch: pull.base,
      before: baseSha,
      after: tip,
      commits: method === 'merge' ? [...newCommits, ...pushed] : pushed,
      pusher: actor,
    });
    this.emit({
      kind: 'pull_request',
      repo,
      pull,
      action: 'closed',
      sender: actor,
    });
    return tip;
  }

  /**
   * Sets the CI result `name` of a commit: updates the latest check run of that name (or adds
   * one) and appends a commit status with the same context.
   */
  setCheck(
    owner: string,
    repoName: string,
    ref: string,
    name: string,
    state: SeedCheck['state'],
  ): void {
    const repo = this.requireRepository(owner, repoName);
    const sha = this.resolveRef(repo, ref);
    if (!sha) throw new GitHubStateNotFoundError(`No commit found for ${ref}`);
    const now = this.nowIso();
    const { status, conclusion } = checkToRun(state);
    const run = this.checkRunsFor(repo, sha).find(r => r.name === name);
    if (run) {
      run.status = status;
      run.conclusion = conclusion;
      run.completedAt = status === 'completed' ? now : null;
    } else {
      repo.checkRuns.push({
        id: this.nextId('check_run'),
        name,
        headSha: sha,
        status,
        conclusion,
        startedAt: now,
        completedAt: status === 'completed' ? now : null,
      });
    }
    this.addStatus(repo, sha, {
      state,
      context: name,
      description: statusDescription(name, state),
      creatorLogin: 'ci-bot',
    });
  }

  /** Next free issue/pull request number. */
  nextNumber(repo: RepositoryState): number {
    let max = 0;
    for (const n of repo.issues.keys()) max = Math.max(max, n);
    for (const n of repo.pulls.keys()) max = Math.max(max, n);
    return max + 1;
  }

  createIssue(repo: RepositoryState, options: OpenIssueOptions): IssueRecord {
    const now = this.nowIso();
    const labels = (options.labels ?? []).map(
      l => this.ensureLabel(repo, l).name,
    );
    const issue: IssueRecord = {
      id: this.nextId('issue'),
      number: this.nextNumber(repo),
      title: options.title,
      body: options.body ?? null,
      labels: [...new Set(labels)],
      state: 'open',
      stateReason: null,
      authorLogin: options.authorLogin ?? this.viewerLogin,
      createdAt: now,
      updatedAt: now,
      closedAt: null,
    };
    repo.issues.set(issue.number, issue);
    this.emit({ kind: 'issue', repo, issue, action: 'opened' });
    return issue;
  }

  /** Opens a new issue; returns it (its `number` identifies it). */
  openIssue(
    owner: string,
    repoName: string,
    options: OpenIssueOptions,
  ): IssueRecord {
    return this.createIssue(this.requireRepository(owner, repoName), options);
  }

  private requireIssue(
    owner: string,
    repoName: string,
    number: number,
  ): IssueRecord {
    const issue = this.requireRepository(owner, repoName).issues.get(number);
    if (!issue)
      throw new GitHubStateNotFoundError(`Issue #${number} not found`);
    return issue;
  }

  setIssueState(
    issue: IssueRecord,
    state: 'open' | 'closed',
    reason?: IssueRecord['stateReason'],
  ) {
    if (issue.state === state) return;
    const now = this.nowIso();
    issue.state = state;
    issue.updatedAt = now;
    if (state === 'closed') {
      issue.closedAt = now;
      issue.stateReason = reason ?? 'completed';
    } else {
      issue.closedAt = null;
      issue.stateReason = 'reopened';
    }
    const repo = this.repositoryOfIssue(issue);
    if (repo) {
      this.emit({
        kind: 'issue',
        repo,
        issue,
        action: state === 'closed' ? 'closed' : 'reopened',
      });
    }
  }

  private repositoryOfIssue(issue: IssueRecord): RepositoryState | undefined {
    for (const repo of this.repos.values()) {
      if (repo.issues.get(issue.number) === issue) return repo;
    }
    return undefined;
  }

  /**
   * Changes an issue's title, body or labels (what is given), as `PATCH .../issues/{n}` does:
   * `edited` for the title or body, `labeled`/`unlabeled` per label added or removed.
   */
  updateIssue(
    issue: IssueRecord,
    update: { title?: string; body?: string | null; labels?: string[] },
  ): void {
    const repo = this.repositoryOfIssue(issue);
    const now = this.nowIso();
    const changes: {
      title?: { from: string };
      body?: { from: string | null };
    } = {};
    if (update.title !== undefined && update.title !== issue.title) {
      changes.title = { from: issue.title };
      issue.title = update.title;
    }
    if (update.body !== undefined && update.body !== issue.body) {
      changes.body = { from: issue.body };
      issue.body = update.body;
    }
    const added: string[] = [];
    const removed: string[] = [];
    if (update.labels !== undefined) {
      const next = update.labels.map(l =>
        repo ? this.ensureLabel(repo, l).name : l,
      );
      const lower = (names: string[]) => names.map(n => n.toLowerCase());
      added.push(
        ...next.filter(l => !lower(issue.labels).includes(l.toLowerCase())),
      );
      removed.push(
        ...issue.labels.filter(l => !lower(next).includes(l.toLowerCase())),
      );
      issue.labels = [...new Set(next)];
    }
    issue.updatedAt = now;
    if (!repo) return;
    if (changes.title || changes.body) {
      this.emit({ kind: 'issue', repo, issue, action: 'edited', changes });
    }
    for (const label of added) {
      this.emit({ kind: 'issue', repo, issue, action: 'labeled', label });
    }
    for (const label of removed) {
      this.emit({ kind: 'issue', repo, issue, action: 'unlabeled', label });
    }
  }

  closeIssue(owner: string, repoName: string, number: number): IssueRecord {
    const issue = this.requireIssue(owner, repoName, number);
    this.setIssueState(issue, 'closed');
    return issue;
  }

  reopenIssue(owner: string, repoName: string, number: number): IssueRecord {
    const issue = this.requireIssue(owner, repoName, number);
    this.setIssueState(issue, 'open');
    return issue;
  }

  createDeployment(
    repo: RepositoryState,
    input: CreateDeploymentInput,
  ): DeploymentRecord {
    const now = this.nowIso();
    const environment = input.environment ?? 'production';
    const deployment: DeploymentRecord = {
      id: this.nextId('deployment'),
      sha: input.sha,
      ref: input.ref,
      task: input.task ?? 'deploy',
      environment,
      originalEnvironment: environment,
      description: input.description ?? null,
      payload: input.payload ?? {},
      creatorLogin: input.creatorLogin ?? this.viewerLogin,
      transientEnvironment: input.transientEnvironment ?? false,
      productionEnvironment:
        input.productionEnvironment ?? environment === 'production',
      createdAt: now,
      updatedAt: now,
    };
    repo.deployments.set(deployment.id, deployment);
    return deployment;
  }

  /** Statuses of a deployment, newest first. */
  deploymentStatusesFor(
    repo: RepositoryState,
    deploymentId: number,
  ): DeploymentStatusRecord[] {
    return repo.deploymentStatuses
      .filter(s => s.deploymentId === deploymentId)
      .sort((a, b) => b.id - a.id);
  }

  createDeploymentStatus(
    repo: RepositoryState,
    deployment: DeploymentRecord,
    input: CreateDeploymentStatusInput,
  ): DeploymentStatusRecord {
    const now = this.nowIso();
    if (input.environment) deployment.environment = input.environment;
    deployment.updatedAt = now;
    const status: DeploymentStatusRecord = {
      id: this.nextId('deployment_status'),
      deploymentId: deployment.id,
      state: input.state,
      description: input.description ?? '',
      environment: deployment.environment,
      logUrl: input.logUrl ?? '',
      environmentUrl: input.environmentUrl ?? '',
      creatorLogin: input.creatorLogin ?? this.viewerLogin,
      createdAt: now,
      updatedAt: now,
    };
    repo.deploymentStatuses.push(status);
    this.emit({ kind: 'deployment_status', repo, deployment, status });
    if (input.state === 'success' && (input.autoInactive ?? true)) {
      // GitHub: prior non-transient, non-production deployments to the same environment whose
      // latest status is success get an `inactive` status.
      for (const other of repo.deployments.values()) {
        if (
          other.id === deployment.id ||
          other.id > deployment.id ||
          other.environment !== deployment.environment ||
          other.transientEnvironment ||
          other.productionEnvironment
        ) {
          continue;
        }
        const latest = this.deploymentStatusesFor(repo, other.id)[0];
        if (latest?.state === 'success') {
          repo.deploymentStatuses.push({
            ...latest,
            id: this.nextId('deployment_status'),
            state: 'inactive',
            description: '',
            createdAt: now,
            updatedAt: now,
          });
          other.updatedAt = now;
        }
      }
    }
    return status;
  }
}

function statusDescription(name: string, state: CommitStatusState): string {
  switch (state) {
    case 'success':
      return `${name} passed`;
    case 'failure':
      return `${name} failed`;
    case 'error':
      return `${name} errored`;
    default:
      return `${name} is running`;
  }
}
