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
  authorLogin: string;
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
  /** CI results to record (check runs and commit statuses with the same name). */
  checks?: SeedCheck[];
  /** Author login; defaults to the author of the branch head. */
  authorLogin?: string;
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

/**
 * A change GitHub would send a webhook for: commits added to a branch (`push`), an issue opened,
 * closed, reopened, edited or (un)labelled (`issues`), a deployment status created
 * (`deployment_status`). Pull requests are not issues here.
 */
export type GitHubStateChange =
  | {
      kind: 'push';
      repo: RepositoryState;
      branch: string;
      /** The branch head before (undefined when the push created the branch). */
      before: string | undefined;
      after: string;
      /** The commits pushed, oldest first. */
      commits: CommitRecord[];
    }
  | {
      kind: 'issue';
      repo: RepositoryState;
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
    }
  | {
      kind: 'deployment_status';
      repo: RepositoryState;
      deployment: DeploymentRecord;
      status: DeploymentStatusRecord;
    };

export interface GitHubStateOptions {
  /** Clock for timestamps of new objects; defaults to `Date.now`. */
  now?: () => number;
  /** Login recorded as creator of objects made through the API. */
  viewerLogin?: string;
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
  readonly viewerLogin: string;

  constructor(
    repositories: SeedRepository[],
    options: GitHubStateOptions = {},
  ) {
    this.clock = options.now ?? Date.now;
    this.viewerLogin = options.viewerLogin ?? 'sandbox-bot';
    for (const seed of repositories) this.addRepository(seed);
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
   * Appends a commit on `branch` (created from the default branch head when missing) and moves
   * the branch to it. Returns the new sha.
   */
  addCommit(
    owner: string,
    repoName: string,
    branch: string,
    options: AddCommitOptions,
  ): string {
    const repo = this.requireRepository(owner, repoName);
    const parentSha =
      repo.branches.get(branch) ?? repo.branches.get(repo.defaultBranch);
    const parent = parentSha ? repo.commits.get(parentSha) : undefined;
    const login =
      options.authorLogin ?? parent?.authorLogin ?? this.viewerLogin;
    const knownAuthor = [...repo.commits.values()].find(
      c => c.authorLogin === login,
    );
    let date = options.date ?? this.nowIso();
    if (parent && date <= parent.date) date = addMinutes(parent.date, 1);
    this.commitCounter += 1;
    const sha = sha1(
      `${repo.owner}/${repo.name}:${branch}:${parentSha ?? ''}:${
        options.message
      }:${date}:${this.commitCounter}`,
    );
    const commit: CommitRecord = {
      sha,
      message: options.message,
      authorName: options.authorName ?? knownAuthor?.authorName ?? login,
      authorEmail:
        options.authorEmail ??
        knownAuthor?.authorEmail ??
        `${login}@users.noreply.sandbox.local`,
      authorLogin: login,
      date,
      parents: parentSha ? [parentSha] : [],
    };
    const before = repo.branches.get(branch);
    repo.commits.set(sha, commit);
    repo.branches.set(branch, sha);
    if (date > repo.pushedAt) repo.pushedAt = date;
    this.userId(login);
    for (const check of options.checks ?? []) {
      this.recordCheck(repo, sha, check.name, check.state, date);
    }
    this.emit({
      kind: 'push',
      repo,
      branch,
      before,
      after: sha,
      commits: [commit],
    });
    return sha;
  }

  /** Creates (or moves) a branch to the commit `ref` resolves to. Returns the sha. */
  createBranch(
    owner: string,
    repoName: string,
    branch: string,
    ref?: string,
  ): string {
    const repo = this.requireRepository(owner, repoName);
    const sha = this.resolveRef(repo, ref ?? repo.defaultBranch);
    if (!sha) throw new GitHubStateNotFoundError(`No commit found for ${ref}`);
    repo.branches.set(branch, sha);
    return sha;
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
