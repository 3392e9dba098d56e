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

/**
 * {@link GitHubProvider} over `@octokit/rest`, with credentials and API base URL from the
 * `integrations.github` entry of the configured host.
 */
export class OctokitGitHubProvider implements GitHubProvider {
  readonly #integration: GithubIntegrationConfig;
  readonly #credentials: DefaultGithubCredentialsProvider;
  readonly #timeoutMs: number;

  static fromConfig(
    config: Config,
    options: { host: string; timeoutMs: number },
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
    );
  }

  constructor(
    integration: GithubIntegrationConfig,
    credentials: DefaultGithubCredentialsProvider,
    timeoutMs: number,
  ) {
    this.#integration = integration;
    this.#credentials = credentials;
    this.#timeoutMs = timeoutMs;
  }

  async getRepository(slug: string): Promise<RepositoryInfo> {
    const [owner, repo] = splitSlug(slug);
    const { data } = await this.#call(slug, 'read the repository', octokit =>
      octokit.repos.get({ owner, repo }),
    );
    return { slug, defaultBranch: data.default_branch, url: data.html_url };
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
        }),
    );
    return data.slice(0, limit).map(c => ({
      sha: c.sha,
      message: c.commit.message,
      authorName: c.commit.author?.name ?? c.author?.login ?? 'unknown',
      authorLogin: c.author?.login,
      avatarUrl: c.author?.avatar_url,
      date: c.commit.committer?.date ?? c.commit.author?.date ?? '',
      url: c.html_url,
    }));
  }

  /**
   * Every CI result of a commit: its check runs and its commit statuses (GitHub keeps both; a
   * status context and a check run of the same name are one check, the check run wins).
   */
  async getCiChecks(slug: string, sha: string): Promise<CiCheck[]> {
    const [owner, repo] = splitSlug(slug);
    const [runs, status] = await Promise.all([
      this.#call(slug, `read check runs of ${sha}`, octokit =>
        octokit.checks.listForRef({ owner, repo, ref: sha, per_page: 100 }),
      ),
      this.#call(slug, `read the status of ${sha}`, octokit =>
        octokit.repos.getCombinedStatusForRef({
          owner,
          repo,
          ref: sha,
          per_page: 100,
        }),
      ),
    ]);
    const checks = new Map<string, CiCheck>();
    for (const s of status.data.statuses) {
      checks.set(s.context, {
        name: s.context,
        state: commitStatusState(s.state),
        ...(s.target_url ? { url: s.target_url } : {}),
      });
    }
    for (const run of runs.data.check_runs) {
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
          }),
      );
      return {
        exists: true,
        onBranch: data.status === 'identical' || data.status === 'behind',
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
        }),
    );
    return data
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
    return new Octokit({
      baseUrl: this.#integration.apiBaseUrl,
      auth: token,
      // Failures are turned into errors that name GitHub; Octokit need not print them too.
      log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
      request: {
        fetch: (url: string, init: RequestInit) =>
          fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) }),
      },
    });
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
