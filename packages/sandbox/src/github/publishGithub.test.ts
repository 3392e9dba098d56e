/*
 * Backstage's real `publish:github` scaffolder action against the sandbox GitHub: it creates the
 * repository through the REST API, pushes the workspace with isomorphic-git over smart HTTP and
 * protects the default branch, as it does against github.com.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Octokit } from '@octokit/rest';
import { ConfigReader } from '@backstage/config';
import {
  DefaultGithubCredentialsProvider,
  ScmIntegrations,
} from '@backstage/integration';
import { createPublishGithubAction } from '@backstage/plugin-scaffolder-backend-module-github';
import {
  eventually,
  runGit,
  signedWith,
  startWebhookReceiver,
  tempDir,
} from '../__testUtils__/git.ts';
import { buildSeed } from '../seed.ts';
import { startGitHubServer } from './GitHubApiServer.ts';
import type { GitHubServer } from './GitHubApiServer.ts';
import { WebhookSender } from './webhooks.ts';

const TOKEN = 'sandbox-token';
const SECRET = 'sandbox-test-webhook-secret';
const silent = { debug() {}, info() {}, warn() {}, error() {} };

jest.setTimeout(60_000);

/** A logger as actions get it, keeping what they log. */
function recordingLogger() {
  const lines: Array<{ level: string; message: string }> = [];
  const logger: any = {};
  for (const level of ['debug', 'info', 'warn', 'error']) {
    logger[level] = (message: unknown) =>
      lines.push({ level, message: String(message) });
  }
  logger.child = () => logger;
  return { logger, lines };
}

describe('publish:github against the sandbox GitHub', () => {
  let server: GitHubServer;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let webhooks: WebhookSender;
  let octokit: Octokit;
  let host: string;
  let action: ReturnType<typeof createPublishGithubAction>;
  /** The same, configured as the portal is: `localhost:<port>` (app-config.yaml). */
  let localhostAction: ReturnType<typeof createPublishGithubAction>;
  let localhost: string;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    webhooks = new WebhookSender({
      url: receiver.url,
      secret: SECRET,
      initialDelayMs: 10,
      maxDelayMs: 40,
    });
    server = await startGitHubServer({
      port: 0,
      repositories: buildSeed(Date.parse('2026-01-15T12:00:00Z')).repositories,
      token: TOKEN,
      webhooks,
      teams: { acme: ['team-payments'] },
      ci: { delayMs: 200, conclusion: 'success' },
    });
    octokit = new Octokit({ baseUrl: server.url, auth: TOKEN, log: silent });
    host = new URL(server.url).host;
    localhost = `localhost:${new URL(server.url).port}`;
    // What the portal configures (integrations.github), with the sandbox's address.
    const createAction = (integrationHost: string) => {
      const config = new ConfigReader({
        integrations: {
          github: [
            {
              host: integrationHost,
              apiBaseUrl: `http://${integrationHost}`,
              token: TOKEN,
            },
          ],
        },
      });
      const integrations = ScmIntegrations.fromConfig(config);
      return createPublishGithubAction({
        integrations,
        config,
        githubCredentialsProvider:
          DefaultGithubCredentialsProvider.fromIntegrations(integrations),
      });
    };
    action = createAction(host);
    localhostAction = createAction(localhost);
  });

  afterAll(async () => {
    await webhooks?.close();
    await server?.close();
    await receiver?.close();
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  async function workspace(): Promise<string> {
    const dir = await tempDir('sandbox-publish-workspace-');
    cleanups.push(dir.remove);
    await writeFile(join(dir.path, 'README.md'), '# new-svc\n');
    await writeFile(
      join(dir.path, 'catalog-info.yaml'),
      'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: new-svc\n',
    );
    await mkdir(join(dir.path, 'src'));
    await writeFile(join(dir.path, 'src', 'index.ts'), 'export {};\n');
    return dir.path;
  }

  async function run(input: Record<string, unknown>, using = action) {
    const { logger, lines } = recordingLogger();
    const outputs: Record<string, unknown> = {};
    const workspacePath = await workspace();
    const ctx = {
      input,
      logger,
      workspacePath,
      output: (name: string, value: unknown) => {
        outputs[name] = value;
      },
      checkpoint: async ({ fn }: { fn: () => Promise<unknown> }) => fn(),
      createTemporaryDirectory: async () => {
        const dir = await tempDir('sandbox-publish-tmp-');
        cleanups.push(dir.remove);
        return dir.path;
      },
      getInitiatorCredentials: async () => ({
        $$type: '@backstage/BackstageCredentials',
        principal: { type: 'none' },
      }),
      task: { id: 'task-1' },
    };
    await using.handler(ctx as any);
    return { outputs, lines };
  }

  it('creates the repository, pushes the workspace and protects main', async () => {
    const { outputs, lines } = await run({
      repoUrl: `${host}?owner=acme&repo=new-svc`,
      description: 'A new service',
      repoVisibility: 'private',
      defaultBranch: 'main',
      topics: ['backstage', 'Payments'],
      requireCodeOwnerReviews: true,
      requiredStatusCheckContexts: ['build'],
      access: 'acme/team-payments',
      collaborators: [{ user: 'user:default/grace', access: 'push' }],
      gitCommitMessage: 'Create new-svc from the template',
      gitAuthorName: 'Grace Hopper',
      gitAuthorEmail: 'grace@acme.example',
    });
    // Nothing skipped (topics, collaborators, branch protection all worked).
    expect(
      lines.filter(l => l.level === 'warn' || l.level === 'error'),
    ).toEqual([]);
    expect(outputs.remoteUrl).toBe(`${server.url}/acme/new-svc.git`);
    expect(outputs.repoContentsUrl).toBe(
      `${server.url}/acme/new-svc/blob/main`,
    );
    const commitHash = outputs.commitHash as string;
    expect(commitHash).toMatch(/^[0-9a-f]{40}$/);

    const { data: repo } = await octokit.repos.get({
      owner: 'acme',
      repo: 'new-svc',
    });
    expect(repo).toMatchObject({
      description: 'A new service',
      private: true,
      visibility: 'private',
      default_branch: 'main',
      topics: ['backstage', 'payments'],
    });
    const state = server.state.getRepository('acme', 'new-svc')!;
    expect(state.teams.get('team-payments')).toBe('admin');
    expect(state.collaborators.get('grace')).toBe('push');

    // The commit, as the portal's octokit lists it.
    const commits = await octokit.repos.listCommits({
      owner: 'acme',
      repo: 'new-svc',
      sha: 'main',
    });
    expect(commits.data).toHaveLength(1);
    expect(commits.data[0]).toMatchObject({
      sha: commitHash,
      commit: {
        message: 'Create new-svc from the template',
        author: { name: 'Grace Hopper', email: 'grace@acme.example' },
      },
      author: { login: 'grace' },
    });

    // main is protected as asked.
    const protection = await octokit.repos.getBranchProtection({
      owner: 'acme',
      repo: 'new-svc',
      branch: 'main',
    });
    expect(protection.data).toMatchObject({
      required_status_checks: { strict: true, contexts: ['build'] },
      enforce_admins: { enabled: true },
      required_pull_request_reviews: {
        require_code_owner_reviews: true,
        required_approving_review_count: 1,
      },
    });

    // CI runs on the pushed commit and goes green.
    await server.idle();
    const checks = await octokit.checks.listForRef({
      owner: 'acme',
      repo: 'new-svc',
      ref: commitHash,
    });
    expect(
      checks.data.check_runs.map(r => [r.name, r.status, r.conclusion]).sort(),
    ).toEqual([
      ['build', 'completed', 'success'],
      ['lint', 'completed', 'success'],
      ['unit-tests', 'completed', 'success'],
    ]);

    // The signed push webhook.
    const push = await eventually(() =>
      receiver.received.find(
        d =>
          d.event === 'push' &&
          d.payload.repository.full_name === 'acme/new-svc',
      ),
    );
    expect(signedWith(push, SECRET)).toBe(true);
    expect(push.payload).toMatchObject({
      ref: 'refs/heads/main',
      after: commitHash,
      created: true,
      head_commit: { id: commitHash },
    });

    // The git CLI clones what was pushed.
    const home = await tempDir('sandbox-publish-home-');
    cleanups.push(home.remove);
    const clone = join(home.path, 'new-svc');
    const cloned = await runGit(
      [
        'clone',
        '-q',
        `http://x-access-token:${TOKEN}@${host}/acme/new-svc.git`,
        clone,
      ],
      { home: home.path },
    );
    expect(cloned).toMatchObject({ code: 0 });
    expect(await readFile(join(clone, 'README.md'), 'utf8')).toBe(
      '# new-svc\n',
    );
    expect(await readFile(join(clone, 'src', 'index.ts'), 'utf8')).toBe(
      'export {};\n',
    );
    const log = await runGit(['log', '--format=%H %s'], {
      cwd: clone,
      home: home.path,
    });
    expect(log.stdout.trim()).toBe(
      `${commitHash} Create new-svc from the template`,
    );
  });

  it('fails a second run for the same repository as GitHub does', async () => {
    await expect(
      run({ repoUrl: `${host}?owner=acme&repo=new-svc` }),
    ).rejects.toThrow(
      'Failed to create the Organization repository acme/new-svc, Repository creation failed.',
    );
    await expect(
      run({ repoUrl: `${host}?owner=acme&repo=new-svc` }),
    ).rejects.toThrow(/name already exists on this account/);
  });

  it('publishes with the defaults, into a user account, with the host the portal configures', async () => {
    const { outputs, lines } = await run(
      { repoUrl: `${localhost}?owner=sandbox-bot&repo=defaults-svc` },
      localhostAction,
    );
    expect(lines.filter(l => l.level === 'warn')).toEqual([]);
    expect(outputs.remoteUrl).toBe(
      `${server.url}/sandbox-bot/defaults-svc.git`,
    );
    const { data } = await octokit.repos.get({
      owner: 'sandbox-bot',
      repo: 'defaults-svc',
    });
    expect(data).toMatchObject({ private: true, default_branch: 'main' });
    const commits = await octokit.repos.listCommits({
      owner: 'sandbox-bot',
      repo: 'defaults-svc',
    });
    expect(commits.data[0]).toMatchObject({
      commit: {
        message: 'initial commit',
        author: { name: 'Scaffolder', email: 'scaffolder@backstage.io' },
      },
      author: null,
    });
    await server.idle();
  });
});
