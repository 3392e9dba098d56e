/*
 * A small GitHub REST API emulator over node:http, good enough for `@octokit/rest` pointed at it
 * with `baseUrl` (as for GitHub Enterprise). Responses follow GitHub's shapes for the fields
 * clients rely on; URLs (`url`, `html_url`, ...) are built from the server's own base URL, and
 * `GET /{owner}/{repo}/...` serves tiny HTML pages so those links open in a browser.
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { URL } from 'node:url';
import type { SeedCheck, SeedRepository } from '../seed.ts';
import { listen, readBody as readBodyBytes } from '../http.ts';
import {
  GitHubBudget,
  entityTag,
  matchesEntityTag,
  routeKey,
} from './budget.ts';
import type { GitHubCallCounts, RateLimitWindow } from './budget.ts';
import {
  createPayload,
  deletePayload,
  deploymentStatusPayload,
  issuesPayload,
  pullRequestPayload,
  pushPayload,
} from './webhooks.ts';
import type { WebhookSender } from './webhooks.ts';
import {
  GitRepositories,
  parseGitRequest,
  runHttpBackend,
} from './gitBackend.ts';
import type { GitRequest } from './gitBackend.ts';
import {
  COMMIT_STATUS_STATES,
  DEPLOYMENT_STATUS_STATES,
  GitHubState,
  GitHubStateNotFoundError,
  GitHubStateRefError,
  NULL_SHA,
  REPOSITORY_PERMISSIONS,
} from './GitHubState.ts';
import type { PushedRef } from './GitHubState.ts';
import type {
  CheckRunRecord,
  CommitRecord,
  CommitStatusRecord,
  CommitStatusState,
  DeploymentRecord,
  DeploymentStatusRecord,
  DeploymentStatusState,
  GitHubStateChange,
  IssueRecord,
  PullRecord,
  RepositoryPermission,
  RepositorySettings,
  RepositoryState,
} from './GitHubState.ts';

export interface GitHubServerOptions {
  /** Port to listen on; 0 or undefined picks a free one. */
  port?: number;
  /** Interface to listen on; defaults to 127.0.0.1. */
  host?: string;
  repositories: SeedRepository[];
  /** When set, API requests must send `Authorization: token <t>` or `Bearer <t>`. */
  token?: string;
  /** Base URL used in links (`url`, `html_url`, ...); defaults to the listening address. */
  publicUrl?: string;
  /** Clock for timestamps of objects created at runtime; defaults to `Date.now`. */
  now?: () => number;
  /**
   * Requests per hour before API calls are refused with 403 (GitHub's primary rate limit);
   * defaults to 5000, as for a personal access token. 304 answers do not count.
   */
  rateLimit?: number;
  /**
   * Where the repositories' webhook deliveries go: `push` for every commit added and every
   * branch created, moved or deleted (through the git refs API, `/_sandbox` or the state's
   * helpers), `create` and `delete` for branches, `issues` for issues opened, closed, reopened,
   * edited and (un)labelled, `pull_request` (`closed`) for pull requests merged,
   * `deployment_status` for every status created. None without.
   */
  webhooks?: WebhookSender;
  /**
   * Logins that are organizations (`GET /users/{login}` says `Organization`; repositories are
   * created in them with `POST /orgs/{org}/repos`); defaults to the seeded repositories' owners.
   */
  organizations?: string[];
  /** Teams per organization (slugs), for `GET /orgs/{org}/teams/{slug}` and team access. */
  teams?: Record<string, string[]>;
  /**
   * The CI that runs on the head commit of every push to a repository created through the API:
   * check runs (and commit statuses) `checks` (default `build`, `unit-tests`, `lint`) start
   * `in_progress` at once and complete with `conclusion` (default `success`) after `delayMs`
   * (default 1000). `false`: no CI.
   */
  ci?: GitHubCiOptions | false;
}

export interface GitHubCiOptions {
  delayMs?: number;
  conclusion?: 'success' | 'failure';
  checks?: string[];
}

export interface GitHubServer {
  /** Base URL of the API, e.g. `http://127.0.0.1:41234` (no trailing slash). */
  url: string;
  state: GitHubState;
  /** Where webhook deliveries go, when configured. */
  webhooks?: WebhookSender;
  /** A repository as GitHub's REST API and webhook payloads show it; undefined when unknown. */
  renderRepository(
    owner: string,
    repo: string,
  ): Record<string, any> | undefined;
  /** A user as payloads show it (`sender`, `creator`). */
  renderUser(login: string): Record<string, unknown>;
  /**
   * Where the bare git repositories of the repositories created through the API are (served at
   * `<url>/{owner}/{repo}.git`; removed on `close()`).
   */
  gitRoot: string;
  /** Resolves once the pushes received so far are recorded and their CI has finished. */
  idle(): Promise<void>;
  /** The API calls served since the start or the last `resetCalls()`. */
  calls(): GitHubCallCounts;
  resetCalls(): void;
  close(): Promise<void>;
}

const DOCS = 'https://docs.github.com/rest';
const DEFAULT_PER_PAGE = 30;
const MAX_PER_PAGE = 100;
const MAX_BODY_BYTES = 5 * 1024 * 1024;

type Json = unknown;

interface Reply {
  status: number;
  body?: Json;
  headers?: Record<string, string>;
  /** Raw body with its own content type (HTML pages, avatars). */
  raw?: { contentType: string; text: string };
}

class HttpError extends Error {
  readonly status: number;
  readonly body: Record<string, unknown>;

  constructor(status: number, body: Record<string, unknown>) {
    super(String(body.message));
    this.status = status;
    this.body = body;
  }
}

function notFound(message = 'Not Found', docs = DOCS): HttpError {
  return new HttpError(404, {
    message,
    documentation_url: docs,
    status: '404',
  });
}

function validationFailed(
  errors: Array<Record<string, unknown>>,
  docs = DOCS,
): HttpError {
  return new HttpError(422, {
    message: 'Validation Failed',
    errors,
    documentation_url: docs,
    status: '422',
  });
}

/** The git refs API's 422 with a message ("Reference already exists", ...). */
function refError(message: string, docs: string): HttpError {
  return new HttpError(422, {
    message,
    documentation_url: docs,
    status: '422',
  });
}

/** GitHub's JSON-schema style rejection of a wrongly typed body field. */
function invalidRequest(
  field: string,
  value: unknown,
  expected: string,
  docs = DOCS,
): HttpError {
  return new HttpError(422, {
    message: `Invalid request.\n\nFor 'properties/${field}', ${JSON.stringify(
      value,
    )} is not ${expected}.`,
    documentation_url: docs,
    status: '422',
  });
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, c => HTML_ESCAPES[c]);
}

function compareStrings(a: string, b: string): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}

function nodeId(type: string, id: string | number): string {
  return Buffer.from(`${type}:${id}`).toString('base64').replace(/=+$/, '');
}

function decodeSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw notFound();
  }
}

type Body = Record<string, unknown>;

function optionalString(
  body: Body,
  field: string,
  docs: string,
): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalidRequest(field, v, 'a string', docs);
  return v;
}

function optionalBoolean(
  body: Body,
  field: string,
  docs: string,
): boolean | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw invalidRequest(field, v, 'a boolean', docs);
  return v;
}

/** An optional string field that must be one of `allowed` (GitHub's 422 `invalid` otherwise). */
function optionalOneOf<T extends string>(
  body: Body,
  field: string,
  allowed: readonly T[],
  resource: string,
  docs: string,
): T | undefined {
  const v = optionalString(body, field, docs);
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) {
    throw validationFailed(
      [{ resource, code: 'invalid', field, value: v }],
      docs,
    );
  }
  return v as T;
}

function optionalStringArray(
  body: Body,
  field: string,
  docs: string,
): string[] | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some(x => typeof x !== 'string')) {
    throw invalidRequest(field, v, 'an array of strings', docs);
  }
  return v as string[];
}

/** Renders state records in GitHub's REST shapes. */
class Views {
  private readonly state: GitHubState;
  readonly api: string;
  readonly html: string;

  constructor(state: GitHubState, api: string, html: string) {
    this.state = state;
    this.api = api;
    this.html = html;
  }

  repoApi(repo: RepositoryState): string {
    return `${this.api}/repos/${repo.owner}/${repo.name}`;
  }

  repoHtml(repo: RepositoryState): string {
    return `${this.html}/${repo.owner}/${repo.name}`;
  }

  /** Turns a server-relative link stored in the state into an absolute one. */
  abs(link: string | null): string | null {
    return link && link.startsWith('/') ? `${this.html}${link}` : link;
  }

  user(login: string, type: 'User' | 'Organization' | 'Bot' = 'User') {
    const id = this.state.userId(login);
    const url = `${this.api}/users/${login}`;
    return {
      login,
      id,
      node_id: nodeId('04:User', id),
      avatar_url: `${this.html}/avatars/${encodeURIComponent(login)}`,
      gravatar_id: '',
      url,
      html_url: `${this.html}/${login}`,
      followers_url: `${url}/followers`,
      following_url: `${url}/following{/other_user}`,
      gists_url: `${url}/gists{/gist_id}`,
      starred_url: `${url}/starred{/owner}{/repo}`,
      subscriptions_url: `${url}/subscriptions`,
      organizations_url: `${url}/orgs`,
      repos_url: `${url}/repos`,
      events_url: `${url}/events{/privacy}`,
      received_events_url: `${url}/received_events`,
      type: login.endsWith('-bot') ? 'Bot' : type,
      user_view_type: 'public',
      site_admin: false,
    };
  }

  /** An account as `GET /users/{login}` shows it (users and organizations). */
  account(login: string) {
    const type = this.state.accountType(login) ?? 'User';
    const repos = this.state
      .listRepositories()
      .filter(r => r.owner.toLowerCase() === login.toLowerCase());
    const created =
      repos.map(r => r.createdAt).sort()[0] ?? this.state.nowIso();
    return {
      ...this.user(login, type),
      name: type === 'Organization' ? login.toUpperCase() : login,
      company: null,
      blog: '',
      location: null,
      email: null,
      hireable: null,
      bio: null,
      twitter_username: null,
      public_repos: repos.filter(r => !r.settings.private).length,
      public_gists: 0,
      followers: 0,
      following: 0,
      created_at: created,
      updated_at: created,
    };
  }

  repository(repo: RepositoryState) {
    const url = this.repoApi(repo);
    const openIssues =
      [...repo.issues.values()].filter(i => i.state === 'open').length +
      [...repo.pulls.values()].filter(p => p.state === 'open').length;
    const host = new URL(this.html).host;
    const settings = repo.settings;
    const ownerType = this.state.accountType(repo.owner) ?? 'User';
    const owner = this.user(repo.owner, ownerType);
    return {
      id: repo.id,
      node_id: nodeId('010:Repository', repo.id),
      name: repo.name,
      full_name: `${repo.owner}/${repo.name}`,
      private: settings.private,
      owner,
      html_url: this.repoHtml(repo),
      description: repo.description,
      fork: false,
      url,
      archive_url: `${url}/{archive_format}{/ref}`,
      branches_url: `${url}/branches{/branch}`,
      collaborators_url: `${url}/collaborators{/collaborator}`,
      commits_url: `${url}/commits{/sha}`,
      compare_url: `${url}/compare/{base}...{head}`,
      deployments_url: `${url}/deployments`,
      issues_url: `${url}/issues{/number}`,
      labels_url: `${url}/labels{/name}`,
      pulls_url: `${url}/pulls{/number}`,
      statuses_url: `${url}/statuses/{sha}`,
      teams_url: `${url}/teams`,
      git_refs_url: `${url}/git/refs{/sha}`,
      git_commits_url: `${url}/git/commits{/sha}`,
      created_at: repo.createdAt,
      updated_at: repo.pushedAt,
      pushed_at: repo.pushedAt,
      git_url: `git://${host}/${repo.owner}/${repo.name}.git`,
      ssh_url: `git@${host}:${repo.owner}/${repo.name}.git`,
      clone_url: `${this.repoHtml(repo)}.git`,
      svn_url: this.repoHtml(repo),
      homepage: settings.homepage,
      size: repo.commits.size * 12,
      stargazers_count: 0,
      watchers_count: 0,
      language: settings.language,
      has_issues: settings.hasIssues,
      has_projects: settings.hasProjects,
      has_downloads: true,
      has_wiki: settings.hasWiki,
      has_pages: false,
      has_discussions: settings.hasDiscussions,
      forks_count: 0,
      mirror_url: null,
      archived: settings.archived,
      disabled: false,
      open_issues_count: openIssues,
      license: null,
      allow_forking: true,
      is_template: settings.isTemplate,
      web_commit_signoff_required: false,
      topics: [...settings.topics],
      visibility: settings.visibility,
      forks: 0,
      open_issues: openIssues,
      watchers: 0,
      default_branch: repo.defaultBranch,
      permissions: {
        admin: true,
        maintain: true,
        push: true,
        triage: true,
        pull: true,
      },
      allow_squash_merge: settings.allowSquashMerge,
      allow_merge_commit: settings.allowMergeCommit,
      allow_rebase_merge: settings.allowRebaseMerge,
      allow_auto_merge: settings.allowAutoMerge,
      delete_branch_on_merge: settings.deleteBranchOnMerge,
      allow_update_branch: settings.allowUpdateBranch,
      use_squash_pr_title_as_default:
        settings.squashMergeCommitTitle === 'PR_TITLE',
      squash_merge_commit_title: settings.squashMergeCommitTitle,
      squash_merge_commit_message: settings.squashMergeCommitMessage,
      merge_commit_title: settings.mergeCommitTitle,
      merge_commit_message: settings.mergeCommitMessage,
      ...(ownerType === 'Organization' ? { organization: owner } : {}),
      network_count: 0,
      subscribers_count: 0,
    };
  }

  commit(repo: RepositoryState, c: CommitRecord, full = false) {
    const url = `${this.repoApi(repo)}/commits/${c.sha}`;
    const signature = {
      name: c.authorName,
      email: c.authorEmail,
      date: c.date,
    };
    const result: Record<string, unknown> = {
      sha: c.sha,
      node_id: nodeId('06:Commit', c.sha),
      commit: {
        author: signature,
        committer: { ...signature },
        message: c.message,
        tree: {
          sha: c.sha.split('').reverse().join(''),
          url: `${this.repoApi(repo)}/git/trees/${c.sha
            .split('')
            .reverse()
            .join('')}`,
        },
        url: `${this.repoApi(repo)}/git/commits/${c.sha}`,
        comment_count: 0,
        verification: {
          verified: false,
          reason: 'unsigned',
          signature: null,
          payload: null,
          verified_at: null,
        },
      },
      url,
      html_url: `${this.repoHtml(repo)}/commit/${c.sha}`,
      comments_url: `${url}/comments`,
      // GitHub links the accounts the emails belong to; null for an email it does not know.
      author: c.authorLogin ? this.user(c.authorLogin) : null,
      committer: c.authorLogin ? this.user(c.authorLogin) : null,
      parents: c.parents.map(p => ({
        sha: p,
        url: `${this.repoApi(repo)}/commits/${p}`,
        html_url: `${this.repoHtml(repo)}/commit/${p}`,
      })),
    };
    if (full) {
      result.stats = { total: 0, additions: 0, deletions: 0 };
      result.files = [];
    }
    return result;
  }

  branchSummary(repo: RepositoryState, name: string, sha: string) {
    return {
      name,
      commit: { sha, url: `${this.repoApi(repo)}/commits/${sha}` },
      protected: repo.protections.has(name),
    };
  }

  /** A branch protection as `GET`/`PUT .../branches/{b}/protection` answer it. */
  protection(
    repo: RepositoryState,
    branch: string,
    p: Record<string, unknown>,
  ) {
    const url = `${this.repoApi(repo)}/branches/${encodeURIComponent(
      branch,
    )}/protection`;
    const obj = (v: unknown) =>
      v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
    const enabled = (field: string) => ({ enabled: p[field] === true });
    const result: Record<string, unknown> = { url };
    const checks = obj(p.required_status_checks);
    if (checks) {
      const contexts = Array.isArray(checks.contexts)
        ? (checks.contexts as unknown[]).map(String)
        : [];
      result.required_status_checks = {
        url: `${url}/required_status_checks`,
        strict: checks.strict === true,
        contexts,
        contexts_url: `${url}/required_status_checks/contexts`,
        checks: contexts.map(context => ({ context, app_id: null })),
      };
    }
    const reviews = obj(p.required_pull_request_reviews);
    if (reviews) {
      result.required_pull_request_reviews = {
        url: `${url}/required_pull_request_reviews`,
        dismiss_stale_reviews: reviews.dismiss_stale_reviews === true,
        require_code_owner_reviews: reviews.require_code_owner_reviews === true,
        require_last_push_approval: reviews.require_last_push_approval === true,
        required_approving_review_count:
          typeof reviews.required_approving_review_count === 'number'
            ? reviews.required_approving_review_count
            : 1,
      };
    }
    result.required_signatures = {
      url: `${url}/required_signatures`,
      enabled: p.required_signatures === true,
    };
    result.enforce_admins = {
      url: `${url}/enforce_admins`,
      enabled: p.enforce_admins === true,
    };
    const restrictions = obj(p.restrictions);
    if (restrictions) {
      const names = (field: string) =>
        Array.isArray(restrictions[field])
          ? (restrictions[field] as unknown[]).map(String)
          : [];
      result.restrictions = {
        url: `${url}/restrictions`,
        users_url: `${url}/restrictions/users`,
        teams_url: `${url}/restrictions/teams`,
        apps_url: `${url}/restrictions/apps`,
        users: names('users').map(u => this.user(u)),
        teams: names('teams').map(t => ({ slug: t, name: t })),
        apps: [],
      };
    }
    result.required_linear_history = enabled('required_linear_history');
    result.allow_force_pushes = enabled('allow_force_pushes');
    result.allow_deletions = enabled('allow_deletions');
    result.block_creations = enabled('block_creations');
    result.required_conversation_resolution = enabled(
      'required_conversation_resolution',
    );
    result.lock_branch = enabled('lock_branch');
    result.allow_fork_syncing = enabled('allow_fork_syncing');
    return result;
  }

  /** The invitation `PUT .../collaborators/{user}` answers with (201). */
  invitation(repo: RepositoryState, login: string, permission: string) {
    const id = this.state.nextId('invitation');
    return {
      id,
      node_id: nodeId('020:RepositoryInvitation', id),
      repository: this.repository(repo),
      invitee: this.user(login),
      inviter: this.user(this.state.viewerLogin),
      permissions: { pull: 'read', push: 'write' }[permission] ?? permission,
      created_at: this.state.nowIso(),
      expired: false,
      url: `${this.api}/user/repository_invitations/${id}`,
      html_url: `${this.repoHtml(repo)}/invitations`,
    };
  }

  /** A team as `GET /orgs/{org}/teams/{slug}` shows it. */
  team(org: string, slug: string, id: number, full: boolean) {
    const url = `${this.api}/orgs/${org}/teams/${slug}`;
    return {
      id,
      node_id: nodeId('04:Team', id),
      url,
      html_url: `${this.html}/orgs/${org}/teams/${slug}`,
      name: slug,
      slug,
      description: null,
      privacy: 'closed',
      notification_setting: 'notifications_enabled',
      permission: 'pull',
      members_url: `${url}/members{/member}`,
      repositories_url: `${url}/repos`,
      parent: null,
      ...(full
        ? {
            members_count: 0,
            repos_count: this.state
              .listRepositories()
              .filter(r => r.teams.has(slug)).length,
            organization: this.user(org, 'Organization'),
          }
        : {}),
    };
  }

  branch(repo: RepositoryState, name: string, sha: string) {
    const apiName = encodeURIComponent(name);
    return {
      name,
      commit: this.commit(repo, repo.commits.get(sha)!),
      _links: {
        self: `${this.repoApi(repo)}/branches/${apiName}`,
        html: `${this.repoHtml(repo)}/tree/${name}`,
      },
      protected: repo.protections.has(name),
      protection: this.branchProtectionSummary(repo, name),
      protection_url: `${this.repoApi(repo)}/branches/${apiName}/protection`,
    };
  }

  private branchProtectionSummary(repo: RepositoryState, name: string) {
    const p = repo.protections.get(name);
    const checks =
      p?.required_status_checks && typeof p.required_status_checks === 'object'
        ? (p.required_status_checks as Record<string, unknown>)
        : undefined;
    const contexts =
      checks && Array.isArray(checks.contexts)
        ? (checks.contexts as unknown[]).map(String)
        : [];
    let level = 'off';
    if (checks) level = p?.enforce_admins === true ? 'everyone' : 'non_admins';
    return {
      enabled: !!p,
      required_status_checks: {
        enforcement_level: level,
        contexts,
        checks: contexts.map(context => ({ context, app_id: null })),
      },
    };
  }

  /** A git ref (`refs/heads/<branch>`) as the git refs API shows it. */
  ref(repo: RepositoryState, branch: string, sha: string) {
    return {
      ref: `refs/heads/${branch}`,
      node_id: nodeId('03:Ref', `${repo.id}:refs/heads/${branch}`),
      url: `${this.repoApi(repo)}/git/refs/heads/${branch}`,
      object: {
        sha,
        type: 'commit',
        url: `${this.repoApi(repo)}/git/commits/${sha}`,
      },
    };
  }

  checkRun(repo: RepositoryState, run: CheckRunRecord) {
    const url = `${this.repoApi(repo)}/check-runs/${run.id}`;
    const htmlUrl = `${this.repoHtml(repo)}/runs/${run.id}`;
    let summary = `${run.name} finished: ${run.conclusion}`;
    if (run.status !== 'completed') summary = `${run.name} is running`;
    else if (run.conclusion === 'success') summary = `${run.name} passed`;
    else if (run.conclusion === 'failure') summary = `${run.name} failed`;
    return {
      id: run.id,
      node_id: nodeId('08:CheckRun', run.id),
      head_sha: run.headSha,
      external_id: String(run.id),
      url,
      html_url: htmlUrl,
      details_url: htmlUrl,
      status: run.status,
      conclusion: run.conclusion,
      started_at: run.startedAt,
      completed_at: run.completedAt,
      output: {
        title: summary,
        summary,
        text: null,
        annotations_count: 0,
        annotations_url: `${url}/annotations`,
      },
      name: run.name,
      check_suite: { id: parseInt(run.headSha.slice(0, 8), 16) },
      app: {
        id: 1,
        slug: 'sandbox-ci',
        node_id: nodeId('03:App', 1),
        owner: this.user(repo.owner, 'Organization'),
        name: 'Sandbox CI',
        description: 'CI of the sandbox',
        external_url: this.html,
        html_url: `${this.html}/apps/sandbox-ci`,
        created_at: repo.createdAt,
        updated_at: repo.createdAt,
        permissions: { checks: 'write', metadata: 'read' },
        events: [],
      },
      pull_requests: [],
    };
  }

  status(repo: RepositoryState, s: CommitStatusRecord, withCreator = true) {
    const result: Record<string, unknown> = {
      url: `${this.repoApi(repo)}/statuses/${s.sha}`,
      avatar_url: `${this.html}/avatars/${encodeURIComponent(s.creatorLogin)}`,
      id: s.id,
      node_id: nodeId('012:StatusContext', s.id),
      state: s.state,
      description: s.description,
      target_url: this.abs(s.targetUrl),
      context: s.context,
      created_at: s.createdAt,
      updated_at: s.updatedAt,
    };
    if (withCreator) result.creator = this.user(s.creatorLogin);
    return result;
  }

  labels(repo: RepositoryState, names: string[]) {
    return names.map(name => {
      const label = this.state.ensureLabel(repo, name);
      return {
        id: label.id,
        node_id: nodeId('05:Label', label.id),
        url: `${this.repoApi(repo)}/labels/${encodeURIComponent(label.name)}`,
        name: label.name,
        color: label.color,
        default: ['bug', 'documentation', 'enhancement'].includes(label.name),
        description: label.description,
      };
    });
  }

  /** The fields issues and pull requests share in the issues API. */
  #issueFields(
    repo: RepositoryState,
    x: {
      id: number;
      number: number;
      title: string;
      authorLogin: string;
      state: string;
      createdAt: string;
      updatedAt: string;
      closedAt: string | null;
      body: string | null;
    },
    htmlUrl: string,
  ) {
    const url = `${this.repoApi(repo)}/issues/${x.number}`;
    return {
      url,
      repository_url: this.repoApi(repo),
      labels_url: `${url}/labels{/name}`,
      comments_url: `${url}/comments`,
      events_url: `${url}/events`,
      html_url: htmlUrl,
      id: x.id,
      node_id: nodeId('05:Issue', x.id),
      number: x.number,
      title: x.title,
      user: this.user(x.authorLogin),
      state: x.state,
      locked: false,
      assignee: null,
      assignees: [],
      milestone: null,
      comments: 0,
      created_at: x.createdAt,
      updated_at: x.updatedAt,
      closed_at: x.closedAt,
      author_association: 'MEMBER',
      active_lock_reason: null,
      body: x.body,
      timeline_url: `${url}/timeline`,
      performed_via_github_app: null,
    };
  }

  issue(repo: RepositoryState, i: IssueRecord) {
    const fields = this.#issueFields(
      repo,
      i,
      `${this.repoHtml(repo)}/issues/${i.number}`,
    );
    return {
      ...fields,
      labels: this.labels(repo, i.labels),
      closed_by:
        i.state === 'closed' ? this.user(this.state.viewerLogin) : null,
      reactions: {
        url: `${fields.url}/reactions`,
        total_count: 0,
        '+1': 0,
        '-1': 0,
        laugh: 0,
        hooray: 0,
        confused: 0,
        heart: 0,
        rocket: 0,
        eyes: 0,
      },
      state_reason: i.stateReason,
    };
  }

  /** A pull request as the issues API shows it (with a `pull_request` member). */
  pullAsIssue(repo: RepositoryState, p: PullRecord) {
    const html = `${this.repoHtml(repo)}/pull/${p.number}`;
    return {
      ...this.#issueFields(repo, p, html),
      labels: [],
      draft: false,
      pull_request: {
        url: `${this.repoApi(repo)}/pulls/${p.number}`,
        html_url: html,
        diff_url: `${html}.diff`,
        patch_url: `${html}.patch`,
        merged_at: p.mergedAt ?? null,
      },
      state_reason: null,
    };
  }

  private pullRef(repo: RepositoryState, branch: string, sha?: string | null) {
    return {
      label: `${repo.owner}:${branch}`,
      ref: branch,
      sha: sha ?? repo.branches.get(branch) ?? '',
      user: this.user(repo.owner, 'Organization'),
      repo: this.repository(repo),
    };
  }

  pull(repo: RepositoryState, p: PullRecord, full = false) {
    const url = `${this.repoApi(repo)}/pulls/${p.number}`;
    const htmlUrl = `${this.repoHtml(repo)}/pull/${p.number}`;
    const result: Record<string, unknown> = {
      url,
      id: p.id,
      node_id: nodeId('011:PullRequest', p.id),
      html_url: htmlUrl,
      diff_url: `${htmlUrl}.diff`,
      patch_url: `${htmlUrl}.patch`,
      issue_url: `${this.repoApi(repo)}/issues/${p.number}`,
      number: p.number,
      state: p.state,
      locked: false,
      title: p.title,
      user: this.user(p.authorLogin),
      body: p.body,
      created_at: p.createdAt,
      updated_at: p.updatedAt,
      closed_at: p.closedAt,
      merged_at: p.mergedAt ?? null,
      merge_commit_sha: p.mergeCommitSha ?? null,
      assignee: null,
      assignees: [],
      requested_reviewers: [],
      requested_teams: [],
      labels: [],
      milestone: null,
      draft: false,
      commits_url: `${url}/commits`,
      review_comments_url: `${url}/comments`,
      comments_url: `${this.repoApi(repo)}/issues/${p.number}/comments`,
      statuses_url: `${this.repoApi(repo)}/statuses/${
        repo.branches.get(p.head) ?? ''
      }`,
      head: this.pullRef(repo, p.head, p.mergedHeadSha),
      base: this.pullRef(repo, p.base),
      _links: {
        self: { href: url },
        html: { href: htmlUrl },
        issue: { href: `${this.repoApi(repo)}/issues/${p.number}` },
        commits: { href: `${url}/commits` },
        statuses: {
          href: `${this.repoApi(repo)}/statuses/${
            repo.branches.get(p.head) ?? ''
          }`,
        },
      },
      author_association: 'MEMBER',
      auto_merge: null,
      active_lock_reason: null,
    };
    if (full) {
      const head = p.mergedHeadSha ?? repo.branches.get(p.head);
      const base = repo.branches.get(p.base);
      const merged = !!p.mergedAt;
      const commits =
        head && base && !merged
          ? this.state.compare(repo, base, head).aheadBy
          : 0;
      Object.assign(result, {
        merged,
        mergeable: merged || p.state === 'closed' ? null : true,
        rebaseable: merged || p.state === 'closed' ? null : true,
        mergeable_state: merged || p.state === 'closed' ? 'unknown' : 'clean',
        merged_by: p.mergedBy ? this.user(p.mergedBy) : null,
        comments: 0,
        review_comments: 0,
        maintainer_can_modify: false,
        commits,
        additions: 0,
        deletions: 0,
        changed_files: 0,
      });
    }
    return result;
  }

  deployment(repo: RepositoryState, d: DeploymentRecord) {
    const url = `${this.repoApi(repo)}/deployments/${d.id}`;
    return {
      url,
      id: d.id,
      node_id: nodeId('010:Deployment', d.id),
      sha: d.sha,
      ref: d.ref,
      task: d.task,
      payload: d.payload,
      original_environment: d.originalEnvironment,
      environment: d.environment,
      description: d.description,
      creator: this.user(d.creatorLogin),
      created_at: d.createdAt,
      updated_at: d.updatedAt,
      statuses_url: `${url}/statuses`,
      repository_url: this.repoApi(repo),
      transient_environment: d.transientEnvironment,
      production_environment: d.productionEnvironment,
      performed_via_github_app: null,
    };
  }

  deploymentStatus(repo: RepositoryState, s: DeploymentStatusRecord) {
    const deploymentUrl = `${this.repoApi(repo)}/deployments/${s.deploymentId}`;
    return {
      url: `${deploymentUrl}/statuses/${s.id}`,
      id: s.id,
      node_id: nodeId('016:DeploymentStatus', s.id),
      state: s.state,
      creator: this.user(s.creatorLogin),
      description: s.description,
      environment: s.environment,
      target_url: s.logUrl,
      log_url: s.logUrl,
      environment_url: s.environmentUrl,
      created_at: s.createdAt,
      updated_at: s.updatedAt,
      deployment_url: deploymentUrl,
      repository_url: this.repoApi(repo),
      performed_via_github_app: null,
    };
  }
}

interface Request {
  method: string;
  url: URL;
  /** Raw (still percent-encoded) path segments, without empty ones. */
  segments: string[];
  headers: http.IncomingHttpHeaders;
  body: Json;
}

/** Slices `items` per `per_page`/`page` and sets a GitHub-style `Link` header. */
function paginate<T>(
  req: Request,
  views: Views,
  items: T[],
  headers: Record<string, string>,
): T[] {
  const perPageRaw = Number(req.url.searchParams.get('per_page'));
  const perPage =
    Number.isInteger(perPageRaw) && perPageRaw > 0
      ? Math.min(perPageRaw, MAX_PER_PAGE)
      : DEFAULT_PER_PAGE;
  const pageRaw = Number(req.url.searchParams.get('page'));
  const page = Number.isInteger(pageRaw) && pageRaw > 0 ? pageRaw : 1;
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const link = (p: number) => {
    const params = new URLSearchParams(req.url.searchParams);
    params.set('per_page', String(perPage));
    params.set('page', String(p));
    return `<${views.api}${req.url.pathname}?${params.toString()}>`;
  };
  const links: string[] = [];
  if (page > 1) links.push(`${link(Math.min(page - 1, last))}; rel="prev"`);
  if (page < last)
    links.push(`${link(page + 1)}; rel="next"`, `${link(last)}; rel="last"`);
  if (page > 1) links.push(`${link(1)}; rel="first"`);
  if (links.length > 0) headers.link = links.join(', ');
  return items.slice((page - 1) * perPage, page * perPage);
}

function requireObjectBody(req: Request, docs: string): Body {
  const body = req.body === undefined ? {} : req.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(422, {
      message: `Invalid request.\n\n${JSON.stringify(body)} is not an object.`,
      documentation_url: docs,
      status: '422',
    });
  }
  return body as Body;
}

const SEED_CHECK_STATES: ReadonlyArray<SeedCheck['state']> = [
  'success',
  'failure',
  'pending',
];

/** What the router asks the server to do besides changing the state (the git side). */
interface RepositoryHooks {
  /** A repository was created through the API. */
  created(repo: RepositoryState): Promise<void>;
  /** A repository was deleted. */
  deleted(repo: RepositoryState): Promise<void>;
  /** A repository's default branch changed (`PATCH`). */
  defaultBranchChanged(repo: RepositoryState): Promise<void>;
  /** What a path of a repository with git holds at a commit (the contents API). */
  read: GitRepositories['read'];
}

/** GitHub's repository names: anything but letters, digits, `.`, `-` and `_` becomes `-`. */
function normalizeRepositoryName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '-');
}

const TOPIC = /^[a-z0-9][a-z0-9-]{0,49}$/;

class Router {
  private readonly state: GitHubState;
  private readonly views: Views;
  private readonly budget: GitHubBudget;
  private readonly hooks: RepositoryHooks;
  /** Organization (lower case) → team slugs (lower case) → team id. */
  private readonly teams: Map<string, Map<string, number>>;

  constructor(
    state: GitHubState,
    views: Views,
    budget: GitHubBudget,
    hooks: RepositoryHooks,
    teams: Record<string, string[]>,
  ) {
    this.state = state;
    this.views = views;
    this.budget = budget;
    this.hooks = hooks;
    this.teams = new Map();
    let id = 9_000_001;
    for (const [org, slugs] of Object.entries(teams)) {
      const byOrg = new Map<string, number>();
      for (const slug of slugs) byOrg.set(slug.toLowerCase(), id++);
      this.teams.set(org.toLowerCase(), byOrg);
    }
  }

  async handle(req: Request): Promise<Reply> {
    const [first, ...rest] = req.segments;
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    if (first === 'repos' && rest.length >= 2) {
      const repo = this.state.getRepository(
        decodeSegment(rest[0]),
        decodeSegment(rest[1]),
      );
      if (!repo)
        throw notFound('Not Found', `${DOCS}/repos/repos#get-a-repository`);
      const more = rest.slice(2);
      if (more.length === 0 && method === 'PATCH') {
        return this.updateRepository(req, repo);
      }
      if (more.length === 0 && method === 'DELETE') {
        this.state.deleteRepository(repo.owner, repo.name);
        await this.hooks.deleted(repo);
        return { status: 204 };
      }
      if (more[0] === 'contents' && method === 'GET') {
        return this.contents(req, repo, more.slice(1).map(decodeSegment));
      }
      return this.repoRoute(method, req, repo, more);
    }
    if (first === 'users' && rest.length === 1 && method === 'GET') {
      const login = decodeSegment(rest[0]);
      if (!this.state.accountType(login)) {
        throw notFound('Not Found', `${DOCS}/users/users#get-a-user`);
      }
      return { status: 200, body: this.views.account(login) };
    }
    if (first === 'user' && rest.length === 0 && method === 'GET') {
      return { status: 200, body: this.views.account(this.state.viewerLogin) };
    }
    if (first === 'user' && rest[0] === 'repos' && rest.length === 1) {
      if (method === 'POST') {
        return this.createRepository(
          req,
          this.state.viewerLogin,
          `${DOCS}/repos/repos#create-a-repository-for-the-authenticated-user`,
        );
      }
      if (method === 'GET') {
        return this.listRepositories(req, this.state.viewerLogin);
      }
    }
    if (first === 'orgs' && rest.length >= 2) {
      const org = decodeSegment(rest[0]);
      if (!this.state.isOrganization(org)) throw notFound();
      if (rest[1] === 'repos' && rest.length === 2) {
        if (method === 'POST') {
          return this.createRepository(
            req,
            org,
            `${DOCS}/repos/repos#create-an-organization-repository`,
          );
        }
        if (method === 'GET') return this.listRepositories(req, org);
      }
      if (rest[1] === 'teams' && rest.length >= 3) {
        return this.teamRoute(method, req, org, rest.slice(2));
      }
    }
    if (first === '_sandbox' && rest[0] === 'repos' && rest.length >= 3) {
      const repo = this.state.getRepository(
        decodeSegment(rest[1]),
        decodeSegment(rest[2]),
      );
      if (!repo) throw notFound();
      return this.sandboxRoute(method, req, repo, rest.slice(3));
    }
    if (first === 'rate_limit' && rest.length === 0 && method === 'GET') {
      return { status: 200, body: rateLimit(this.budget.window()) };
    }
    if (first === undefined && method === 'GET') {
      return {
        status: 200,
        body: {
          current_user_url: `${this.views.api}/user`,
          repository_url: `${this.views.api}/repos/{owner}/{repo}`,
          rate_limit_url: `${this.views.api}/rate_limit`,
        },
      };
    }
    throw notFound();
  }

  /**
   * `GET /repos/{owner}/{repo}/contents/{path}?ref=`: a file (as JSON with base64 content, or its
   * bytes with the `raw` media type, as Backstage's GitHub URL reader asks) or a directory's
   * entries. Only repositories created through the API have files; seeded ones answer 404.
   */
  private async contents(
    req: Request,
    repo: RepositoryState,
    segments: string[],
  ): Promise<Reply> {
    const path = segments.join('/');
    const ref = req.url.searchParams.get('ref') ?? repo.defaultBranch;
    const sha = repo.git ? this.state.resolveRef(repo, ref) : undefined;
    if (repo.git && repo.commits.size === 0) {
      throw notFound(
        'This repository is empty.',
        `${DOCS}/repos/contents#get-repository-content`,
      );
    }
    if (!sha) {
      throw notFound(
        `No commit found for the ref ${ref}`,
        `${DOCS}/repos/contents#get-repository-content`,
      );
    }
    const found = await this.hooks.read(repo.owner, repo.name, sha, path);
    if (!found) {
      throw notFound(
        'Not Found',
        `${DOCS}/repos/contents#get-repository-content`,
      );
    }
    const htmlBase = `${this.views.repoHtml(repo)}`;
    const entry = (
      name: string,
      type: string,
      objectSha: string,
      size: number,
    ) => {
      const entryPath = path ? `${path}/${name}` : name;
      return {
        type,
        name,
        path: entryPath,
        sha: objectSha,
        size,
        url: `${this.views.api}/repos/${repo.owner}/${repo.name}/contents/${entryPath}?ref=${ref}`,
        html_url: `${htmlBase}/${
          type === 'dir' ? 'tree' : 'blob'
        }/${ref}/${entryPath}`,
        download_url:
          type === 'file'
            ? `${this.views.api}/repos/${repo.owner}/${repo.name}/contents/${entryPath}?ref=${ref}`
            : null,
      };
    };
    if (found.type === 'dir') {
      return {
        status: 200,
        body: found.entries.map(e => entry(e.name, e.type, e.sha, e.size)),
      };
    }
    const accept = String(req.headers.accept ?? '');
    if (/\.raw\b|\.raw\+|vnd\.github\.raw/.test(accept)) {
      return {
        status: 200,
        headers: { etag: `"${found.sha}"` },
        raw: {
          contentType: 'application/vnd.github.raw; charset=utf-8',
          text: found.content.toString('utf8'),
        },
      };
    }
    const name = path.split('/').pop() ?? path;
    return {
      status: 200,
      headers: { etag: `"${found.sha}"` },
      body: {
        ...entry(name, 'file', found.sha, found.content.length),
        path,
        encoding: 'base64',
        content: found.content.toString('base64'),
      },
    };
  }

  private repoRoute(
    method: string,
    req: Request,
    repo: RepositoryState,
    rest: string[],
  ): Reply {
    const views = this.views;
    const headers: Record<string, string> = {};
    const [kind, ...more] = rest;
    if (kind === undefined) {
      if (method === 'GET')
        return { status: 200, body: views.repository(repo) };
      throw notFound();
    }
    const emptyRepositoryKinds = ['commits', 'compare', 'git'];
    if (repo.commits.size === 0 && emptyRepositoryKinds.includes(kind)) {
      throw new HttpError(409, {
        message: 'Git Repository is empty.',
        documentation_url: DOCS,
        status: '409',
      });
    }
    switch (kind) {
      case 'topics': {
        if (more.length !== 0) break;
        if (method === 'GET') {
          return { status: 200, body: { names: [...repo.settings.topics] } };
        }
        if (method === 'PUT') return this.replaceTopics(req, repo);
        break;
      }
      case 'collaborators':
        return this.collaboratorsRoute(method, req, repo, more);
      case 'branches': {
        const protection = this.protectionPath(repo, more);
        if (protection) {
          return this.protectionRoute(method, req, repo, ...protection);
        }
        if (method !== 'GET') break;
        if (more.length === 0) {
          const all = [...repo.branches.entries()]
            .sort(([a], [b]) => compareStrings(a, b))
            .map(([name, sha]) => views.branchSummary(repo, name, sha));
          const page = paginate(req, views, all, headers);
          return { status: 200, body: page, headers };
        }
        const name = more.map(decodeSegment).join('/');
        const sha = repo.branches.get(name);
        if (!sha) {
          throw notFound(
            'Branch not found',
            `${DOCS}/branches/branches#get-a-branch`,
          );
        }
        return { status: 200, body: views.branch(repo, name, sha) };
      }
      case 'commits':
        return this.commitsRoute(method, req, repo, more, headers);
      case 'compare': {
        if (method !== 'GET' || more.length === 0) break;
        return {
          status: 200,
          body: this.compare(repo, more.map(decodeSegment).join('/')),
        };
      }
      case 'statuses': {
        if (more.length === 0) break;
        const ref = more.map(decodeSegment).join('/');
        if (method === 'POST') return this.createStatus(req, repo, ref);
        if (method === 'GET') return this.listStatuses(req, repo, ref, headers);
        break;
      }
      case 'check-runs': {
        if (method !== 'GET' || more.length !== 1) break;
        const run = repo.checkRuns.find(r => String(r.id) === more[0]);
        if (!run) throw notFound();
        return { status: 200, body: views.checkRun(repo, run) };
      }
      case 'labels': {
        if (method !== 'GET' || more.length !== 0) break;
        const all = views.labels(
          repo,
          [...repo.labels.values()].map(l => l.name),
        );
        return {
          status: 200,
          body: paginate(req, views, all, headers),
          headers,
        };
      }
      case 'issues':
        return this.issuesRoute(method, req, repo, more, headers);
      case 'pulls':
        return this.pullsRoute(method, req, repo, more, headers);
      case 'git':
        return this.gitRoute(method, req, repo, more);
      case 'deployments':
        return this.deploymentsRoute(method, req, repo, more, headers);
      default:
        break;
    }
    throw notFound();
  }

  // ---- repositories (creation, settings, access, protection) ---------------------------------

  private async createRepository(
    req: Request,
    owner: string,
    docs: string,
  ): Promise<Reply> {
    const body = requireObjectBody(req, docs);
    const rawName = body.name;
    if (rawName === undefined || rawName === null) {
      throw refError(`Invalid request.\n\n"name" wasn't supplied.`, docs);
    }
    if (typeof rawName !== 'string') {
      throw invalidRequest('name', rawName, 'a string', docs);
    }
    const name = normalizeRepositoryName(rawName.trim());
    if (name === '' || name === '.' || name === '..') {
      throw validationFailed(
        [
          {
            resource: 'Repository',
            code: 'custom',
            field: 'name',
            message: 'name is invalid',
          },
        ],
        docs,
      );
    }
    const existing = this.state.getRepository(owner, name);
    if (existing) {
      throw new HttpError(422, {
        message: 'Repository creation failed.',
        errors: [
          {
            resource: 'Repository',
            code: 'custom',
            field: 'name',
            message: 'name already exists on this account',
          },
        ],
        documentation_url: docs,
        status: '422',
      });
    }
    const settings = this.settingsFrom(body, docs, undefined);
    const repo = this.state.createRepository(owner, name, {
      description: optionalString(body, 'description', docs) ?? '',
      defaultBranch: 'main',
      settings: {
        hasProjects: true,
        hasWiki: true,
        ...settings,
      },
      git: true,
    });
    try {
      await this.hooks.created(repo);
    } catch (error) {
      this.state.deleteRepository(owner, name);
      throw error;
    }
    return {
      status: 201,
      body: this.views.repository(repo),
      headers: { location: this.views.repoApi(repo) },
    };
  }

  /** Repository settings a create or update body sets (only those it gives). */
  private settingsFrom(
    body: Body,
    docs: string,
    repo: RepositoryState | undefined,
  ): Partial<RepositorySettings> {
    const out: Partial<RepositorySettings> = {};
    const flag = (field: string, key: keyof RepositorySettings) => {
      const v = optionalBoolean(body, field, docs);
      if (v !== undefined) (out as Record<string, unknown>)[key] = v;
    };
    const text = (
      field: string,
      key: keyof RepositorySettings,
      allowed: string[],
    ) => {
      const v = optionalOneOf(body, field, allowed, 'Repository', docs);
      if (v !== undefined) (out as Record<string, unknown>)[key] = v;
    };
    flag('has_issues', 'hasIssues');
    flag('has_projects', 'hasProjects');
    flag('has_wiki', 'hasWiki');
    flag('has_discussions', 'hasDiscussions');
    flag('allow_merge_commit', 'allowMergeCommit');
    flag('allow_squash_merge', 'allowSquashMerge');
    flag('allow_rebase_merge', 'allowRebaseMerge');
    flag('allow_auto_merge', 'allowAutoMerge');
    flag('allow_update_branch', 'allowUpdateBranch');
    flag('delete_branch_on_merge', 'deleteBranchOnMerge');
    flag('archived', 'archived');
    flag('is_template', 'isTemplate');
    text('squash_merge_commit_title', 'squashMergeCommitTitle', [
      'PR_TITLE',
      'COMMIT_OR_PR_TITLE',
    ]);
    text('squash_merge_commit_message', 'squashMergeCommitMessage', [
      'PR_BODY',
      'COMMIT_MESSAGES',
      'BLANK',
    ]);
    text('merge_commit_title', 'mergeCommitTitle', [
      'PR_TITLE',
      'MERGE_MESSAGE',
    ]);
    text('merge_commit_message', 'mergeCommitMessage', [
      'PR_BODY',
      'PR_TITLE',
      'BLANK',
    ]);
    if (body.homepage === null) out.homepage = null;
    else {
      const homepage = optionalString(body, 'homepage', docs);
      if (homepage !== undefined) out.homepage = homepage || null;
    }
    const isPrivate = optionalBoolean(body, 'private', docs);
    const visibility = optionalOneOf<RepositorySettings['visibility']>(
      body,
      'visibility',
      ['public', 'private', 'internal'],
      'Repository',
      docs,
    );
    if (visibility !== undefined) {
      out.visibility = visibility;
      out.private = visibility !== 'public';
    } else if (isPrivate !== undefined) {
      out.private = isPrivate;
      // `private: true` keeps an internal repository internal.
      const internal = repo?.settings.visibility === 'internal';
      if (!isPrivate) out.visibility = 'public';
      else out.visibility = internal ? 'internal' : 'private';
    }
    return out;
  }

  private async updateRepository(
    req: Request,
    repo: RepositoryState,
  ): Promise<Reply> {
    const docs = `${DOCS}/repos/repos#update-a-repository`;
    const body = requireObjectBody(req, docs);
    const name = optionalString(body, 'name', docs);
    if (name !== undefined && name !== repo.name) {
      // Renames are not modelled: the repository keeps its name.
      throw validationFailed(
        [
          {
            resource: 'Repository',
            code: 'custom',
            field: 'name',
            message: 'renaming is not supported by the sandbox',
          },
        ],
        docs,
      );
    }
    const defaultBranch = optionalString(body, 'default_branch', docs);
    if (
      defaultBranch !== undefined &&
      repo.branches.size > 0 &&
      !repo.branches.has(defaultBranch)
    ) {
      throw validationFailed(
        [
          {
            resource: 'Repository',
            code: 'invalid',
            field: 'default_branch',
          },
        ],
        docs,
      );
    }
    const settings = this.settingsFrom(body, docs, repo);
    if (body.description === null) repo.description = '';
    else {
      const description = optionalString(body, 'description', docs);
      if (description !== undefined) repo.description = description;
    }
    repo.settings = { ...repo.settings, ...settings };
    if (defaultBranch !== undefined && defaultBranch !== repo.defaultBranch) {
      repo.defaultBranch = defaultBranch;
      await this.hooks.defaultBranchChanged(repo);
    }
    return { status: 200, body: this.views.repository(repo) };
  }

  private listRepositories(req: Request, owner: string): Reply {
    const headers: Record<string, string> = {};
    const all = this.state
      .listRepositories()
      .filter(r => r.owner.toLowerCase() === owner.toLowerCase())
      .sort((a, b) => compareStrings(a.name, b.name))
      .map(r => this.views.repository(r));
    return {
      status: 200,
      body: paginate(req, this.views, all, headers),
      headers,
    };
  }

  private replaceTopics(req: Request, repo: RepositoryState): Reply {
    const docs = `${DOCS}/repos/repos#replace-all-repository-topics`;
    const body = requireObjectBody(req, docs);
    const names = optionalStringArray(body, 'names', docs);
    if (names === undefined) {
      throw refError(`Invalid request.\n\n"names" wasn't supplied.`, docs);
    }
    const invalid = names.filter(n => !TOPIC.test(n));
    if (invalid.length > 0) {
      throw validationFailed(
        invalid.map(n => ({
          resource: 'Repository',
          code: 'invalid',
          field: 'topics',
          message: `${n} is not a valid topic. Topics must start with a lowercase letter or number, consist of 50 characters or less, and can include hyphens.`,
        })),
        docs,
      );
    }
    repo.settings.topics = [...new Set(names)];
    return { status: 200, body: { names: [...repo.settings.topics] } };
  }

  private permission(
    body: Body,
    docs: string,
    resource: string,
    fallback: RepositoryPermission,
  ): RepositoryPermission {
    const v = optionalString(body, 'permission', docs);
    if (v === undefined) return fallback;
    // GitHub's API also takes the role names of the web UI.
    const alias: Record<string, RepositoryPermission> = {
      read: 'pull',
      write: 'push',
    };
    const permission = alias[v] ?? v;
    if (!REPOSITORY_PERMISSIONS.includes(permission as RepositoryPermission)) {
      throw validationFailed(
        [{ resource, code: 'invalid', field: 'permission', value: v }],
        docs,
      );
    }
    return permission as RepositoryPermission;
  }

  private collaboratorsRoute(
    method: string,
    req: Request,
    repo: RepositoryState,
    more: string[],
  ): Reply {
    if (more.length === 0 && method === 'GET') {
      const headers: Record<string, string> = {};
      const all = [...repo.collaborators.entries()].map(([login, p]) => ({
        ...this.views.user(login),
        permissions: {
          admin: p === 'admin',
          maintain: p === 'admin' || p === 'maintain',
          push: p !== 'pull' && p !== 'triage',
          triage: p !== 'pull',
          pull: true,
        },
        role_name: { pull: 'read', push: 'write' }[p as string] ?? p,
      }));
      return {
        status: 200,
        body: paginate(req, this.views, all, headers),
        headers,
      };
    }
    if (more.length !== 1) throw notFound();
    const login = decodeSegment(more[0]);
    const known = [...repo.collaborators.keys()].find(
      c => c.toLowerCase() === login.toLowerCase(),
    );
    if (method === 'GET') {
      if (known) return { status: 204 };
      throw notFound(
        'Not Found',
        `${DOCS}/collaborators/collaborators#check-if-a-user-is-a-repository-collaborator`,
      );
    }
    if (method === 'DELETE') {
      if (known) repo.collaborators.delete(known);
      return { status: 204 };
    }
    if (method !== 'PUT') throw notFound();
    const docs = `${DOCS}/collaborators/collaborators#add-a-repository-collaborator`;
    const type = this.state.accountType(login);
    if (!type || type === 'Organization') throw notFound('Not Found', docs);
    const body = requireObjectBody(req, docs);
    const permission = this.permission(body, docs, 'Repository', 'push');
    if (known) {
      // Already a collaborator: the permission changes, no invitation.
      repo.collaborators.set(known, permission);
      return { status: 204 };
    }
    repo.collaborators.set(login, permission);
    return {
      status: 201,
      body: this.views.invitation(repo, login, permission),
    };
  }

  private teamRoute(
    method: string,
    req: Request,
    org: string,
    rest: string[],
  ): Reply {
    const slug = decodeSegment(rest[0]);
    const id = this.teams.get(org.toLowerCase())?.get(slug.toLowerCase());
    if (id === undefined) throw notFound();
    if (rest.length === 1 && method === 'GET') {
      return {
        status: 200,
        body: this.views.team(org, slug.toLowerCase(), id, true),
      };
    }
    if (rest[1] === 'repos' && rest.length === 4) {
      const repo = this.state.getRepository(
        decodeSegment(rest[2]),
        decodeSegment(rest[3]),
      );
      const docs = `${DOCS}/teams/teams#add-or-update-team-repository-permissions`;
      if (!repo) throw notFound('Not Found', docs);
      const known = repo.teams.has(slug.toLowerCase());
      if (method === 'PUT') {
        if (repo.owner.toLowerCase() !== org.toLowerCase()) {
          throw validationFailed(
            [
              {
                resource: 'TeamRepository',
                code: 'custom',
                field: 'repo',
                message: 'Repository must be owned by the organization',
              },
            ],
            docs,
          );
        }
        const body = requireObjectBody(req, docs);
        const permission = this.permission(body, docs, 'Team', 'push');
        repo.teams.set(slug.toLowerCase(), permission);
        return { status: 204 };
      }
      if (method === 'GET') {
        if (known) return { status: 204 };
        throw notFound('Not Found', docs);
      }
      if (method === 'DELETE') {
        repo.teams.delete(slug.toLowerCase());
        return { status: 204 };
      }
    }
    throw notFound();
  }

  /** `[branch, sub-resource]` when `more` is `{branch}/protection[/...]` of an existing branch. */
  private protectionPath(
    repo: RepositoryState,
    more: string[],
  ): [string, string] | undefined {
    const at = more.lastIndexOf('protection');
    if (at < 1) return undefined;
    const branch = more.slice(0, at).map(decodeSegment).join('/');
    const sub = more.slice(at + 1).join('/');
    if (!['', 'required_signatures', 'enforce_admins'].includes(sub)) {
      return undefined;
    }
    // A branch literally named `.../protection` is that branch.
    if (repo.branches.has(more.map(decodeSegment).join('/'))) return undefined;
    return [branch, sub];
  }

  private protectionRoute(
    method: string,
    req: Request,
    repo: RepositoryState,
    branch: string,
    sub: string,
  ): Reply {
    const docs = `${DOCS}/branches/branch-protection`;
    if (!repo.branches.has(branch)) throw notFound('Branch not found', docs);
    const current = repo.protections.get(branch);
    if (sub === '') {
      if (method === 'GET') {
        if (!current) throw notFound('Branch not protected', docs);
        return {
          status: 200,
          body: this.views.protection(repo, branch, current),
        };
      }
      if (method === 'DELETE') {
        if (!current) throw notFound('Branch not protected', docs);
        repo.protections.delete(branch);
        return { status: 204 };
      }
      if (method !== 'PUT') throw notFound();
      const body = requireObjectBody(req, docs);
      for (const field of [
        'required_status_checks',
        'enforce_admins',
        'required_pull_request_reviews',
        'restrictions',
      ]) {
        if (!(field in body)) {
          throw refError(
            `Invalid request.\n\n"${field}" wasn't supplied.`,
            docs,
          );
        }
      }
      const protection = { ...body };
      if (current?.required_signatures !== undefined) {
        protection.required_signatures = current.required_signatures;
      }
      repo.protections.set(branch, protection);
      return {
        status: 200,
        body: this.views.protection(repo, branch, protection),
      };
    }
    if (!current) throw notFound('Branch not protected', docs);
    const url = `${this.views.repoApi(repo)}/branches/${encodeURIComponent(
      branch,
    )}/protection/${sub}`;
    const key = sub;
    if (method === 'POST') current[key] = true;
    else if (method === 'DELETE') {
      current[key] = false;
      return { status: 204 };
    } else if (method !== 'GET') throw notFound();
    return {
      status: 200,
      body: { url, enabled: current[key] === true },
    };
  }

  // ---- commits --------------------------------------------------------------------------

  private resolveCommit(
    repo: RepositoryState,
    ref: string,
    docs: string,
  ): CommitRecord {
    const commit = this.state.getCommit(repo, ref);
    if (!commit) throw notFound(`No commit found for SHA: ${ref}`, docs);
    return commit;
  }

  private commitsRoute(
    method: string,
    req: Request,
    repo: RepositoryState,
    more: string[],
    headers: Record<string, string>,
  ): Reply {
    if (method !== 'GET') throw notFound();
    const views = this.views;
    if (more.length === 0) {
      const q = req.url.searchParams;
      const ref = q.get('sha') || repo.defaultBranch;
      const head = this.resolveCommit(
        repo,
        ref,
        `${DOCS}/commits/commits#list-commits`,
      );
      let commits = this.state.history(repo, head.sha);
      const author = q.get('author');
      if (author) {
        const a = author.toLowerCase();
        commits = commits.filter(
          c =>
            c.authorLogin?.toLowerCase() === a ||
            c.authorEmail.toLowerCase() === a,
        );
      }
      const since = q.get('since');
      if (since && !Number.isNaN(Date.parse(since))) {
        commits = commits.filter(c => Date.parse(c.date) >= Date.parse(since));
      }
      const until = q.get('until');
      if (until && !Number.isNaN(Date.parse(until))) {
        commits = commits.filter(c => Date.parse(c.date) <= Date.parse(until));
      }
      const page = paginate(req, views, commits, headers);
      return {
        status: 200,
        body: page.map(c => views.commit(repo, c)),
        headers,
      };
    }
    const last = more[more.length - 1];
    if (
      more.length >= 2 &&
      (last === 'check-runs' || last === 'status' || last === 'statuses')
    ) {
      const ref = more.slice(0, -1).map(decodeSegment).join('/');
      if (last === 'check-runs')
        return this.listCheckRuns(req, repo, ref, headers);
      if (last === 'status')
        return this.combinedStatus(req, repo, ref, headers);
      return this.listStatuses(req, repo, ref, headers);
    }
    const ref = more.map(decodeSegment).join('/');
    const commit = this.resolveCommit(
      repo,
      ref,
      `${DOCS}/commits/commits#get-a-commit`,
    );
    return { status: 200, body: views.commit(repo, commit, true) };
  }

  private compare(repo: RepositoryState, spec: string) {
    const docs = `${DOCS}/commits/commits#compare-two-commits`;
    let sep = spec.indexOf('...');
    let sepLength = 3;
    if (sep < 0) {
      sep = spec.indexOf('..');
      sepLength = 2;
    }
    if (sep <= 0 || sep + sepLength >= spec.length)
      throw notFound('Not Found', docs);
    const stripOwner = (ref: string) => {
      const colon = ref.indexOf(':');
      return colon > 0 &&
        ref.slice(0, colon).toLowerCase() === repo.owner.toLowerCase()
        ? ref.slice(colon + 1)
        : ref;
    };
    const baseRef = stripOwner(spec.slice(0, sep));
    const headRef = stripOwner(spec.slice(sep + sepLength));
    const base = this.state.getCommit(repo, baseRef);
    const head = this.state.getCommit(repo, headRef);
    if (!base || !head) throw notFound('Not Found', docs);
    const result = this.state.compare(repo, base.sha, head.sha);
    if (!result.mergeBaseCommit) {
      throw notFound(
        `No common ancestor between ${baseRef} and ${headRef}.`,
        docs,
      );
    }
    const views = this.views;
    const specPath = `${baseRef}...${headRef}`;
    return {
      url: `${views.repoApi(repo)}/compare/${specPath}`,
      html_url: `${views.repoHtml(repo)}/compare/${specPath}`,
      permalink_url: `${views.repoHtml(repo)}/compare/${
        repo.owner
      }:${base.sha.slice(0, 7)}...${repo.owner}:${head.sha.slice(0, 7)}`,
      diff_url: `${views.repoHtml(repo)}/compare/${specPath}.diff`,
      patch_url: `${views.repoHtml(repo)}/compare/${specPath}.patch`,
      base_commit: views.commit(repo, result.baseCommit),
      merge_base_commit: views.commit(repo, result.mergeBaseCommit),
      status: result.status,
      ahead_by: result.aheadBy,
      behind_by: result.behindBy,
      total_commits: result.aheadBy,
      // GitHub lists at most 250 commits here.
      commits: result.commits.slice(0, 250).map(c => views.commit(repo, c)),
      files: [],
    };
  }

  private listCheckRuns(
    req: Request,
    repo: RepositoryState,
    ref: string,
    headers: Record<string, string>,
  ): Reply {
    const commit = this.resolveCommit(
      repo,
      ref,
      `${DOCS}/checks/runs#list-check-runs-for-a-git-reference`,
    );
    const q = req.url.searchParams;
    let runs = this.state.checkRunsFor(repo, commit.sha);
    if ((q.get('filter') ?? 'latest') === 'latest') {
      const seen = new Set<string>();
      runs = runs.filter(r =>
        seen.has(r.name) ? false : (seen.add(r.name), true),
      );
    }
    const name = q.get('check_name');
    if (name) runs = runs.filter(r => r.name === name);
    const status = q.get('status');
    if (status) runs = runs.filter(r => r.status === status);
    const page = paginate(req, this.views, runs, headers);
    return {
      status: 200,
      body: {
        total_count: runs.length,
        check_runs: page.map(r => this.views.checkRun(repo, r)),
      },
      headers,
    };
  }

  private combinedStatus(
    req: Request,
    repo: RepositoryState,
    ref: string,
    headers: Record<string, string>,
  ): Reply {
    const commit = this.resolveCommit(
      repo,
      ref,
      `${DOCS}/commits/statuses#get-the-combined-status-for-a-specific-reference`,
    );
    const latest = this.state.latestStatusesFor(repo, commit.sha);
    const page = paginate(req, this.views, latest, headers);
    const r = this.views.repository(repo);
    return {
      status: 200,
      body: {
        state: this.state.combinedState(repo, commit.sha),
        statuses: page.map(s => this.views.status(repo, s, false)),
        sha: commit.sha,
        total_count: latest.length,
        repository: {
          id: r.id,
          node_id: r.node_id,
          name: r.name,
          full_name: r.full_name,
          private: r.private,
          owner: r.owner,
          html_url: r.html_url,
          description: r.description,
          fork: r.fork,
          url: r.url,
        },
        commit_url: `${this.views.repoApi(repo)}/commits/${commit.sha}`,
        url: `${this.views.repoApi(repo)}/commits/${commit.sha}/status`,
      },
      headers,
    };
  }

  private listStatuses(
    req: Request,
    repo: RepositoryState,
    ref: string,
    headers: Record<string, string>,
  ): Reply {
    const commit = this.resolveCommit(repo, ref, `${DOCS}/commits/statuses`);
    const all = this.state.statusesFor(repo, commit.sha);
    const page = paginate(req, this.views, all, headers);
    return {
      status: 200,
      body: page.map(s => this.views.status(repo, s)),
      headers,
    };
  }

  private createStatus(
    req: Request,
    repo: RepositoryState,
    ref: string,
  ): Reply {
    const docs = `${DOCS}/commits/statuses#create-a-commit-status`;
    const body = requireObjectBody(req, docs);
    const commit = this.state.getCommit(repo, ref);
    if (!commit) {
      throw new HttpError(422, {
        message: `No commit found for SHA: ${ref}`,
        documentation_url: docs,
        status: '422',
      });
    }
    const state = body.state;
    if (state === undefined || state === null) {
      throw validationFailed(
        [{ resource: 'Status', field: 'state', code: 'missing_field' }],
        docs,
      );
    }
    if (
      typeof state !== 'string' ||
      !COMMIT_STATUS_STATES.includes(state as CommitStatusState)
    ) {
      throw validationFailed(
        [
          {
            resource: 'Status',
            field: 'state',
            code: 'invalid',
            message: `state must be one of ${COMMIT_STATUS_STATES.join(', ')}`,
          },
        ],
        docs,
      );
    }
    const status = this.state.addStatus(repo, commit.sha, {
      state: state as CommitStatusState,
      context: optionalString(body, 'context', docs),
      description: optionalString(body, 'description', docs),
      targetUrl: optionalString(body, 'target_url', docs),
    });
    return { status: 201, body: this.views.status(repo, status) };
  }

  // ---- issues and pulls -------------------------------------------------------------------

  private issuesRoute(
    method: string,
    req: Request,
    repo: RepositoryState,
    more: string[],
    headers: Record<string, string>,
  ): Reply {
    const views = this.views;
    if (more.length === 0 && method === 'GET') {
      const q = req.url.searchParams;
      const state = q.get('state') ?? 'open';
      const labels = (q.get('labels') ?? '')
        .split(',')
        .map(l => l.trim().toLowerCase())
        .filter(Boolean);
      const creator = q.get('creator')?.toLowerCase();
      const assignee = q.get('assignee');
      const since = q.get('since');
      type Item = {
        createdAt: string;
        updatedAt: string;
        render: () => unknown;
      };
      const items: Item[] = [];
      const keep = (
        s: string,
        itemLabels: string[],
        author: string,
        updatedAt: string,
      ) =>
        (state === 'all' || s === state) &&
        labels.every(l => itemLabels.some(x => x.toLowerCase() === l)) &&
        (!creator || author.toLowerCase() === creator) &&
        (!assignee || assignee === '*' || assignee === 'none') &&
        (!since ||
          Number.isNaN(Date.parse(since)) ||
          Date.parse(updatedAt) >= Date.parse(since));
      for (const i of repo.issues.values()) {
        if (keep(i.state, i.labels, i.authorLogin, i.updatedAt)) {
          items.push({ ...i, render: () => views.issue(repo, i) });
        }
      }
      for (const p of repo.pulls.values()) {
        if (keep(p.state, [], p.authorLogin, p.updatedAt)) {
          items.push({ ...p, render: () => views.pullAsIssue(repo, p) });
        }
      }
      const sortKey = q.get('sort') === 'updated' ? 'updatedAt' : 'createdAt';
      const asc = q.get('direction') === 'asc';
      items.sort((a, b) => {
        const cmp = compareStrings(a[sortKey], b[sortKey]);
        return asc ? cmp : -cmp;
      });
      const page = paginate(req, views, items, headers);
      return { status: 200, body: page.map(i => i.render()), headers };
    }
    if (more.length === 0 && method === 'POST') {
      const docs = `${DOCS}/issues/issues#create-an-issue`;
      const body = requireObjectBody(req, docs);
      const title = body.title;
      if (title === undefined || title === null || title === '') {
        throw validationFailed(
          [{ resource: 'Issue', code: 'missing_field', field: 'title' }],
          docs,
        );
      }
      if (typeof title !== 'string' && typeof title !== 'number') {
        throw invalidRequest('title', title, 'a string or integer', docs);
      }
      const issue = this.state.createIssue(repo, {
        title: String(title),
        body: optionalString(body, 'body', docs),
        labels: this.labelNames(body, docs),
      });
      return {
        status: 201,
        body: views.issue(repo, issue),
        headers: { location: `${views.repoApi(repo)}/issues/${issue.number}` },
      };
    }
    if (more.length === 1 && /^\d+$/.test(more[0])) {
      const number = Number(more[0]);
      const issue = repo.issues.get(number);
      const pull = repo.pulls.get(number);
      if (!issue && !pull)
        throw notFound('Not Found', `${DOCS}/issues/issues#get-an-issue`);
      if (method === 'GET') {
        return {
          status: 200,
          body: issue
            ? views.issue(repo, issue)
            : views.pullAsIssue(repo, pull!),
        };
      }
      if (method === 'PATCH') {
        const docs = `${DOCS}/issues/issues#update-an-issue`;
        const body = requireObjectBody(req, docs);
        const title = optionalString(body, 'title', docs);
        const text =
          body.body === null ? null : optionalString(body, 'body', docs);
        const state = optionalOneOf(
          body,
          'state',
          ['open', 'closed'],
          'Issue',
          docs,
        );
        const reason = optionalOneOf(
          body,
          'state_reason',
          ['completed', 'not_planned', 'reopened'],
          'Issue',
          docs,
        );
        const labels = this.labelNames(body, docs);
        const now = this.state.nowIso();
        if (issue) {
          this.state.updateIssue(issue, { title, body: text, labels });
          if (state !== undefined) {
            this.state.setIssueState(
              issue,
              state,
              reason as IssueRecord['stateReason'],
            );
          } else if (reason === 'not_planned' || reason === 'completed') {
            if (issue.state === 'closed') issue.stateReason = reason;
          }
          issue.updatedAt = now;
          return { status: 200, body: views.issue(repo, issue) };
        }
        const p = pull!;
        if (title !== undefined) p.title = title;
        if (text !== undefined) p.body = text;
        if (state !== undefined && state !== p.state) {
          p.state = state;
          p.closedAt = state === 'closed' ? now : null;
        }
        p.updatedAt = now;
        return { status: 200, body: views.pullAsIssue(repo, p) };
      }
    }
    throw notFound();
  }

  private labelNames(body: Body, docs: string): string[] | undefined {
    const v = body.labels;
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) throw invalidRequest('labels', v, 'an array', docs);
    const names = v.map(x => {
      if (typeof x === 'string') return x;
      if (x && typeof x === 'object' && typeof (x as Body).name === 'string') {
        return (x as Body).name as string;
      }
      throw invalidRequest(
        'labels',
        v,
        'an array of strings or objects with a name',
        docs,
      );
    });
    return [...new Set(names.filter(n => n.length > 0))];
  }

  private pullsRoute(
    method: string,
    req: Request,
    repo: RepositoryState,
    more: string[],
    headers: Record<string, string>,
  ): Reply {
    if (more.length === 2 && /^\d+$/.test(more[0]) && more[1] === 'merge') {
      const pull = repo.pulls.get(Number(more[0]));
      if (method === 'GET') {
        // "Check if a pull request has been merged".
        if (pull?.mergedAt) return { status: 204 };
        throw notFound(
          'Not Found',
          `${DOCS}/pulls/pulls#check-if-a-pull-request-has-been-merged`,
        );
      }
      if (method === 'PUT') return this.mergePull(req, repo, pull);
    }
    if (method !== 'GET') throw notFound();
    const views = this.views;
    if (more.length === 0) {
      const q = req.url.searchParams;
      const state = q.get('state') ?? 'open';
      const head = q.get('head');
      const base = q.get('base');
      let pulls = [...repo.pulls.values()].filter(
        p => state === 'all' || p.state === state,
      );
      if (head) {
        const colon = head.indexOf(':');
        const [owner, branch] =
          colon >= 0
            ? [head.slice(0, colon), head.slice(colon + 1)]
            : [repo.owner, head];
        pulls = pulls.filter(
          p =>
            owner.toLowerCase() === repo.owner.toLowerCase() &&
            p.head === branch,
        );
      }
      if (base) pulls = pulls.filter(p => p.base === base);
      const sortKey = q.get('sort') === 'updated' ? 'updatedAt' : 'createdAt';
      const asc = q.get('direction') === 'asc';
      pulls.sort((a, b) => {
        const cmp =
          compareStrings(a[sortKey], b[sortKey]) || a.number - b.number;
        return asc ? cmp : -cmp;
      });
      const page = paginate(req, views, pulls, headers);
      return { status: 200, body: page.map(p => views.pull(repo, p)), headers };
    }
    if (more.length === 1 && /^\d+$/.test(more[0])) {
      const pull = repo.pulls.get(Number(more[0]));
      if (!pull)
        throw notFound('Not Found', `${DOCS}/pulls/pulls#get-a-pull-request`);
      return { status: 200, body: views.pull(repo, pull, true) };
    }
    throw notFound();
  }

  private mergePull(
    req: Request,
    repo: RepositoryState,
    pull: PullRecord | undefined,
  ): Reply {
    const docs = `${DOCS}/pulls/pulls#merge-a-pull-request`;
    if (!pull) throw notFound('Not Found', docs);
    const body = requireObjectBody(req, docs);
    const title = optionalString(body, 'commit_title', docs);
    const message = optionalString(body, 'commit_message', docs);
    const sha = optionalString(body, 'sha', docs);
    const method = optionalString(body, 'merge_method', docs) ?? 'merge';
    const methods = ['merge', 'squash', 'rebase'];
    if (!methods.includes(method)) {
      throw new HttpError(422, {
        message: `Invalid request.\n\nFor 'properties/merge_method', ${JSON.stringify(
          method,
        )} is not one of ${JSON.stringify(methods)}.`,
        documentation_url: docs,
        status: '422',
      });
    }
    const headSha = repo.branches.get(pull.head);
    if (pull.state !== 'open' || !headSha || !repo.branches.has(pull.base)) {
      throw new HttpError(405, {
        message: 'Pull Request is not mergeable',
        documentation_url: docs,
        status: '405',
      });
    }
    if (sha !== undefined && sha !== headSha) {
      throw new HttpError(409, {
        message: 'Head branch was modified. Review and try the merge again.',
        documentation_url: docs,
        status: '409',
      });
    }
    const merged = this.state.mergePull(repo, pull, {
      method: method as 'merge' | 'squash' | 'rebase',
      title,
      message,
    });
    return {
      status: 200,
      body: {
        sha: merged,
        merged: true,
        message: 'Pull Request successfully merged',
      },
    };
  }

  // ---- git refs ---------------------------------------------------------------------------

  /**
   * The git refs API for branches: `GET git/ref/heads/{branch}`, `GET git/matching-refs/heads/
   * {prefix}`, `GET git/refs[/heads/...]`, `POST git/refs`, `PATCH` and `DELETE
   * git/refs/heads/{branch}`. Branch names may hold `/`, sent as they are or encoded.
   */
  private gitRoute(
    method: string,
    req: Request,
    repo: RepositoryState,
    more: string[],
  ): Reply {
    const [kind, ...rest] = more;
    const path = rest.map(decodeSegment).join('/');
    const branchOf = (ref: string) =>
      ref.startsWith('heads/') ? ref.slice('heads/'.length) : undefined;
    const refs = (prefix: string) =>
      [...repo.branches.entries()]
        .filter(([name]) => `heads/${name}`.startsWith(prefix))
        .sort(([a], [b]) => compareStrings(a, b))
        .map(([name, sha]) => this.views.ref(repo, name, sha));
    if (kind === 'ref' && method === 'GET' && path) {
      const branch = branchOf(path);
      const sha = branch === undefined ? undefined : repo.branches.get(branch);
      if (!sha) {
        throw notFound('Not Found', `${DOCS}/git/refs#get-a-reference`);
      }
      return { status: 200, body: this.views.ref(repo, branch!, sha) };
    }
    if (kind === 'matching-refs' && method === 'GET') {
      return { status: 200, body: refs(path) };
    }
    if (kind !== 'refs') throw notFound();
    if (method === 'POST' && !path) return this.createRef(req, repo);
    if (method === 'GET') {
      const branch = branchOf(path);
      const sha = branch === undefined ? undefined : repo.branches.get(branch);
      if (sha) return { status: 200, body: this.views.ref(repo, branch!, sha) };
      const matching = refs(path);
      if (matching.length === 0) {
        throw notFound('Not Found', `${DOCS}/git/refs#get-a-reference`);
      }
      return { status: 200, body: matching };
    }
    const branch = branchOf(path);
    if (method === 'PATCH' && path) {
      const docs = `${DOCS}/git/refs#update-a-reference`;
      const body = requireObjectBody(req, docs);
      const sha = optionalString(body, 'sha', docs);
      if (sha === undefined) {
        throw refError(`Invalid request.\n\n"sha" wasn't supplied.`, docs);
      }
      const force = optionalBoolean(body, 'force', docs) ?? false;
      if (branch === undefined || !repo.branches.has(branch)) {
        throw refError('Reference does not exist', docs);
      }
      const target = this.state.resolveRef(repo, sha);
      if (!target || target !== sha.toLowerCase()) {
        throw refError('Object does not exist', docs);
      }
      try {
        this.state.moveBranch(repo.owner, repo.name, branch, target, { force });
      } catch (error) {
        if (error instanceof GitHubStateRefError) {
          throw refError(error.message, docs);
        }
        throw error;
      }
      return { status: 200, body: this.views.ref(repo, branch, target) };
    }
    if (method === 'DELETE' && path) {
      const docs = `${DOCS}/git/refs#delete-a-reference`;
      if (branch === undefined || !repo.branches.has(branch)) {
        throw refError('Reference does not exist', docs);
      }
      try {
        this.state.deleteBranch(repo.owner, repo.name, branch);
      } catch (error) {
        if (error instanceof GitHubStateRefError) {
          throw refError(error.message, docs);
        }
        throw error;
      }
      return { status: 204 };
    }
    throw notFound();
  }

  private createRef(req: Request, repo: RepositoryState): Reply {
    const docs = `${DOCS}/git/refs#create-a-reference`;
    const body = requireObjectBody(req, docs);
    const ref = optionalString(body, 'ref', docs);
    const sha = optionalString(body, 'sha', docs);
    for (const [field, value] of [
      ['ref', ref],
      ['sha', sha],
    ] as const) {
      if (value === undefined) {
        throw refError(`Invalid request.\n\n"${field}" wasn't supplied.`, docs);
      }
    }
    const match = /^refs\/heads\/(.+)$/.exec(ref!);
    if (!ref!.startsWith('refs/') || ref!.split('/').length < 3 || !match) {
      // GitHub's answer to a ref without `refs/` and two slashes; the sandbox has branches only.
      throw refError('Reference update failed', docs);
    }
    const branch = match[1];
    const target = this.state.resolveRef(repo, sha!);
    if (!target || target !== sha!.toLowerCase()) {
      throw refError('Object does not exist', docs);
    }
    if (repo.branches.has(branch)) {
      throw refError('Reference already exists', docs);
    }
    this.state.createBranch(repo.owner, repo.name, branch, target);
    const view = this.views.ref(repo, branch, target);
    return { status: 201, body: view, headers: { location: view.url } };
  }

  // ---- deployments ------------------------------------------------------------------------

  private deploymentsRoute(
    method: string,
    req: Request,
    repo: RepositoryState,
    more: string[],
    headers: Record<string, string>,
  ): Reply {
    const views = this.views;
    if (more.length === 0) {
      if (method === 'GET') {
        const q = req.url.searchParams;
        let list = [...repo.deployments.values()].sort((a, b) => b.id - a.id);
        const sha = q.get('sha');
        if (sha) list = list.filter(d => d.sha === sha.toLowerCase());
        const ref = q.get('ref');
        if (ref) list = list.filter(d => d.ref === ref);
        const task = q.get('task');
        if (task) list = list.filter(d => d.task === task);
        const environment = q.get('environment');
        if (environment) list = list.filter(d => d.environment === environment);
        const page = paginate(req, views, list, headers);
        return {
          status: 200,
          body: page.map(d => views.deployment(repo, d)),
          headers,
        };
      }
      if (method === 'POST') return this.createDeployment(req, repo);
      throw notFound();
    }
    if (!/^\d+$/.test(more[0])) throw notFound();
    const deployment = repo.deployments.get(Number(more[0]));
    if (!deployment)
      throw notFound(
        'Not Found',
        `${DOCS}/deployments/deployments#get-a-deployment`,
      );
    if (more.length === 1 && method === 'GET') {
      return { status: 200, body: views.deployment(repo, deployment) };
    }
    if (more[1] !== 'statuses') throw notFound();
    if (more.length === 2 && method === 'GET') {
      const all = this.state.deploymentStatusesFor(repo, deployment.id);
      const page = paginate(req, views, all, headers);
      return {
        status: 200,
        body: page.map(s => views.deploymentStatus(repo, s)),
        headers,
      };
    }
    if (more.length === 2 && method === 'POST') {
      return this.createDeploymentStatus(req, repo, deployment);
    }
    if (more.length === 3 && method === 'GET') {
      const status = this.state
        .deploymentStatusesFor(repo, deployment.id)
        .find(s => String(s.id) === more[2]);
      if (!status) throw notFound();
      return { status: 200, body: views.deploymentStatus(repo, status) };
    }
    throw notFound();
  }

  private createDeployment(req: Request, repo: RepositoryState): Reply {
    const docs = `${DOCS}/deployments/deployments#create-a-deployment`;
    const body = requireObjectBody(req, docs);
    const ref = body.ref;
    if (ref === undefined || ref === null || ref === '') {
      throw validationFailed(
        [{ resource: 'Deployment', code: 'missing_field', field: 'ref' }],
        docs,
      );
    }
    if (typeof ref !== 'string')
      throw invalidRequest('ref', ref, 'a string', docs);
    const explicitSha = optionalString(body, 'sha', docs);
    const environment = optionalString(body, 'environment', docs);
    const description = optionalString(body, 'description', docs);
    const task = optionalString(body, 'task', docs);
    optionalBoolean(body, 'auto_merge', docs);
    const transient = optionalBoolean(body, 'transient_environment', docs);
    const production = optionalBoolean(body, 'production_environment', docs);
    const requiredContexts = optionalStringArray(
      body,
      'required_contexts',
      docs,
    );
    let payload: unknown = body.payload ?? {};
    if (
      typeof payload !== 'string' &&
      (typeof payload !== 'object' || Array.isArray(payload))
    ) {
      throw invalidRequest('payload', payload, 'an object or a string', docs);
    }
    // `sha` (a sandbox extension) pins the commit; otherwise `ref` must resolve.
    const field = explicitSha !== undefined ? 'sha' : 'ref';
    const wanted = explicitSha ?? ref;
    const sha = this.state.resolveRef(repo, wanted);
    if (!sha) {
      throw validationFailed(
        [
          {
            resource: 'Deployment',
            field,
            code: 'invalid',
            message: `No ref found for: ${wanted}`,
          },
        ],
        docs,
      );
    }
    // GitHub verifies commit statuses before creating a deployment: every context when
    // `required_contexts` is omitted, the listed ones otherwise; `[]` skips the check.
    const latest = this.state.latestStatusesFor(repo, sha);
    const required = requiredContexts ?? latest.map(s => s.context);
    const failing = required
      .map(context => ({
        context,
        state: latest.find(s => s.context === context)?.state ?? 'missing',
      }))
      .filter(c => c.state !== 'success');
    if (failing.length > 0) {
      throw new HttpError(409, {
        message: `Conflict: Commit status checks failed for ${ref}.`,
        errors: [
          {
            contexts: failing,
            resource: 'Deployment',
            field: 'required_contexts',
            code: 'invalid',
          },
        ],
        documentation_url: docs,
        status: '409',
      });
    }
    if (typeof payload === 'string') {
      try {
        payload = payload === '' ? {} : JSON.parse(payload);
      } catch {
        // GitHub keeps a non-JSON string payload as it is.
      }
    }
    const deployment = this.state.createDeployment(repo, {
      ref,
      sha,
      task,
      environment,
      description,
      payload,
      transientEnvironment: transient,
      productionEnvironment: production,
    });
    return { status: 201, body: this.views.deployment(repo, deployment) };
  }

  private createDeploymentStatus(
    req: Request,
    repo: RepositoryState,
    deployment: DeploymentRecord,
  ): Reply {
    const docs = `${DOCS}/deployments/statuses#create-a-deployment-status`;
    const body = requireObjectBody(req, docs);
    const state = body.state;
    if (state === undefined || state === null) {
      throw validationFailed(
        [
          {
            resource: 'DeploymentStatus',
            field: 'state',
            code: 'missing_field',
          },
        ],
        docs,
      );
    }
    if (
      typeof state !== 'string' ||
      !DEPLOYMENT_STATUS_STATES.includes(state as DeploymentStatusState)
    ) {
      throw validationFailed(
        [
          {
            resource: 'DeploymentStatus',
            field: 'state',
            code: 'invalid',
            message: `state must be one of ${DEPLOYMENT_STATUS_STATES.join(
              ', ',
            )}`,
          },
        ],
        docs,
      );
    }
    const logUrl =
      optionalString(body, 'log_url', docs) ??
      optionalString(body, 'target_url', docs);
    const status = this.state.createDeploymentStatus(repo, deployment, {
      state: state as DeploymentStatusState,
      description: optionalString(body, 'description', docs),
      environment: optionalString(body, 'environment', docs),
      logUrl,
      environmentUrl: optionalString(body, 'environment_url', docs),
      autoInactive: optionalBoolean(body, 'auto_inactive', docs),
    });
    return { status: 201, body: this.views.deploymentStatus(repo, status) };
  }

  // ---- sandbox control --------------------------------------------------------------------

  private sandboxRoute(
    method: string,
    req: Request,
    repo: RepositoryState,
    rest: string[],
  ): Reply {
    const docs = `${this.views.html}/_sandbox`;
    const body = method === 'POST' ? requireObjectBody(req, docs) : {};
    const checks = (): SeedCheck[] | undefined => {
      const v = body.checks;
      if (v === undefined || v === null) return undefined;
      const valid =
        Array.isArray(v) &&
        v.every(
          c =>
            c &&
            typeof c === 'object' &&
            typeof (c as Body).name === 'string' &&
            SEED_CHECK_STATES.includes((c as Body).state as SeedCheck['state']),
        );
      if (!valid) {
        throw validationFailed(
          [
            {
              resource: 'Commit',
              field: 'checks',
              code: 'invalid',
              message:
                'checks must be [{name, state: success|failure|pending}]',
            },
          ],
          docs,
        );
      }
      return v as SeedCheck[];
    };
    if (method === 'POST' && rest.length === 1 && rest[0] === 'commits') {
      if (repo.git) {
        // Its commits come from git pushes; a commit made up here would not exist in git.
        throw new HttpError(422, {
          message: `${repo.owner}/${
            repo.name
          } has a git repository: push commits to ${this.views.repoHtml(
            repo,
          )}.git`,
          documentation_url: docs,
          status: '422',
        });
      }
      const message = body.message;
      if (typeof message !== 'string' || message === '') {
        throw validationFailed(
          [{ resource: 'Commit', field: 'message', code: 'missing_field' }],
          docs,
        );
      }
      const branch = optionalString(body, 'branch', docs) ?? repo.defaultBranch;
      const sha = this.state.addCommit(repo.owner, repo.name, branch, {
        message,
        checks: checks(),
        authorLogin:
          optionalString(body, 'authorLogin', docs) ??
          optionalString(body, 'author_login', docs),
      });
      return {
        status: 201,
        body: this.views.commit(repo, repo.commits.get(sha)!, true),
      };
    }
    if (
      method === 'POST' &&
      rest.length === 1 &&
      (rest[0] === 'checks' || rest[0] === 'check-runs')
    ) {
      const ref =
        optionalString(body, 'sha', docs) ?? optionalString(body, 'ref', docs);
      const name = optionalString(body, 'name', docs);
      const state = body.state as SeedCheck['state'];
      if (!ref || !name || !SEED_CHECK_STATES.includes(state)) {
        throw validationFailed(
          [
            {
              resource: 'CheckRun',
              code: 'invalid',
              message: 'expected {sha, name, state: success|failure|pending}',
            },
          ],
          docs,
        );
      }
      const commit = this.state.getCommit(repo, ref);
      if (!commit) throw notFound(`No commit found for SHA: ${ref}`);
      this.state.setCheck(repo.owner, repo.name, commit.sha, name, state);
      const run = this.state
        .checkRunsFor(repo, commit.sha)
        .find(r => r.name === name)!;
      return { status: 200, body: this.views.checkRun(repo, run) };
    }
    if (method === 'DELETE' && rest.length >= 2 && rest[0] === 'branches') {
      const name = rest.slice(1).map(decodeSegment).join('/');
      if (!repo.branches.has(name)) throw notFound('Branch not found');
      try {
        this.state.deleteBranch(repo.owner, repo.name, name);
      } catch (error) {
        if (error instanceof GitHubStateRefError) {
          throw refError(error.message, docs);
        }
        throw error;
      }
      return { status: 204 };
    }
    if (method === 'POST' && rest.length === 1 && rest[0] === 'branches') {
      const name =
        optionalString(body, 'name', docs) ??
        optionalString(body, 'branch', docs);
      if (!name) {
        throw validationFailed(
          [{ resource: 'Branch', field: 'name', code: 'missing_field' }],
          docs,
        );
      }
      const from =
        optionalString(body, 'from', docs) ?? optionalString(body, 'sha', docs);
      if (from !== undefined && !this.state.resolveRef(repo, from)) {
        throw notFound(`No commit found for SHA: ${from}`);
      }
      const sha = this.state.createBranch(repo.owner, repo.name, name, from);
      return { status: 201, body: this.views.branch(repo, name, sha) };
    }
    throw notFound();
  }
}

function rateLimit(core: RateLimitWindow) {
  const bucket = (limit: number) => ({
    limit,
    used: 0,
    remaining: limit,
    reset: core.reset,
  });
  return {
    resources: {
      core,
      search: bucket(30),
      graphql: bucket(5000),
      integration_manifest: bucket(5000),
      code_search: bucket(10),
    },
    rate: core,
  };
}

/** GitHub's answer once the primary rate limit is used up. */
function rateLimitExceeded(): HttpError {
  return new HttpError(403, {
    message:
      "API rate limit exceeded. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)",
    documentation_url: `${DOCS}/overview/rate-limits-for-the-rest-api`,
    status: '403',
  });
}

// ---- HTML pages (targets of html_url) -------------------------------------------------------

function avatarSvg(login: string): string {
  const initials = escapeHtml(login.slice(0, 2).toUpperCase());
  let hash = 0;
  for (const ch of login) hash = (hash * 31 + ch.charCodeAt(0)) % 360;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64"><rect width="64" height="64" rx="8" fill="hsl(${hash},55%,45%)"/><text x="32" y="41" font-family="sans-serif" font-size="24" fill="#fff" text-anchor="middle">${initials}</text></svg>`;
}

function htmlPage(state: GitHubState, segments: string[]): Reply | undefined {
  const parts = segments.map(s => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  const page = (title: string, content: string): Reply => ({
    status: 200,
    raw: {
      contentType: 'text/html; charset=utf-8',
      text: `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(
        title,
      )}</title></head><body style="font-family:sans-serif;max-width:60em;margin:2em auto">${content}</body></html>`,
    },
  });
  if (parts.length === 1) {
    if (!state.hasUser(parts[0])) return undefined;
    return page(
      parts[0],
      `<h1>${escapeHtml(parts[0])}</h1><p>Sandbox GitHub user.</p>`,
    );
  }
  const repo = state.getRepository(parts[0], parts[1]);
  if (!repo) return undefined;
  const full = `${repo.owner}/${repo.name}`;
  const [kind, ...rest] = parts.slice(2);
  const arg = rest.join('/');
  const header = `<p><a href="/${escapeHtml(full)}">${escapeHtml(
    full,
  )}</a> (sandbox)</p>`;
  if (kind === 'commit' && arg) {
    const c = state.getCommit(repo, arg);
    if (!c) return undefined;
    const checks = state
      .latestStatusesFor(repo, c.sha)
      .map(
        s => `<li>${escapeHtml(s.context)}: <b>${escapeHtml(s.state)}</b></li>`,
      )
      .join('');
    return page(
      `${c.message} · ${full}@${c.sha.slice(0, 7)}`,
      `${header}<h1>${escapeHtml(c.message)}</h1><p><code>${
        c.sha
      }</code> by ${escapeHtml(c.authorName)} &lt;${escapeHtml(
        c.authorEmail,
      )}&gt; on ${escapeHtml(c.date)}</p><ul>${checks}</ul>`,
    );
  }
  if ((kind === 'issues' || kind === 'pull') && /^\d+$/.test(arg)) {
    const item = repo.issues.get(Number(arg)) ?? repo.pulls.get(Number(arg));
    if (!item) return undefined;
    return page(
      `${item.title} · #${item.number} · ${full}`,
      `${header}<h1>${escapeHtml(item.title)} #${
        item.number
      }</h1><p>State: <b>${item.state}</b></p><p>${escapeHtml(
        item.body ?? '',
      )}</p>`,
    );
  }
  if (kind === 'runs' && /^\d+$/.test(arg)) {
    const run = repo.checkRuns.find(r => String(r.id) === arg);
    if (!run) return undefined;
    return page(
      `${run.name} · ${full}`,
      `${header}<h1>Check run ${escapeHtml(
        run.name,
      )}</h1><p>Commit <a href="/${escapeHtml(full)}/commit/${
        run.headSha
      }"><code>${run.headSha.slice(0, 7)}</code></a>: ${run.status}${
        run.conclusion ? ` / <b>${run.conclusion}</b>` : ''
      }</p>`,
    );
  }
  if (
    kind === undefined ||
    kind === 'tree' ||
    kind === 'compare' ||
    kind === 'commits'
  ) {
    const branches = [...repo.branches.entries()]
      .map(
        ([b, sha]) =>
          `<li>${escapeHtml(b)}: <a href="/${escapeHtml(
            full,
          )}/commit/${sha}"><code>${sha.slice(0, 7)}</code></a></li>`,
      )
      .join('');
    return page(
      full,
      `${header}<h1>${escapeHtml(full)}</h1><p>${escapeHtml(
        repo.description,
      )}</p>${
        arg
          ? `<p>${escapeHtml(kind ?? '')}: <code>${escapeHtml(arg)}</code></p>`
          : ''
      }<h2>Branches</h2><ul>${branches}</ul>`,
    );
  }
  return page(full, `${header}<p>${escapeHtml(parts.slice(2).join('/'))}</p>`);
}

// ---- server ---------------------------------------------------------------------------------

function readBody(req: http.IncomingMessage): Promise<string> {
  return readBodyBytes(
    req,
    MAX_BODY_BYTES,
    () =>
      new HttpError(413, {
        message: 'Payload too large',
        documentation_url: DOCS,
      }),
  ).then(body => body.toString('utf8'));
}

function isAuthorized(header: string | undefined, token: string): boolean {
  const match = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(header ?? '');
  return !!match && match[1] === token;
}

const API_PREFIXES = new Set([
  'repos',
  '_sandbox',
  'rate_limit',
  'users',
  'user',
  'orgs',
]);

/** Whether git's `Authorization` carries the token: Basic (as password or user name) or bearer. */
function gitAuthorized(header: string | undefined, token: string): boolean {
  const basic = /^basic\s+(\S+)\s*$/i.exec(header ?? '');
  if (!basic) return isAuthorized(header, token);
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = colon < 0 ? decoded : decoded.slice(0, colon);
  const password = colon < 0 ? '' : decoded.slice(colon + 1);
  return password === token || user === token;
}

const DEFAULT_CI_CHECKS = ['build', 'unit-tests', 'lint'];

/**
 * The git side of the repositories created through the API: their bare repositories, served
 * over smart HTTP; what is pushed to them recorded in the state (commits, branches, the
 * webhooks that follow); the simulated CI on pushed heads; branch moves made through the API
 * (git refs API, `_sandbox` branches) mirrored into git. Seeded repositories have no git side.
 */
class GitSide {
  readonly hooks: RepositoryHooks;
  readonly #state: GitHubState;
  readonly #repos: GitRepositories;
  readonly #token: string | undefined;
  readonly #ci: GitHubCiOptions | false;
  /** Per repository: the work (recording a push, mirroring a move) in order. */
  readonly #queues = new Map<string, Promise<void>>();
  /** The CI runs under way (their completion timers). */
  readonly #ciRuns = new Set<ReturnType<typeof setTimeout>>();
  readonly #unsubscribe: () => void;
  /** Set while a push read from git is recorded: its changes need no mirroring. */
  #recording = false;

  constructor(
    state: GitHubState,
    repos: GitRepositories,
    options: Pick<GitHubServerOptions, 'token' | 'ci'>,
  ) {
    this.#state = state;
    this.#repos = repos;
    this.#token = options.token;
    this.#ci = options.ci ?? {};
    this.hooks = {
      created: repo =>
        this.#repos.init(repo.owner, repo.name, repo.defaultBranch),
      deleted: repo =>
        this.#enqueue(repo, () => this.#repos.remove(repo.owner, repo.name)),
      defaultBranchChanged: repo =>
        this.#enqueue(repo, () =>
          this.#repos.setHead(repo.owner, repo.name, repo.defaultBranch),
        ),
      read: (owner, name, sha, path) =>
        this.#repos.read(owner, name, sha, path),
    };
    this.#unsubscribe = state.onChange(change => {
      if (this.#recording || !change.repo.git || change.kind !== 'push') {
        return;
      }
      const { repo } = change;
      this.#enqueue(repo, () =>
        this.#repos
          .updateRef(
            repo.owner,
            repo.name,
            change.branch,
            change.deleted ? null : change.after,
          )
          // A commit the state made up (a merged pull request) does not exist in git.
          .catch(() => {}),
      ).catch(() => {});
    });
  }

  #enqueue(repo: RepositoryState, work: () => Promise<void>): Promise<void> {
    const key = `${repo.owner}/${repo.name}`.toLowerCase();
    const run = (this.#queues.get(key) ?? Promise.resolve()).then(work);
    const settled = run.catch(() => {});
    this.#queues.set(key, settled);
    settled.then(() => {
      if (this.#queues.get(key) === settled) this.#queues.delete(key);
    });
    return run;
  }

  /** Answers a smart HTTP request (clone, fetch, push). */
  async serve(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    request: GitRequest,
    url: URL,
  ): Promise<void> {
    const repo = this.#state.getRepository(request.owner, request.repo);
    const authorized =
      this.#token === undefined ||
      gitAuthorized(req.headers.authorization, this.#token);
    const text = (status: number, body: string, headers = {}) => {
      res.writeHead(status, {
        'content-type': 'text/plain; charset=utf-8',
        ...headers,
      });
      res.end(body);
    };
    // Public repositories can be read without credentials; anything else needs the token
    // (and, like GitHub, a missing or private repository looks the same without it).
    const anonymousRead =
      request.service === 'upload' && !!repo && !repo.settings.private;
    if (!authorized && !anonymousRead) {
      text(
        401,
        req.headers.authorization
          ? 'Invalid username or token. Password authentication is not supported for Git operations.\n'
          : '',
        { 'www-authenticate': 'Basic realm="GitHub"' },
      );
      req.resume();
      return;
    }
    if (
      !repo ||
      !repo.git ||
      !(await this.#repos.exists(repo.owner, repo.name))
    ) {
      // Seeded repositories have no git repository: they cannot be cloned.
      text(404, 'Repository not found.\n');
      req.resume();
      return;
    }
    if (request.service === 'receive' && repo.settings.archived) {
      text(403, 'This repository was archived so it is read-only.\n');
      req.resume();
      return;
    }
    const status = await runHttpBackend(req, res, {
      projectRoot: this.#repos.root,
      pathInfo: `/${this.#repos.relativePath(repo.owner, repo.name)}/${
        request.path
      }`,
      query: url.search.replace(/^\?/, ''),
      remoteUser: this.#state.viewerLogin,
    });
    if (
      request.service === 'receive' &&
      request.path === 'git-receive-pack' &&
      status === 200
    ) {
      // Recorded before the client sees the end of the answer: once its push returns, the
      // API shows the commits.
      await this.#enqueue(repo, () => this.#record(repo));
    }
    res.end();
  }

  /** Reads the branches and new commits of a repository's git and records the push. */
  async #record(repo: RepositoryState): Promise<void> {
    if (this.#state.getRepository(repo.owner, repo.name) !== repo) return;
    const branches = await this.#repos.branches(repo.owner, repo.name);
    const commits = await this.#repos.commits(
      repo.owner,
      repo.name,
      repo.branches.values(),
    );
    const names = [...branches.keys()].sort((a, b) => {
      if (a === repo.defaultBranch) return -1;
      if (b === repo.defaultBranch) return 1;
      return compareStrings(a, b);
    });
    const refs: PushedRef[] = [];
    for (const name of names) {
      const sha = branches.get(name)!;
      if (repo.branches.get(name) !== sha) refs.push({ branch: name, sha });
    }
    for (const name of repo.branches.keys()) {
      if (!branches.has(name)) refs.push({ branch: name, sha: null });
    }
    if (refs.length === 0) return;
    const defaultBranch = repo.defaultBranch;
    let heads: Array<{ branch: string; sha: string }>;
    this.#recording = true;
    try {
      heads = this.#state.recordPush(repo.owner, repo.name, {
        commits: commits.map(c => ({
          ...c,
          authorLogin: this.#state.loginForEmail(c.authorEmail),
        })),
        refs,
        pusher: this.#state.viewerLogin,
      });
    } finally {
      this.#recording = false;
    }
    if (repo.defaultBranch !== defaultBranch) {
      await this.#repos.setHead(repo.owner, repo.name, repo.defaultBranch);
    }
    for (const sha of new Set(heads.map(h => h.sha))) this.#runCi(repo, sha);
  }

  /** The simulated CI on a pushed head: check runs start now and complete after the delay. */
  #runCi(repo: RepositoryState, sha: string) {
    if (this.#ci === false) return;
    const checks = this.#ci.checks ?? DEFAULT_CI_CHECKS;
    const conclusion = this.#ci.conclusion ?? 'success';
    for (const name of checks) {
      this.#state.setCheck(repo.owner, repo.name, sha, name, 'pending');
    }
    const timer = setTimeout(() => {
      this.#ciRuns.delete(timer);
      if (this.#state.getRepository(repo.owner, repo.name) === repo) {
        for (const name of checks) {
          this.#state.setCheck(repo.owner, repo.name, sha, name, conclusion);
        }
      }
    }, this.#ci.delayMs ?? 1000);
    this.#ciRuns.add(timer);
  }

  /** Resolves once the recorded work is done and the CI runs have completed. */
  async idle(): Promise<void> {
    for (;;) {
      const waiting = [...this.#queues.values()];
      if (waiting.length === 0 && this.#ciRuns.size === 0) return;
      await Promise.all(waiting);
      if (this.#ciRuns.size > 0) {
        await new Promise(resolve => setTimeout(resolve, 20));
      }
    }
  }

  async close(): Promise<void> {
    this.#unsubscribe();
    for (const timer of this.#ciRuns) clearTimeout(timer);
    this.#ciRuns.clear();
    await Promise.all([...this.#queues.values()]);
  }
}

/** Starts the GitHub API emulator; resolves once it listens. */
export async function startGitHubServer(
  options: GitHubServerOptions,
): Promise<GitHubServer> {
  const state = new GitHubState(options.repositories, {
    now: options.now,
    organizations: options.organizations,
  });
  const host = options.host ?? '127.0.0.1';
  const gitRepos = await GitRepositories.create();
  const git = new GitSide(state, gitRepos, options);
  // Set once the server listens (links need the port); requests cannot arrive before that.
  const context: { router?: Router } = {};
  const budget = new GitHubBudget({ limit: options.rateLimit ?? 5000 });

  const server = http.createServer((req, res) => {
    const gitUrl = new URL(req.url ?? '/', 'http://sandbox.invalid');
    const gitRequest = parseGitRequest(gitUrl.pathname, gitUrl.searchParams);
    if (gitRequest) {
      git.serve(req, res, gitRequest, gitUrl).catch(error => {
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        }
        res.end(`${error instanceof Error ? error.message : String(error)}\n`);
      });
      return;
    }
    const requestId = randomUUID().toUpperCase();
    /** Set once the request reached the API routes (authenticated): it is counted. */
    let api: { route: string; refused?: boolean } | undefined;
    const send = (reply: Reply) => {
      if (api) {
        budget.record(api.route, {
          notModified: reply.status === 304,
          free: api.route === 'GET /rate_limit',
          refused: api.refused,
        });
      }
      const headers: Record<string, string> = {
        'access-control-allow-origin': '*',
        'access-control-expose-headers':
          'ETag, Link, Location, Retry-After, X-GitHub-OTP, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Used, X-RateLimit-Resource, X-RateLimit-Reset, X-GitHub-Request-Id',
        'x-github-request-id': requestId,
        ...reply.headers,
      };
      let text = '';
      if (reply.raw) {
        headers['content-type'] = reply.raw.contentType;
        text = reply.raw.text;
      } else if (reply.body !== undefined) {
        headers['content-type'] = 'application/json; charset=utf-8';
        headers['x-github-media-type'] = 'github.v3; format=json';
        headers['x-github-api-version-selected'] = '2022-11-28';
        text = `${JSON.stringify(reply.body, null, 2)}\n`;
      }
      if (api) Object.assign(headers, budget.headers());
      headers['content-length'] = String(Buffer.byteLength(text));
      res.writeHead(reply.status, headers);
      res.end(req.method === 'HEAD' ? undefined : text);
    };

    const run = async (): Promise<Reply> => {
      const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
      const segments = url.pathname.split('/').filter(s => s.length > 0);
      const method = (req.method ?? 'GET').toUpperCase();
      if (method === 'OPTIONS') {
        return {
          status: 204,
          headers: {
            'access-control-allow-methods':
              'GET, POST, PATCH, PUT, DELETE, HEAD, OPTIONS',
            'access-control-allow-headers':
              'Authorization, Content-Type, Accept, If-None-Match, If-Modified-Since, X-GitHub-Api-Version, User-Agent',
            'access-control-max-age': '86400',
          },
        };
      }
      // Browser pages behind html_url links: no token needed.
      if (method === 'GET' || method === 'HEAD') {
        if (segments[0] === 'avatars' && segments.length === 2) {
          return {
            status: 200,
            raw: {
              contentType: 'image/svg+xml',
              text: avatarSvg(decodeSegment(segments[1])),
            },
            headers: { 'cache-control': 'public, max-age=86400' },
          };
        }
        if (segments.length > 0 && !API_PREFIXES.has(segments[0])) {
          const page = htmlPage(state, segments);
          if (page) return page;
        }
      }
      if (
        options.token !== undefined &&
        !isAuthorized(req.headers.authorization, options.token)
      ) {
        throw new HttpError(401, {
          message: 'Bad credentials',
          documentation_url: DOCS,
          status: '401',
        });
      }
      const raw = await readBody(req);
      let body: Json;
      if (raw.trim().length > 0) {
        try {
          body = JSON.parse(raw);
        } catch {
          throw new HttpError(400, {
            message: 'Problems parsing JSON',
            documentation_url: DOCS,
            status: '400',
          });
        }
      }
      api = { route: routeKey(method, segments) };
      const free = api.route === 'GET /rate_limit';
      const refuse = () => {
        api!.refused = true;
        return rateLimitExceeded();
      };
      const safe = method === 'GET' || method === 'HEAD';
      // Changes are refused before they happen; reads once it is known they are not a 304.
      if (!safe && budget.exhausted()) throw refuse();
      let reply: Reply;
      try {
        reply = await context.router!.handle({
          method,
          url,
          segments,
          headers: req.headers,
          body,
        });
      } catch (error) {
        if (safe && !free && budget.exhausted()) throw refuse();
        throw error;
      }
      if (safe && reply.status === 200 && reply.body !== undefined) {
        const etag = entityTag(JSON.stringify(reply.body));
        if (matchesEntityTag(req.headers['if-none-match'], etag)) {
          return { status: 304, headers: { etag } };
        }
        if (!free && budget.exhausted()) throw refuse();
        reply.headers = { ...reply.headers, etag };
      }
      return reply;
    };

    run().then(send, (error: unknown) => {
      if (error instanceof HttpError) {
        send({ status: error.status, body: error.body });
      } else if (error instanceof GitHubStateNotFoundError) {
        send({
          status: 404,
          body: {
            message: error.message,
            documentation_url: DOCS,
            status: '404',
          },
        });
      } else {
        send({
          status: 500,
          body: {
            message: `Server Error: ${
              error instanceof Error ? error.message : String(error)
            }`,
            documentation_url: DOCS,
            status: '500',
          },
        });
      }
    });
  });

  let listening: Awaited<ReturnType<typeof listen>>;
  try {
    listening = await listen(server, options.port, host);
  } catch (error) {
    await git.close();
    await gitRepos.close();
    throw error;
  }
  const { url, close } = listening;
  const publicUrl = (options.publicUrl ?? url).replace(/\/+$/, '');
  const views = new Views(state, publicUrl, publicUrl);
  context.router = new Router(
    state,
    views,
    budget,
    git.hooks,
    options.teams ?? {},
  );
  const webhooks = options.webhooks;
  const unsubscribe = webhooks
    ? state.onChange(change => {
        const { event, payload } = webhookOf(state, views, change);
        webhooks.send(event, payload, {
          key: `${change.repo.owner}/${change.repo.name}`,
          ...(change.deliveryId ? { deliveryId: change.deliveryId } : {}),
        });
      })
    : () => {};

  return {
    url,
    state,
    webhooks,
    renderRepository: (owner, repo) => {
      const found = state.getRepository(owner, repo);
      return found ? views.repository(found) : undefined;
    },
    renderUser: login => views.user(login),
    gitRoot: gitRepos.root,
    idle: () => git.idle(),
    calls: () => budget.calls(),
    resetCalls: () => budget.resetCalls(),
    close: async () => {
      unsubscribe();
      await close();
      await git.close();
      await gitRepos.close();
    },
  };
}

/** The webhook delivery GitHub sends for a change, rendered now (the records are live). */
function webhookOf(
  state: GitHubState,
  views: Views,
  change: GitHubStateChange,
): { event: string; payload: Record<string, unknown> } {
  const repository = views.repository(change.repo);
  const sender = views.user(state.viewerLogin);
  const pushCommit = (c: CommitRecord) => ({
    sha: c.sha,
    message: c.message,
    timestamp: c.date,
    author: {
      name: c.authorName,
      email: c.authorEmail,
      // GitHub leaves `username` out for an author email it does not know.
      ...(c.authorLogin ? { username: c.authorLogin } : {}),
    },
  });
  if (change.kind === 'push') {
    const head =
      change.commits[change.commits.length - 1] ??
      (change.deleted ? undefined : change.repo.commits.get(change.after));
    const pusherLogin = change.pusher ?? head?.authorLogin ?? state.viewerLogin;
    const knownEmail = [...change.repo.commits.values()].find(
      c => c.authorLogin === pusherLogin,
    )?.authorEmail;
    const at = Date.parse(change.at ?? state.nowIso());
    return {
      event: 'push',
      payload: pushPayload({
        repository,
        ref: `refs/heads/${change.branch}`,
        before: change.before ?? NULL_SHA,
        after: change.after,
        commits: change.commits.map(pushCommit),
        ...(head && change.commits.length === 0
          ? { headCommit: pushCommit(head) }
          : {}),
        pushedAt: change.at
          ? at
          : Math.max(at, head ? Date.parse(head.date) : 0),
        pusher: {
          name: pusherLogin,
          email:
            change.pusher === undefined && head
              ? head.authorEmail
              : knownEmail ?? `${pusherLogin}@users.noreply.sandbox.local`,
        },
        sender: views.user(pusherLogin),
        created: change.created,
        deleted: change.deleted,
        forced: change.forced,
        baseRef: change.baseRef ?? null,
      }),
    };
  }
  if (change.kind === 'create' || change.kind === 'delete') {
    const render = change.kind === 'create' ? createPayload : deletePayload;
    return {
      event: change.kind,
      payload: render({
        ref: change.branch,
        repository,
        sender: views.user(change.sender),
      }),
    };
  }
  if (change.kind === 'pull_request') {
    return {
      event: 'pull_request',
      payload: pullRequestPayload({
        action: change.action,
        pullRequest: views.pull(change.repo, change.pull, true),
        repository,
        sender: views.user(change.sender),
      }),
    };
  }
  if (change.kind === 'issue') {
    return {
      event: 'issues',
      payload: issuesPayload({
        action: change.action,
        issue: views.issue(change.repo, change.issue),
        repository,
        sender,
        ...(change.label
          ? { label: views.labels(change.repo, [change.label])[0] }
          : {}),
        ...(change.changes ? { changes: change.changes } : {}),
      }),
    };
  }
  return {
    event: 'deployment_status',
    payload: deploymentStatusPayload({
      deploymentStatus: views.deploymentStatus(change.repo, change.status),
      deployment: views.deployment(change.repo, change.deployment),
      repository,
      sender,
    }),
  };
}
