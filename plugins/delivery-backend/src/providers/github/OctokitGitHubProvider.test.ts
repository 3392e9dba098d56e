import { CacheManager } from '@backstage/backend-defaults/cache';
import { ConfigReader } from '@backstage/config';
import { Entity } from '@backstage/catalog-model';
import { GitHubServer, buildSeed, startGitHubServer } from '@internal/sandbox';
import { EligibilityService } from '../../services/EligibilityService';
import { GitHubResponseCache } from './GitHubResponseCache';
import { OctokitGitHubProvider } from './OctokitGitHubProvider';

/*
 * The provider against the sandbox's GitHub (which answers 304s and counts what it served the
 * way GitHub charges), with Backstage's real CacheService (memory store).
 */

const TOKEN = 'provider-test-token';
const owner = 'acme';
const repo = 'payments-api';
const slug = `${owner}/${repo}`;

function provider(server: GitHubServer) {
  const config = new ConfigReader({
    backend: { cache: { store: 'memory' } },
    integrations: {
      github: [
        { host: 'sandbox.github', apiBaseUrl: server.url, token: TOKEN },
      ],
    },
  });
  const cache = new GitHubResponseCache({
    cache: CacheManager.fromConfig(config).forPlugin('delivery'),
    ttlMs: 60 * 60_000,
    factTtlMs: 5 * 60_000,
  });
  return {
    cache,
    github: OctokitGitHubProvider.fromConfig(config, {
      host: 'sandbox.github',
      timeoutMs: 5_000,
      cache,
    }),
  };
}

describe('OctokitGitHubProvider against the sandbox GitHub', () => {
  let server: GitHubServer;

  beforeEach(async () => {
    server = await startGitHubServer({
      repositories: buildSeed(Date.now()).repositories,
      token: TOKEN,
    });
  });

  afterEach(async () => {
    await server?.close();
  });

  /** What a Deployments tab view reads of one commit and its repository. */
  async function readAll(
    github: OctokitGitHubProvider,
    sha: string,
  ): Promise<unknown> {
    const repository = await github.getRepository(slug);
    return {
      repository,
      commits: await github.listCommits(slug, repository.defaultBranch, 20),
      checks: await github.getCiChecks(slug, sha),
      placement: await github.commitOnBranch(
        slug,
        repository.defaultBranch,
        sha,
      ),
      issues: await github.listOpenIssuesWithLabel(slug, 'deploy-blocker'),
    };
  }

  it('reads the same sha again at no rate-limited cost, and still sees a new check result and a new head', async () => {
    const { github, cache } = provider(server);
    const state = server.state;
    const sha = state.addCommit(owner, repo, 'main', {
      message: 'CI still running',
      checks: [
        { name: 'build', state: 'success' },
        { name: 'unit-tests', state: 'pending' },
      ],
    });

    const first = await readAll(github, sha);
    const cold = server.calls();
    expect(cold.rateLimited).toBe(cold.total);
    expect(cold.rateLimited).toBeGreaterThanOrEqual(5);

    server.resetCalls();
    expect(await readAll(github, sha)).toEqual(first);
    const warm = server.calls();
    // Every call was a conditional request GitHub answered 304: none counts against the limit.
    expect(warm.rateLimited).toBe(0);
    expect(warm.notModified).toBe(warm.total);
    expect(cache.stats.notModified).toBe(warm.notModified);

    // A new check result on GitHub is seen on the next read.
    state.setCheck(owner, repo, sha, 'unit-tests', 'failure');
    server.resetCalls();
    const checks = await github.getCiChecks(slug, sha);
    expect(checks.find(c => c.name === 'unit-tests')?.state).toBe('failure');
    expect(server.calls().rateLimited).toBeGreaterThan(0);

    // So is a new head of the branch.
    const head = state.addCommit(owner, repo, 'main', { message: 'new head' });
    const commits = await github.listCommits(slug, 'main', 20);
    expect(commits[0].sha).toBe(head);
    expect(commits[1].sha).toBe(sha);
    expect((await github.commitOnBranch(slug, 'main', head)).onBranch).toBe(
      true,
    );
  });

  it('reuses the CI result of a sha whose checks all finished without asking GitHub', async () => {
    const { github } = provider(server);
    const sha = server.state.addCommit(owner, repo, 'main', {
      message: 'CI finished',
      checks: [
        { name: 'build', state: 'success' },
        { name: 'lint', state: 'failure' },
      ],
    });
    const first = await github.getCiChecks(slug, sha);
    await github.commitOnBranch(slug, 'main', sha);
    server.resetCalls();
    expect(await github.getCiChecks(slug, sha)).toEqual(first);
    expect(await github.commitOnBranch(slug, 'main', sha)).toEqual({
      exists: true,
      onBranch: true,
    });
    expect(server.calls().total).toBe(0);
  });

  it('judges a commit on all of its 130 checks: the 130th failing makes it ineligible', async () => {
    const { github } = provider(server);
    // GitHub lists check runs and statuses newest first: the first created is listed 130th.
    const checks = Array.from({ length: 130 }, (_, i) => ({
      name: `check-${String(130 - i).padStart(3, '0')}`,
      state: i === 0 ? ('failure' as const) : ('success' as const),
    }));
    const sha = server.state.addCommit(owner, repo, 'main', {
      message: 'A commit with many checks',
      checks,
    });
    const listed = await fetch(
      `${server.url}/repos/${slug}/commits/${sha}/check-runs?per_page=100`,
      { headers: { authorization: `token ${TOKEN}` } },
    ).then(r => r.json());
    expect(
      listed.check_runs.some((r: { name: string }) => r.name === 'check-130'),
    ).toBe(false);

    const entity: Entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: { name: repo, annotations: {} },
    };
    const [eligibility] = await new EligibilityService({
      github,
      blockingLabel: 'deploy-blocker',
    }).check(
      {
        entity,
        entityRef: `component:default/${repo}`,
        projectSlug: slug,
        kubernetesId: repo,
      },
      [sha],
    );
    expect(eligibility.eligible).toBe(false);
    expect(eligibility.reasons).toEqual([
      expect.objectContaining({
        code: 'ci-not-green',
        message: expect.stringContaining('check-130'),
      }),
    ]);

    const all = await github.getCiChecks(slug, sha);
    expect(all).toHaveLength(130);
    expect(all.find(c => c.name === 'check-130')?.state).toBe('failure');
  });
});
