import { Octokit } from '@octokit/rest';
import {
  DefaultGithubCredentialsProvider,
  GithubIntegrationConfig,
  ScmIntegrations,
} from '@backstage/integration';
import { Config } from '@backstage/config';
import { NotFoundError } from '@backstage/errors';
import {
  CiCheck,
  checkRunState,
  commitStatusState,
} from '@internal/plugin-delivery-common';
import {
  UpstreamError,
  describeNetworkError,
  isUnreachable,
} from '../UpstreamError';
import {
  BlockingIssue,
  Commit,
  CommitPlacement,
  DeploymentState,
  GitHubProvider,
  RepositoryInfo,
} from './GitHubProvider';
import { GitHubResponseCache } from './GitHubResponseCache';

/** A full commit sha: facts about it may be cached (a branch name or short sha may move). */
const FULL_SHA = /^[0-9a-f]{40}$/;
/** GitHub lists at most 1000 check runs of a ref: 10 pages of 100. */
const MAX_PAGES = 10;

/**
 * {@link GitHubProvider} over `@octokit/rest`, with credentials and API base URL from the
 * `integrations.github` entry of the configured host. With a {@link GitHubResponseCache}, reads
 * are conditional requests (GitHub answers 304, free under its rate limit, when nothing
 * changed) and settled facts of a commit (all CI finished, on the branch) are reused.
 */
export class OctokitGitHubProvider implements GitHubProvider {
  readonly #integration: GithubIntegrationConfig;
  readonly #credentials: DefaultGithubCredentialsProvider;
  readonly #timeoutMs: number;
  readonly #cache?: GitHubResponseCache;

  static fromConfig(
    config: Config,
    options: { host: string; timeoutMs: number; cache?: GitHubResponseCache },
  ) {
    const integrations = ScmIntegrations.fromConfig(config);
    const integration = integrations.github.byHost(options.host);
    if (!integration) {
      throw new Error(
        `delivery.github.host is '${options.host}', but integrations.github has no entry for that host`,
      );
    }
    return new OctokitGitHubProvider(
      integration.config,
      DefaultGithubCredentialsProvider.fromIntegrations(integrations),
      options.timeoutMs,
      options.cache,
    );
  }

  constructor(
    integration: GithubIntegrationConfig,
    credentials: DefaultGithubCredentialsProvider,
    timeoutMs: number,
    cache?: GitHubResponseCache,
  ) {
    this.#integration = integration;
    this.#credentials = credentials;
    this.#timeoutMs = timeoutMs;
    this.#cache = cache;
  }

  async getRepository(slug: string): Promise<RepositoryInfo> {
    const [owner, repo] = splitSlug(slug);
    const { data } = await this.#call(slug, 'read the repository', octokit =>
      octokit.repos.get({ owner, repo, request: { slim: slimRepository } }),
    );
    const { default_branch, html_url } = slimRepository(data);
    return { slug, defaultBranch: default_branch, url: html_url };
  }

  /** The newest commits of a branch, newest first. */
  async listCommits(
    slug: string,
    branch: string,
    limit: number,
  ): Promise<Commit[]> {
    const [owner, repo] = splitSlug(slug);
    const { data } = await this.#call(
      slug,
      `list commits of ${branch}`,
      octokit =>
        octokit.repos.listCommits({
          owner,
          repo,
          sha: branch,
          per_page: Math.min(limit, 100),
          request: { slim: slimCommits },
        }),
    );
    const commits = slimCommits(data).slice(0, limit);
    // The branch's history lists them: each is on the branch, which spares a compare each.
    const cache = this.#cache;
    if (cache) {
      await Promise.all(
        commits.map(c =>
          cache.settle(
            ['on-branch', this.#integration.host, slug, branch, c.sha],
            { exists: true, onBranch: true } satisfies CommitPlacement,
          ),
        ),
      );
    }
    return commits.map(c => ({
      sha: c.sha,
      message: c.commit.message,
      authorName: c.commit.author?.name ?? c.author?.login ?? 'unknown',
      authorLogin: c.author?.login,
      avatarUrl: c.author?.avatar_url,
      date: c.commit.committer?.date ?? c.commit.author?.date ?? '',
      url: c.html_url,
    }));
  }

  async getCommitMessage(slug: string, sha: string): Promise<string> {
    const [owner, repo] = splitSlug(slug);
    const read = async () => {
      const { data } = await this.#call(slug, `get commit ${sha}`, octokit =>
        octokit.repos.getCommit({ owner, repo, ref: sha, per_page: 1 }),
      );
      return String(data.commit.message);
    };
    if (!this.#cache || !FULL_SHA.test(sha)) return read();
    // A commit's message never changes.
    return this.#cache.fact(
      ['commit-message', this.#integration.host, slug, sha],
      read,
      () => true,
    );
  }

  async commitsBetween(
    slug: string,
    base: string | undefined,
    head: string,
  ): Promise<Array<{ sha: string; committedAt: number }>> {
    const [owner, repo] = splitSlug(slug);
    const time = (c: {
      sha: string;
      commit: {
        author?: { date?: string } | null;
        committer?: { date?: string } | null;
      };
    }) => ({
      sha: c.sha,
      committedAt: Date.parse(
        c.commit.author?.date ?? c.commit.committer?.date ?? '',
      ),
    });
    if (!base) {
      const { data } = await this.#call(slug, `get commit ${head}`, octokit =>
        octokit.repos.getCommit({ owner, repo, ref: head, per_page: 1 }),
      );
      return [time(data)].filter(c => !Number.isNaN(c.committedAt));
    }
    const { data } = await this.#call(
      slug,
      `compare ${base} with ${head}`,
      octokit =>
        octokit.repos.compareCommitsWithBasehead({
          owner,
          repo,
          basehead: `${base}...${head}`,
        }),
    );
    return data.commits.map(time).filter(c => !Number.isNaN(c.committedAt));
  }

  /**
   * Every CI result of a commit: all pages of its check runs and of its commit statuses (GitHub
   * keeps both; a status context and a check run of the same name are one check, the check run
   * wins). Once every check of a full sha finished, the result is reused for a while.
   */
  async getCiChecks(slug: string, sha: string): Promise<CiCheck[]> {
    const read = () => this.#readCiChecks(slug, sha);
    if (!this.#cache || !FULL_SHA.test(sha)) return read();
    return this.#cache.fact(
      ['ci', this.#integration.host, slug, sha],
      read,
      checks => checks.length > 0 && checks.every(c => c.state !== 'pending'),
    );
  }

  async #readCiChecks(slug: string, sha: string): Promise<CiCheck[]> {
    const [owner, repo] = splitSlug(slug);
    const [runs, statuses] = await Promise.all([
      this.#pages(
        slug,
        `read check runs of ${sha}`,
        (octokit, page) =>
          octokit.checks.listForRef({
            owner,
            repo,
            ref: sha,
            per_page: 100,
            page,
            request: { slim: slimCheckRuns },
          }),
        data => slimCheckRuns(data).check_runs,
      ),
      this.#pages(
        slug,
        `read the status of ${sha}`,
        (octokit, page) =>
          octokit.repos.getCombinedStatusForRef({
            owner,
            repo,
            ref: sha,
            per_page: 100,
            page,
            request: { slim: slimStatuses },
          }),
        data => slimStatuses(data).statuses,
      ),
    ]);
    const checks = new Map<string, CiCheck>();
    for (const s of statuses) {
      checks.set(s.context, {
        name: s.context,
        state: commitStatusState(s.state),
        ...(s.target_url ? { url: s.target_url } : {}),
      });
    }
    for (const run of runs) {
      checks.set(run.name, {
        name: run.name,
        state: checkRunState(run.status, run.conclusion),
        ...(run.html_url ? { url: run.html_url } : {}),
      });
    }
    return [...checks.values()];
  }

  /**
   * Whether a commit exists and is reachable from the head of `branch` (GitHub's compare:
   * `branch...sha` is identical or behind).
   */
  async commitOnBranch(
    slug: string,
    branch: string,
    sha: string,
  ): Promise<CommitPlacement> {
    const compare = () => this.#commitOnBranch(slug, branch, sha);
    if (!this.#cache || !FULL_SHA.test(sha)) return compare();
    // Once on the branch, a commit stays there (unless its history is rewritten).
    return this.#cache.fact(
      ['on-branch', this.#integration.host, slug, branch, sha],
      compare,
      placement => placement.onBranch,
    );
  }

  async #commitOnBranch(
    slug: string,
    branch: string,
    sha: string,
  ): Promise<CommitPlacement> {
    const [owner, repo] = splitSlug(slug);
    try {
      const { data } = await this.#call(
        slug,
        `compare ${branch} with ${sha}`,
        octokit =>
          octokit.repos.compareCommitsWithBasehead({
            owner,
            repo,
            basehead: `${branch}...${sha}`,
            per_page: 1,
            request: { slim: slimCompare },
          }),
      );
      const { status } = slimCompare(data);
      return {
        exists: true,
        onBranch: status === 'identical' || status === 'behind',
      };
    } catch (error) {
      if (error instanceof NotFoundError)
        return { exists: false, onBranch: false };
      throw error;
    }
  }

  /** Open issues (not pull requests) that carry `label`. */
  async listOpenIssuesWithLabel(
    slug: string,
    label: string,
  ): Promise<BlockingIssue[]> {
    const [owner, repo] = splitSlug(slug);
    const { data } = await this.#call(
      slug,
      `list issues labelled ${label}`,
      octokit =>
        octokit.issues.listForRepo({
          owner,
          repo,
          state: 'open',
          labels: label,
          per_page: 100,
          request: { slim: slimIssues },
        }),
    );
    return slimIssues(data)
      .filter(issue => !issue.pull_request)
      .map(issue => ({
        number: issue.number,
        title: issue.title,
        url: issue.html_url,
      }));
  }

  /** Records a deployment of `sha` to `environment` in the repository; returns its id. */
  async createDeployment(
    slug: string,
    input: {
      sha: string;
      environment: string;
      description: string;
      payload: Record<string, string>;
      productionEnvironment: boolean;
    },
  ): Promise<number> {
    const [owner, repo] = splitSlug(slug);
    const { data } = await this.#call(
      slug,
      `create a deployment to ${input.environment}`,
      octokit =>
        octokit.repos.createDeployment({
          owner,
          repo,
          ref: input.sha,
          environment: input.environment,
          description: input.description,
          payload: input.payload,
          production_environment: input.productionEnvironment,
          auto_merge: false,
          // Eligibility (including CI) was checked by the pipeline itself.
          required_contexts: [],
        }),
    );
    if (!('id' in data)) {
      throw new Error(
        `GitHub did not create the deployment: ${
          (data as any).message ?? 'no id'
        }`,
      );
    }
    return data.id;
  }

  /**
   * The id of the deployment of `sha` to `environment` whose payload carries `token`, if one was
   * created already (by an attempt that stopped before it could save the id).
   */
  async findDeployment(
    slug: string,
    input: { sha: string; environment: string; token: string },
  ): Promise<number | undefined> {
    const [owner, repo] = splitSlug(slug);
    const { data } = await this.#call(
      slug,
      `list deployments to ${input.environment}`,
      octokit =>
        octokit.repos.listDeployments({
          owner,
          repo,
          sha: input.sha,
          environment: input.environment,
          per_page: 100,
        }),
    );
    return data.find(d => {
      const payload =
        typeof d.payload === 'string' ? safeJson(d.payload) : d.payload;
      return payload?.token === input.token;
    })?.id;
  }

  /** Adds a status to a deployment created with {@link OctokitGitHubProvider.createDeployment}. */
  async createDeploymentStatus(
    slug: string,
    deploymentId: number,
    input: {
      state: DeploymentState;
      description: string;
      logUrl?: string;
    },
  ): Promise<void> {
    const [owner, repo] = splitSlug(slug);
    await this.#call(slug, `add a deployment status`, octokit =>
      octokit.repos.createDeploymentStatus({
        owner,
        repo,
        deployment_id: deploymentId,
        state: input.state,
        description: input.description.slice(0, 140),
        ...(input.logUrl ? { log_url: input.logUrl } : {}),
      }),
    );
  }

  async #octokit(slug: string): Promise<Octokit> {
    const { token } = await this.#credentials.getCredentials({
      url: `https://${this.#integration.host}/${slug}`,
    });
    const timeoutMs = this.#timeoutMs;
    const octokit = new Octokit({
      baseUrl: this.#integration.apiBaseUrl,
      auth: token,
      // Failures are turned into errors that name GitHub; Octokit need not print them too.
      log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
      request: {
        fetch: (url: string, init: RequestInit) =>
          fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) }),
      },
    });
    this.#cache?.install(octokit);
    return octokit;
  }

  /** Every page of a list, following GitHub's `Link: <…>; rel="next"`, 100 a page. */
  async #pages<T>(
    slug: string,
    what: string,
    fetchPage: (
      octokit: Octokit,
      page: number,
    ) => Promise<{ data: unknown; headers: { link?: string } }>,
    items: (data: unknown) => T[],
  ): Promise<T[]> {
    const all: T[] = [];
    for (let page = 1; ; page++) {
      const response = await this.#call(slug, what, octokit =>
        fetchPage(octokit, page),
      );
      all.push(...items(response.data));
      if (!/rel="next"/.test(response.headers.link ?? '')) return all;
      if (page >= MAX_PAGES) {
        throw new UpstreamError({
          system: 'github',
          statusCode: 502,
          message: `GitHub (${this.#integration.apiBaseUrl}) lists more than ${
            MAX_PAGES * 100
          } results when asked to ${what} for ${slug}; they cannot all be judged`,
        });
      }
    }
  }

  async #call<T>(
    slug: string,
    what: string,
    fn: (octokit: Octokit) => Promise<T>,
  ): Promise<T> {
    const octokit = await this.#octokit(slug);
    const where = `GitHub (${this.#integration.apiBaseUrl})`;
    try {
      return await fn(octokit);
    } catch (error: any) {
      const status: number | undefined = error?.status;
      if (status === 404 || status === 422) {
        throw new NotFoundError(`GitHub: cannot ${what} in ${slug}: not found`);
      }
      if (
        status &&
        status < 500 &&
        status !== 401 &&
        status !== 403 &&
        status !== 429
      ) {
        throw error;
      }
      if ((!status || status === 500) && isUnreachable(error)) {
        throw new UpstreamError({
          system: 'github',
          statusCode: 503,
          message: `${where} is unreachable: ${describeNetworkError(error)}`,
          cause: error,
        });
      }
      throw new UpstreamError({
        system: 'github',
        statusCode: 502,
        message: `${where} failed to ${what} for ${slug}: HTTP ${
          status ?? '?'
        } ${error?.message ?? ''}`.trim(),
        cause: error,
      });
    }
  }
}

function splitSlug(slug: string): [string, string] {
  const [owner, repo, ...rest] = slug.split('/');
  if (!owner || !repo || rest.length > 0) {
    throw new NotFoundError(
      `'${slug}' is not a repository slug of the form owner/name`,
    );
  }
  return [owner, repo];
}

function safeJson(text: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

// What the provider reads of GitHub's answers, in GitHub's shape: the response cache keeps only
// this (see GitHubResponseCache), and the provider reads answers through the same functions.

function slimRepository(d: any) {
  return {
    default_branch: String(d.default_branch),
    html_url: String(d.html_url),
  };
}

function slimCommits(list: any[]) {
  return list.map(c => ({
    sha: String(c.sha),
    html_url: String(c.html_url),
    commit: {
      message: String(c.commit.message),
      author: c.commit.author
        ? {
            name: c.commit.author.name ?? null,
            date: c.commit.author.date ?? null,
          }
        : null,
      committer: c.commit.committer
        ? { date: c.commit.committer.date ?? null }
        : null,
    },
    author: c.author
      ? {
          login: String(c.author.login),
          avatar_url: String(c.author.avatar_url),
        }
      : null,
  }));
}

function slimCheckRuns(d: any) {
  return {
    total_count: Number(d.total_count),
    check_runs: (d.check_runs as any[]).map(r => ({
      name: String(r.name),
      status: String(r.status),
      conclusion: (r.conclusion ?? null) as string | null,
      html_url: (r.html_url ?? null) as string | null,
    })),
  };
}

function slimStatuses(d: any) {
  return {
    state: String(d.state),
    total_count: Number(d.total_count),
    statuses: (d.statuses as any[]).map(x => ({
      context: String(x.context),
      state: String(x.state),
      target_url: (x.target_url ?? null) as string | null,
    })),
  };
}

function slimCompare(d: any) {
  return { status: String(d.status) };
}

function slimIssues(list: any[]) {
  return list.map(issue => ({
    number: Number(issue.number),
    title: String(issue.title),
    html_url: String(issue.html_url),
    // Pull requests are issues too; only whether it is one is kept.
    pull_request: issue.pull_request ? {} : null,
  }));
}
