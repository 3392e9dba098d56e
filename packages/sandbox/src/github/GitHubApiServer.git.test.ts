import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Octokit } from '@octokit/rest';
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

const TOKEN = 'sandbox-test-token';
const SECRET = 'sandbox-test-webhook-secret';
const log = { debug() {}, info() {}, warn() {}, error() {} };

jest.setTimeout(30_000);

async function failure(fn: () => Promise<unknown>): Promise<any> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

describe('startGitHubServer: repositories created through the API, over git', () => {
  let server: GitHubServer;
  let octokit: Octokit;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let webhooks: WebhookSender;
  let home: Awaited<ReturnType<typeof tempDir>>;
  /** `http://x-access-token:<token>@host:port` */
  let authed: string;

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
      ci: { delayMs: 300 },
    });
    octokit = new Octokit({ baseUrl: server.url, auth: TOKEN, log });
    home = await tempDir('sandbox-git-home-');
    const url = new URL(server.url);
    authed = `http://x-access-token:${TOKEN}@${url.host}`;
  });

  afterAll(async () => {
    await webhooks?.close();
    await server?.close();
    await receiver?.close();
    await home?.remove();
  });

  it('tells organizations from users, and 404s for unknown accounts', async () => {
    const org = await octokit.users.getByUsername({ username: 'acme' });
    expect(org.data).toMatchObject({ login: 'acme', type: 'Organization' });
    const user = await octokit.users.getByUsername({ username: 'ada' });
    expect(user.data).toMatchObject({ login: 'ada', type: 'User' });
    const missing = await failure(() =>
      octokit.users.getByUsername({ username: 'nobody-here' }),
    );
    expect(missing.status).toBe(404);
  });

  it('creates an empty repository with a bare git repository, and refuses a second one', async () => {
    const { status, data } = await octokit.repos.createInOrg({
      org: 'acme',
      name: 'empty-svc',
      private: true,
      visibility: 'private',
      description: 'An empty service',
    });
    expect(status).toBe(201);
    expect(data).toMatchObject({
      full_name: 'acme/empty-svc',
      private: true,
      visibility: 'private',
      description: 'An empty service',
      default_branch: 'main',
      clone_url: `${server.url}/acme/empty-svc.git`,
      html_url: `${server.url}/acme/empty-svc`,
      size: 0,
      owner: { login: 'acme', type: 'Organization' },
    });
    const empty = await failure(() =>
      octokit.repos.listCommits({ owner: 'acme', repo: 'empty-svc' }),
    );
    expect(empty.status).toBe(409);
    expect(empty.response.data.message).toBe('Git Repository is empty.');
    const again = await failure(() =>
      octokit.repos.createInOrg({ org: 'acme', name: 'Empty-Svc' }),
    );
    expect(again.status).toBe(422);
    expect(again.response.data).toMatchObject({
      message: 'Repository creation failed.',
      errors: [
        {
          resource: 'Repository',
          code: 'custom',
          field: 'name',
          message: 'name already exists on this account',
        },
      ],
    });
    const ls = await runGit(['ls-remote', `${authed}/acme/empty-svc.git`], {
      home: home.path,
    });
    expect(ls).toMatchObject({ code: 0, stdout: '' });
  });

  it('asks git for credentials (401) and refuses wrong ones', async () => {
    const url = new URL(server.url);
    const anonymous = await runGit(
      ['ls-remote', `${server.url}/acme/empty-svc.git`],
      { home: home.path },
    );
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.stderr).toMatch(
      /could not read Username|Authentication failed/,
    );
    const wrong = await runGit(
      [
        'ls-remote',
        `http://x-access-token:wrong@${url.host}/acme/empty-svc.git`,
      ],
      { home: home.path },
    );
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/Authentication failed/);
    const raw = await fetch(
      `${server.url}/acme/empty-svc.git/info/refs?service=git-upload-pack`,
    );
    expect(raw.status).toBe(401);
    expect(raw.headers.get('www-authenticate')).toBe('Basic realm="GitHub"');
    // The token as user name (as some clients send it) or as a bearer token works too.
    for (const authorization of [
      `Basic ${Buffer.from(`${TOKEN}:`).toString('base64')}`,
      `Bearer ${TOKEN}`,
    ]) {
      const res = await fetch(
        `${server.url}/acme/empty-svc.git/info/refs?service=git-upload-pack`,
        { headers: { authorization } },
      );
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(
        'application/x-git-upload-pack-advertisement',
      );
      await res.arrayBuffer();
    }
    // Seeded repositories have no git repository.
    const seeded = await runGit(
      ['ls-remote', `${authed}/acme/payments-api.git`],
      { home: home.path },
    );
    expect(seeded.code).not.toBe(0);
    expect(seeded.stderr).toMatch(/not found/);
  });

  it('records a push: commits, branches, authors, the push webhook and CI check runs', async () => {
    await octokit.repos.createInOrg({ org: 'acme', name: 'cli-svc' });
    const work = await tempDir('sandbox-git-work-');
    try {
      const dir = work.path;
      expect(
        (await runGit(['init', '-q', dir], { home: home.path })).code,
      ).toBe(0);
      await writeFile(join(dir, 'README.md'), '# cli-svc\n');
      await runGit(['add', '.'], { cwd: dir, home: home.path });
      await runGit(['commit', '-q', '-m', 'First commit'], {
        cwd: dir,
        home: home.path,
      });
      await writeFile(join(dir, 'index.js'), 'console.log("hi");\n');
      await runGit(['add', '.'], { cwd: dir, home: home.path });
      // A known author (a seeded commit's email) is linked to their account.
      await runGit(['commit', '-q', '-m', 'Add index.js\n\nWith a body.'], {
        cwd: dir,
        home: home.path,
        env: { GIT_AUTHOR_NAME: 'Ada', GIT_AUTHOR_EMAIL: 'ada@acme.example' },
      });
      const unauthorized = await runGit(
        ['push', `${server.url}/acme/cli-svc.git`, 'main'],
        { cwd: dir, home: home.path },
      );
      expect(unauthorized.code).not.toBe(0);
      const pushed = await runGit(
        ['push', `${authed}/acme/cli-svc.git`, 'main'],
        { cwd: dir, home: home.path },
      );
      expect(pushed.stderr).toContain('main -> main');
      expect(pushed.code).toBe(0);
      const head = (
        await runGit(['rev-parse', 'HEAD'], { cwd: dir, home: home.path })
      ).stdout.trim();
      const first = (
        await runGit(['rev-parse', 'HEAD~1'], { cwd: dir, home: home.path })
      ).stdout.trim();

      // Recorded before the push returned.
      const commits = await octokit.repos.listCommits({
        owner: 'acme',
        repo: 'cli-svc',
      });
      expect(commits.data.map(c => c.sha)).toEqual([head, first]);
      expect(commits.data[0]).toMatchObject({
        commit: {
          message: 'Add index.js\n\nWith a body.',
          author: { name: 'Ada', email: 'ada@acme.example' },
        },
        author: { login: 'ada' },
        parents: [{ sha: first }],
      });
      expect(commits.data[1]).toMatchObject({
        commit: {
          message: 'First commit',
          author: { name: 'Test Author', email: 'test-author@example.com' },
        },
        author: null,
        parents: [],
      });
      const branch = await octokit.repos.getBranch({
        owner: 'acme',
        repo: 'cli-svc',
        branch: 'main',
      });
      expect(branch.data.commit.sha).toBe(head);

      // The pushed files through the contents API, as Backstage's GitHub URL reader reads them.
      const raw = await fetch(
        `${server.url}/repos/acme/cli-svc/contents/README.md?ref=main`,
        {
          headers: {
            authorization: `token ${TOKEN}`,
            accept: 'application/vnd.github.v3.raw',
          },
        },
      );
      expect(raw.status).toBe(200);
      expect(await raw.text()).toBe('# cli-svc\n');
      const file = await octokit.repos.getContent({
        owner: 'acme',
        repo: 'cli-svc',
        path: 'index.js',
      });
      expect(file.data).toMatchObject({
        type: 'file',
        path: 'index.js',
        encoding: 'base64',
      });
      expect(Buffer.from((file.data as any).content, 'base64').toString()).toBe(
        'console.log("hi");\n',
      );
      const root = await octokit.repos.getContent({
        owner: 'acme',
        repo: 'cli-svc',
        path: '',
      });
      expect((root.data as any[]).map(e => [e.name, e.type])).toEqual([
        ['README.md', 'file'],
        ['index.js', 'file'],
      ]);
      // Not there at the first commit; not there at all.
      await expect(
        octokit.repos.getContent({
          owner: 'acme',
          repo: 'cli-svc',
          path: 'index.js',
          ref: first,
        }),
      ).rejects.toMatchObject({ status: 404 });
      await expect(
        octokit.repos.getContent({
          owner: 'acme',
          repo: 'cli-svc',
          path: 'missing.txt',
        }),
      ).rejects.toMatchObject({ status: 404 });

      // CI starts on the head commit at once and completes.
      const running = await octokit.checks.listForRef({
        owner: 'acme',
        repo: 'cli-svc',
        ref: head,
      });
      expect(
        running.data.check_runs.map(r => [r.name, r.status]).sort(),
      ).toEqual([
        ['build', 'in_progress'],
        ['lint', 'in_progress'],
        ['unit-tests', 'in_progress'],
      ]);
      await server.idle();
      const done = await octokit.checks.listForRef({
        owner: 'acme',
        repo: 'cli-svc',
        ref: 'main',
      });
      expect(
        done.data.check_runs.map(r => [r.name, r.status, r.conclusion]).sort(),
      ).toEqual([
        ['build', 'completed', 'success'],
        ['lint', 'completed', 'success'],
        ['unit-tests', 'completed', 'success'],
      ]);
      const combined = await octokit.repos.getCombinedStatusForRef({
        owner: 'acme',
        repo: 'cli-svc',
        ref: 'main',
      });
      expect(combined.data.state).toBe('success');

      // The push webhook, signed, with both commits.
      const push = await eventually(() =>
        receiver.received.find(
          d =>
            d.event === 'push' &&
            d.payload.repository.full_name === 'acme/cli-svc',
        ),
      );
      expect(signedWith(push, SECRET)).toBe(true);
      expect(push.payload).toMatchObject({
        ref: 'refs/heads/main',
        before: '0'.repeat(40),
        after: head,
        created: true,
        deleted: false,
        forced: false,
        pusher: { name: 'sandbox-bot' },
      });
      expect(push.payload.commits.map((c: any) => c.id)).toEqual([first, head]);
      expect(push.payload.commits[0].author).toEqual({
        name: 'Test Author',
        email: 'test-author@example.com',
      });
      expect(push.payload.commits[1].author).toEqual({
        name: 'Ada',
        email: 'ada@acme.example',
        username: 'ada',
      });
      expect(
        receiver.received.some(
          d =>
            d.event === 'create' &&
            d.payload.repository.full_name === 'acme/cli-svc',
        ),
      ).toBe(true);

      // A second push moves the branch; a new branch is created; a clone sees everything.
      await writeFile(join(dir, 'index.js'), 'console.log("hello");\n');
      await runGit(['commit', '-q', '-am', 'Say hello'], {
        cwd: dir,
        home: home.path,
      });
      const second = await runGit(
        ['push', `${authed}/acme/cli-svc.git`, 'main', 'main:feature/x'],
        { cwd: dir, home: home.path },
      );
      expect(second.code).toBe(0);
      const next = (
        await runGit(['rev-parse', 'HEAD'], { cwd: dir, home: home.path })
      ).stdout.trim();
      const branches = await octokit.repos.listBranches({
        owner: 'acme',
        repo: 'cli-svc',
      });
      expect(branches.data.map(b => [b.name, b.commit.sha])).toEqual([
        ['feature/x', next],
        ['main', next],
      ]);
      const moved = await eventually(() =>
        receiver.received.find(
          d =>
            d.event === 'push' &&
            d.payload.repository.full_name === 'acme/cli-svc' &&
            d.payload.ref === 'refs/heads/main' &&
            d.payload.after === next,
        ),
      );
      expect(moved.payload.before).toBe(head);
      expect(moved.payload.commits.map((c: any) => c.id)).toEqual([next]);

      const clone = join(work.path, 'clone');
      const cloned = await runGit(
        ['clone', '-q', `${authed}/acme/cli-svc.git`, clone],
        { home: home.path },
      );
      expect(cloned.code).toBe(0);
      expect(await readFile(join(clone, 'index.js'), 'utf8')).toBe(
        'console.log("hello");\n',
      );

      // A branch made through the git refs API exists in git too.
      await octokit.git.createRef({
        owner: 'acme',
        repo: 'cli-svc',
        ref: 'refs/heads/release',
        sha: head,
      });
      await server.idle();
      const remote = await runGit(
        ['ls-remote', `${authed}/acme/cli-svc.git`, 'refs/heads/release'],
        { home: home.path },
      );
      expect(remote.stdout).toBe(`${head}\trefs/heads/release\n`);
      await octokit.git.deleteRef({
        owner: 'acme',
        repo: 'cli-svc',
        ref: 'heads/release',
      });
      await server.idle();

      // Deleting the branch over git deletes it in the API.
      const deleted = await runGit(
        ['push', `${authed}/acme/cli-svc.git`, ':feature/x'],
        { cwd: dir, home: home.path },
      );
      expect(deleted.code).toBe(0);
      const after = await octokit.repos.listBranches({
        owner: 'acme',
        repo: 'cli-svc',
      });
      expect(after.data.map(b => b.name)).toEqual(['main']);
      await server.idle();
    } finally {
      await work.remove();
    }
  });

  it("takes pushes larger than git's post buffer (a chunked request body)", async () => {
    await octokit.repos.createInOrg({ org: 'acme', name: 'big-svc' });
    const work = await tempDir('sandbox-git-big-');
    try {
      const dir = work.path;
      await runGit(['init', '-q', dir], { home: home.path });
      // Random bytes do not compress: the pack is larger than the 1 MiB post buffer.
      await writeFile(join(dir, 'blob.bin'), randomBytes(3 * 1024 * 1024));
      await runGit(['add', '.'], { cwd: dir, home: home.path });
      await runGit(['commit', '-q', '-m', 'Big'], {
        cwd: dir,
        home: home.path,
      });
      const pushed = await runGit(
        ['push', `${authed}/acme/big-svc.git`, 'main'],
        { cwd: dir, home: home.path },
      );
      expect(pushed.code).toBe(0);
      const head = (
        await runGit(['rev-parse', 'HEAD'], { cwd: dir, home: home.path })
      ).stdout.trim();
      const { data } = await octokit.repos.getBranch({
        owner: 'acme',
        repo: 'big-svc',
        branch: 'main',
      });
      expect(data.commit.sha).toBe(head);
      const clone = join(dir, 'clone');
      expect(
        (
          await runGit(['clone', '-q', `${authed}/acme/big-svc.git`, clone], {
            home: home.path,
          })
        ).code,
      ).toBe(0);
      expect((await readFile(join(clone, 'blob.bin'))).length).toBe(
        3 * 1024 * 1024,
      );
      await server.idle();
    } finally {
      await work.remove();
    }
  });

  it('changes settings, topics, collaborators, team access and branch protection, and deletes', async () => {
    const owner = 'acme';
    const repo = 'cli-svc';
    const topics = await octokit.repos.replaceAllTopics({
      owner,
      repo,
      names: ['backstage', 'payments'],
    });
    expect(topics.data.names).toEqual(['backstage', 'payments']);
    const badTopic = await failure(() =>
      octokit.repos.replaceAllTopics({ owner, repo, names: ['Not A Topic'] }),
    );
    expect(badTopic.status).toBe(422);

    const invited = await octokit.repos.addCollaborator({
      owner,
      repo,
      username: 'grace',
      permission: 'admin',
    });
    expect(invited.status).toBe(201);
    expect(invited.data).toMatchObject({
      invitee: { login: 'grace' },
      permissions: 'admin',
    });
    const again = await octokit.repos.addCollaborator({
      owner,
      repo,
      username: 'grace',
      permission: 'push',
    });
    expect(again.status).toBe(204);
    const unknownUser = await failure(() =>
      octokit.repos.addCollaborator({ owner, repo, username: 'nobody-here' }),
    );
    expect(unknownUser.status).toBe(404);

    const team = await octokit.teams.getByName({
      org: owner,
      team_slug: 'team-payments',
    });
    expect(team.data).toMatchObject({ slug: 'team-payments' });
    const teamAccess = await octokit.teams.addOrUpdateRepoPermissionsInOrg({
      org: owner,
      team_slug: 'team-payments',
      owner,
      repo,
      permission: 'admin',
    });
    expect(teamAccess.status).toBe(204);
    const unknownTeam = await failure(() =>
      octokit.teams.getByName({ org: owner, team_slug: 'nope' }),
    );
    expect(unknownTeam.status).toBe(404);

    const protection = await octokit.repos.updateBranchProtection({
      owner,
      repo,
      branch: 'main',
      required_status_checks: { strict: true, contexts: ['build'] },
      enforce_admins: true,
      required_pull_request_reviews: {
        required_approving_review_count: 1,
        require_code_owner_reviews: true,
      },
      restrictions: null,
    });
    expect(protection.data).toMatchObject({
      required_status_checks: { strict: true, contexts: ['build'] },
      enforce_admins: { enabled: true },
      required_pull_request_reviews: {
        required_approving_review_count: 1,
        require_code_owner_reviews: true,
      },
    });
    const branch = await octokit.repos.getBranch({
      owner,
      repo,
      branch: 'main',
    });
    expect(branch.data.protected).toBe(true);
    const noBranch = await failure(() =>
      octokit.repos.updateBranchProtection({
        owner,
        repo,
        branch: 'nope',
        required_status_checks: null,
        enforce_admins: null,
        required_pull_request_reviews: null,
        restrictions: null,
      }),
    );
    expect(noBranch.status).toBe(404);
    expect(noBranch.response.data.message).toBe('Branch not found');

    const patched = await octokit.repos.update({
      owner,
      repo,
      description: 'Now described',
      homepage: 'https://example.com',
      delete_branch_on_merge: true,
      private: true,
    });
    expect(patched.data).toMatchObject({
      description: 'Now described',
      homepage: 'https://example.com',
      delete_branch_on_merge: true,
      private: true,
      visibility: 'private',
      topics: ['backstage', 'payments'],
    });
    const badBranch = await failure(() =>
      octokit.repos.update({ owner, repo, default_branch: 'nope' }),
    );
    expect(badBranch.status).toBe(422);

    const gone = await octokit.repos.delete({ owner, repo });
    expect(gone.status).toBe(204);
    const missing = await failure(() => octokit.repos.get({ owner, repo }));
    expect(missing.status).toBe(404);
    const ls = await runGit(['ls-remote', `${authed}/acme/cli-svc.git`], {
      home: home.path,
    });
    expect(ls.code).not.toBe(0);
  });

  it('creates repositories for the authenticated user, readable without credentials when public', async () => {
    const { data } = await octokit.repos.createForAuthenticatedUser({
      name: 'my tool',
    });
    expect(data).toMatchObject({
      full_name: 'sandbox-bot/my-tool',
      private: false,
      clone_url: `${server.url}/sandbox-bot/my-tool.git`,
    });
    const ls = await runGit(['ls-remote', data.clone_url], {
      home: home.path,
    });
    expect(ls.code).toBe(0);
  });
});
