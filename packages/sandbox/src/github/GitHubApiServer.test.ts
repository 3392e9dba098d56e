import { Octokit } from '@octokit/rest';
import { buildSeed } from '../seed.ts';
import type { SeedRepository } from '../seed.ts';
import { startGitHubServer } from './GitHubApiServer.ts';
import type { GitHubServer } from './GitHubApiServer.ts';

const fixedNow = Date.parse('2026-01-15T12:00:00Z');
const TOKEN = 'sandbox-test-token';
const owner = 'acme';
/** Octokit logs every failed request with console.error; the error tests expect failures. */
const log = { debug() {}, info() {}, warn() {}, error() {} };

/** Calls `fn` and returns the error it throws (failing the test when it does not throw). */
async function failure(fn: () => Promise<unknown>): Promise<{
  status: number;
  name: string;
  message: string;
  response?: { data: any };
}> {
  try {
    await fn();
  } catch (error) {
    return error as any;
  }
  throw new Error('expected the call to fail');
}

describe('startGitHubServer', () => {
  let server: GitHubServer;
  let octokit: Octokit;
  let seed: SeedRepository[];
  let payments: SeedRepository;
  let checkout: SeedRepository;
  /** payments-api main line, oldest first. */
  let paymentsMain: SeedRepository['commits'];
  let clock = fixedNow;

  beforeAll(async () => {
    seed = buildSeed(fixedNow).repositories;
    payments = seed.find(r => r.name === 'payments-api')!;
    checkout = seed.find(r => r.name === 'checkout-web')!;
    paymentsMain = payments.commits.filter(c => !c.message.startsWith('WIP'));
    server = await startGitHubServer({
      port: 0,
      repositories: buildSeed(fixedNow).repositories,
      token: TOKEN,
      now: () => (clock += 1000),
    });
    octokit = new Octokit({ baseUrl: server.url, auth: TOKEN, log });
  });

  afterAll(async () => {
    await server?.close();
  });

  it('listens on a random local port', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.url).not.toMatch(/:0$/);
  });

  it('gets a repository', async () => {
    const { data, status } = await octokit.repos.get({
      owner,
      repo: 'payments-api',
    });
    expect(status).toBe(200);
    expect(data.full_name).toBe('acme/payments-api');
    expect(data.default_branch).toBe('main');
    expect(data.description).toBe('The payments-api service');
    expect(data.html_url).toBe(`${server.url}/acme/payments-api`);
    expect(data.url).toBe(`${server.url}/repos/acme/payments-api`);
    expect(data.owner.login).toBe('acme');
    expect(typeof data.id).toBe('number');
  });

  it('lists branches and gets one whose name contains a slash', async () => {
    const { data } = await octokit.repos.listBranches({
      owner,
      repo: 'payments-api',
    });
    expect(data.map(b => [b.name, b.commit.sha])).toEqual([
      ['feature/experiment', payments.branches['feature/experiment']],
      ['main', payments.branches.main],
    ]);

    const branch = await octokit.repos.getBranch({
      owner,
      repo: 'payments-api',
      branch: 'feature/experiment',
    });
    expect(branch.data.name).toBe('feature/experiment');
    expect(branch.data.commit.sha).toBe(
      payments.branches['feature/experiment'],
    );
    expect(branch.data.commit.commit.message).toBe('WIP: experiment 2');

    // Unencoded slash works as well.
    const raw = await fetch(
      `${server.url}/repos/acme/payments-api/branches/feature/experiment`,
      {
        headers: { authorization: `Bearer ${TOKEN}` },
      },
    );
    expect(raw.status).toBe(200);
    expect((await raw.json()).commit.sha).toBe(
      payments.branches['feature/experiment'],
    );

    const missing = await failure(() =>
      octokit.repos.getBranch({ owner, repo: 'payments-api', branch: 'nope' }),
    );
    expect(missing.status).toBe(404);
  });

  it('lists commits newest first with Link pagination', async () => {
    const first = await octokit.repos.listCommits({
      owner,
      repo: 'payments-api',
      sha: 'main',
      per_page: 10,
    });
    expect(first.data).toHaveLength(10);
    expect(first.data[0].sha).toBe(payments.branches.main);
    expect(first.headers.link).toContain('rel="next"');
    expect(first.headers.link).toContain('rel="last"');
    expect(first.headers.link).toMatch(/page=3>; rel="last"/);

    const third = await octokit.repos.listCommits({
      owner,
      repo: 'payments-api',
      per_page: 10,
      page: 3,
    });
    expect(third.data).toHaveLength(4);
    expect(third.headers.link).toContain('rel="prev"');
    expect(third.headers.link).not.toContain('rel="next"');

    const all = await octokit.paginate(octokit.repos.listCommits, {
      owner,
      repo: 'payments-api',
      sha: 'main',
      per_page: 7,
    });
    expect(all.length).toBeGreaterThanOrEqual(20);
    expect(all.map(c => c.sha)).toEqual(paymentsMain.map(c => c.sha).reverse());
    expect(all[all.length - 1].commit.message).toBe('Initial commit');
    expect(all[all.length - 1].parents).toEqual([]);
    for (let i = 0; i < all.length - 1; i++) {
      expect(all[i].parents.map(p => p.sha)).toEqual([all[i + 1].sha]);
    }
    const head = all[0];
    const seedHead = paymentsMain[paymentsMain.length - 1];
    expect(head.commit.author).toEqual({
      name: seedHead.authorName,
      email: seedHead.authorEmail,
      date: seedHead.date,
    });
    expect(head.author?.login).toBe(seedHead.authorLogin);
    expect(head.html_url).toBe(
      `${server.url}/acme/payments-api/commit/${seedHead.sha}`,
    );

    // A feature branch lists its own commits and then main's history from the fork point.
    const feature = await octokit.repos.listCommits({
      owner,
      repo: 'payments-api',
      sha: 'feature/experiment',
      per_page: 100,
    });
    expect(feature.data.slice(0, 2).map(c => c.commit.message)).toEqual([
      'WIP: experiment 2',
      'WIP: experiment 1',
    ]);
    expect(feature.data).toHaveLength(paymentsMain.length - 2 + 2);
  });

  it('gets a commit by full sha, short sha and branch', async () => {
    const target = paymentsMain[10];
    for (const ref of [target.sha, target.sha.slice(0, 7)]) {
      const { data } = await octokit.repos.getCommit({
        owner,
        repo: 'payments-api',
        ref,
      });
      expect(data.sha).toBe(target.sha);
      expect(data.commit.message).toBe(target.message);
      expect(data.parents.map(p => p.sha)).toEqual([paymentsMain[9].sha]);
      expect(data.files).toEqual([]);
    }
    const byBranch = await octokit.repos.getCommit({
      owner,
      repo: 'payments-api',
      ref: 'main',
    });
    expect(byBranch.data.sha).toBe(payments.branches.main);
  });

  it('compares commits from the commit graph', async () => {
    const repo = 'payments-api';
    const mainHead = payments.branches.main;
    const featureHead = payments.branches['feature/experiment'];
    const forkPoint = paymentsMain[paymentsMain.length - 3].sha;

    const diverged = await octokit.repos.compareCommits({
      owner,
      repo,
      base: 'main',
      head: featureHead,
    });
    expect(diverged.data.status).toBe('diverged');
    expect(diverged.data.ahead_by).toBe(2);
    expect(diverged.data.behind_by).toBe(2);
    expect(diverged.data.total_commits).toBe(2);
    expect(diverged.data.merge_base_commit.sha).toBe(forkPoint);
    expect(diverged.data.base_commit.sha).toBe(mainHead);
    expect(diverged.data.commits.map(c => c.commit.message)).toEqual([
      'WIP: experiment 1',
      'WIP: experiment 2',
    ]);

    // "Is commit X on main?": main...X is behind (or identical).
    const older = paymentsMain[5].sha;
    const onMain = await octokit.repos.compareCommits({
      owner,
      repo,
      base: 'main',
      head: older,
    });
    expect(onMain.data.status).toBe('behind');
    expect(onMain.data.ahead_by).toBe(0);
    expect(onMain.data.behind_by).toBe(paymentsMain.length - 6);
    expect(onMain.data.merge_base_commit.sha).toBe(older);

    const ahead = await octokit.repos.compareCommits({
      owner,
      repo,
      base: older,
      head: 'main',
    });
    expect(ahead.data.status).toBe('ahead');
    expect(ahead.data.ahead_by).toBe(paymentsMain.length - 6);
    expect(ahead.data.commits[ahead.data.commits.length - 1].sha).toBe(
      mainHead,
    );

    const same = await octokit.repos.compareCommitsWithBasehead({
      owner,
      repo,
      basehead: `main...${mainHead.slice(0, 7)}`,
    });
    expect(same.data.status).toBe('identical');

    // Branch names with a slash on both sides of the separator.
    const named = await octokit.repos.compareCommits({
      owner,
      repo,
      base: 'feature/experiment',
      head: 'main',
    });
    expect(named.data.status).toBe('diverged');
    expect(named.data.commits.map(c => c.sha)).toEqual(
      paymentsMain.slice(-2).map(c => c.sha),
    );
  });

  it('lists check runs of a commit', async () => {
    const head = await octokit.checks.listForRef({
      owner,
      repo: 'payments-api',
      ref: 'main',
    });
    expect(head.data.total_count).toBe(3);
    const byName = Object.fromEntries(
      head.data.check_runs.map(r => [r.name, r]),
    );
    expect(byName['unit-tests'].status).toBe('in_progress');
    expect(byName['unit-tests'].conclusion).toBeNull();
    expect(byName['unit-tests'].completed_at).toBeNull();
    expect(byName.build.status).toBe('completed');
    expect(byName.build.conclusion).toBe('success');
    expect(byName.build.head_sha).toBe(payments.branches.main);
    expect(byName.build.html_url).toBe(
      `${server.url}/acme/payments-api/runs/${byName.build.id}`,
    );

    const failing = paymentsMain[20]; // lint fails on this one in the seed
    const red = await octokit.checks.listForRef({
      owner,
      repo: 'payments-api',
      ref: failing.sha,
      check_name: 'lint',
    });
    expect(red.data.total_count).toBe(1);
    expect(red.data.check_runs[0]).toMatchObject({
      name: 'lint',
      status: 'completed',
      conclusion: 'failure',
      head_sha: failing.sha,
    });
  });

  it('reports combined commit statuses and accepts new ones', async () => {
    const repo = 'payments-api';
    const failing = await octokit.repos.getCombinedStatusForRef({
      owner,
      repo,
      ref: paymentsMain[20].sha,
    });
    expect(failing.data.state).toBe('failure');
    expect(failing.data.total_count).toBe(3);
    expect(failing.data.sha).toBe(paymentsMain[20].sha);
    expect(failing.data.statuses.find(s => s.context === 'lint')?.state).toBe(
      'failure',
    );

    const pending = await octokit.repos.getCombinedStatusForRef({
      owner,
      repo,
      ref: 'main',
    });
    expect(pending.data.state).toBe('pending');
    expect(
      pending.data.statuses.find(s => s.context === 'unit-tests')?.state,
    ).toBe('pending');

    const green = await octokit.repos.getCombinedStatusForRef({
      owner,
      repo,
      ref: paymentsMain[21].sha,
    });
    expect(green.data.state).toBe('success');

    const created = await octokit.repos.createCommitStatus({
      owner,
      repo,
      sha: paymentsMain[21].sha,
      state: 'failure',
      context: 'e2e',
      description: 'e2e failed',
      target_url: 'https://ci.example/run/1',
    });
    expect(created.status).toBe(201);
    expect(created.data.context).toBe('e2e');
    const after = await octokit.repos.getCombinedStatusForRef({
      owner,
      repo,
      ref: paymentsMain[21].sha,
    });
    expect(after.data.state).toBe('failure');
    expect(after.data.total_count).toBe(4);
    expect(after.data.statuses.find(s => s.context === 'e2e')?.target_url).toBe(
      'https://ci.example/run/1',
    );

    const invalid = await failure(() =>
      octokit.request('POST /repos/{owner}/{repo}/statuses/{sha}', {
        owner,
        repo,
        sha: paymentsMain[21].sha,
        state: 'bogus' as any,
      }),
    );
    expect(invalid.status).toBe(422);
    expect(invalid.response?.data.message).toBe('Validation Failed');
  });

  it('lists, creates and closes issues with labels', async () => {
    const blockers = await octokit.issues.listForRepo({
      owner,
      repo: 'checkout-web',
      labels: 'deploy-blocker',
      state: 'open',
    });
    expect(blockers.data).toHaveLength(1);
    expect(blockers.data[0].number).toBe(2);
    expect(blockers.data[0].title).toBe(checkout.issues[1].title);
    expect(blockers.data[0].labels).toEqual([
      expect.objectContaining({ name: 'deploy-blocker', color: 'b60205' }),
      expect.objectContaining({ name: 'bug' }),
    ]);
    expect(blockers.data[0].html_url).toBe(
      `${server.url}/acme/checkout-web/issues/2`,
    );

    const none = await octokit.issues.listForRepo({
      owner,
      repo: 'payments-api',
      labels: 'deploy-blocker',
    });
    expect(none.data).toEqual([]);

    // Like GitHub, the issues list includes pull requests (with a pull_request member).
    const all = await octokit.issues.listForRepo({
      owner,
      repo: 'payments-api',
      state: 'all',
    });
    expect(all.data.map(i => [i.number, !!i.pull_request])).toEqual([
      [2, true],
      [1, false],
    ]);

    const created = await octokit.issues.create({
      owner,
      repo: 'payments-api',
      title: 'Hold deploys',
      labels: ['deploy-blocker'],
    });
    expect(created.status).toBe(201);
    expect(created.data.number).toBe(3);
    expect(created.data.state).toBe('open');
    const nowBlocked = await octokit.issues.listForRepo({
      owner,
      repo: 'payments-api',
      labels: 'deploy-blocker',
    });
    expect(nowBlocked.data.map(i => i.number)).toEqual([3]);

    const closed = await octokit.issues.update({
      owner,
      repo: 'payments-api',
      issue_number: 3,
      state: 'closed',
    });
    expect(closed.data.state).toBe('closed');
    expect(closed.data.closed_at).not.toBeNull();
    const afterClose = await octokit.issues.listForRepo({
      owner,
      repo: 'payments-api',
      labels: 'deploy-blocker',
    });
    expect(afterClose.data).toEqual([]);
    const closedList = await octokit.issues.listForRepo({
      owner,
      repo: 'payments-api',
      labels: 'deploy-blocker',
      state: 'closed',
    });
    expect(closedList.data.map(i => i.number)).toEqual([3]);

    const got = await octokit.issues.get({
      owner,
      repo: 'payments-api',
      issue_number: 3,
    });
    expect(got.data.state_reason).toBe('completed');

    // State helpers are visible over HTTP too.
    server.state.reopenIssue(owner, 'payments-api', 3);
    expect(
      (
        await octokit.issues.get({
          owner,
          repo: 'payments-api',
          issue_number: 3,
        })
      ).data.state,
    ).toBe('open');
    server.state.closeIssue(owner, 'payments-api', 3);

    const missingTitle = await failure(() =>
      octokit.request('POST /repos/{owner}/{repo}/issues', {
        owner,
        repo: 'payments-api',
      } as any),
    );
    expect(missingTitle.status).toBe(422);
  });

  it('lists and gets pull requests', async () => {
    const { data } = await octokit.pulls.list({ owner, repo: 'checkout-web' });
    expect(data).toHaveLength(1);
    expect(data[0].number).toBe(3);
    expect(data[0].head.ref).toBe('feature/experiment');
    expect(data[0].head.sha).toBe(checkout.branches['feature/experiment']);
    expect(data[0].base.ref).toBe('main');
    expect(data[0].user?.login).toBe(checkout.pulls[0].authorLogin);

    const closed = await octokit.pulls.list({
      owner,
      repo: 'checkout-web',
      state: 'closed',
    });
    expect(closed.data).toEqual([]);

    const one = await octokit.pulls.get({
      owner,
      repo: 'checkout-web',
      pull_number: 3,
    });
    expect(one.data.title).toBe('Experiment with a new cache');
    expect(one.data.commits).toBe(2);
    expect(one.data.merged).toBe(false);
  });

  it('creates deployments and deployment statuses', async () => {
    const repo = 'inventory-service';
    const inventory = seed.find(r => r.name === repo)!;
    const target = inventory.commits[18].sha;

    const created = await octokit.repos.createDeployment({
      owner,
      repo,
      ref: target,
      environment: 'uat',
      description: 'Deploy to uat',
      payload: {
        image: `sandbox.local/acme/inventory-service:${target.slice(0, 7)}`,
      },
      auto_merge: false,
      required_contexts: [],
      production_environment: false,
    });
    expect(created.status).toBe(201);
    const deployment = created.data as Extract<
      typeof created.data,
      { id: number }
    >;
    expect(deployment.sha).toBe(target);
    expect(deployment.ref).toBe(target);
    expect(deployment.environment).toBe('uat');
    expect(deployment.payload).toEqual({
      image: `sandbox.local/acme/inventory-service:${target.slice(0, 7)}`,
    });
    expect(deployment.task).toBe('deploy');

    const byBranch = await octokit.repos.createDeployment({
      owner,
      repo,
      ref: 'main',
      environment: 'production',
      required_contexts: [],
    });
    expect((byBranch.data as { sha: string }).sha).toBe(
      inventory.branches.main,
    );
    expect(
      (byBranch.data as { production_environment: boolean })
        .production_environment,
    ).toBe(true);

    const inProgress = await octokit.repos.createDeploymentStatus({
      owner,
      repo,
      deployment_id: deployment.id,
      state: 'in_progress',
      log_url: 'https://ci.example/deploy/1',
    });
    expect(inProgress.status).toBe(201);
    expect(inProgress.data.state).toBe('in_progress');
    const success = await octokit.repos.createDeploymentStatus({
      owner,
      repo,
      deployment_id: deployment.id,
      state: 'success',
      environment_url: 'https://uat.acme.example',
      description: 'Deployed',
    });
    expect(success.data.environment_url).toBe('https://uat.acme.example');

    const statuses = await octokit.repos.listDeploymentStatuses({
      owner,
      repo,
      deployment_id: deployment.id,
    });
    expect(statuses.data.map(s => s.state)).toEqual(['success', 'in_progress']);
    expect(statuses.data[1].log_url).toBe('https://ci.example/deploy/1');

    const listed = await octokit.repos.listDeployments({
      owner,
      repo,
      environment: 'uat',
    });
    expect(listed.data.map(d => d.id)).toEqual([deployment.id]);
    const bySha = await octokit.repos.listDeployments({
      owner,
      repo,
      sha: inventory.branches.main,
    });
    expect(bySha.data.map(d => d.environment)).toEqual(['production']);

    // A later successful deployment to the same (non-production) environment makes the earlier
    // one inactive, as GitHub does.
    const next = await octokit.repos.createDeployment({
      owner,
      repo,
      ref: inventory.commits[19].sha,
      environment: 'uat',
      required_contexts: [],
    });
    await octokit.repos.createDeploymentStatus({
      owner,
      repo,
      deployment_id: (next.data as { id: number }).id,
      state: 'success',
    });
    const previous = await octokit.repos.listDeploymentStatuses({
      owner,
      repo,
      deployment_id: deployment.id,
    });
    expect(previous.data[0].state).toBe('inactive');

    const badState = await failure(() =>
      octokit.repos.createDeploymentStatus({
        owner,
        repo,
        deployment_id: deployment.id,
        state: 'done' as any,
      }),
    );
    expect(badState.status).toBe(422);
  });

  it('refuses deployments whose commit statuses are not green unless contexts are waived', async () => {
    // The head of main has unit-tests still pending.
    const conflict = await failure(() =>
      octokit.repos.createDeployment({
        owner,
        repo: 'checkout-web',
        ref: 'main',
      }),
    );
    expect(conflict.status).toBe(409);
    expect(conflict.response?.data.errors[0].contexts).toEqual([
      { context: 'unit-tests', state: 'pending' },
    ]);
    const onlyBuild = await octokit.repos.createDeployment({
      owner,
      repo: 'checkout-web',
      ref: 'main',
      required_contexts: ['build'],
    });
    expect(onlyBuild.status).toBe(201);
  });

  it('answers errors like GitHub', async () => {
    const unknownRepo = await failure(() =>
      octokit.repos.get({ owner, repo: 'nope' }),
    );
    expect(unknownRepo.status).toBe(404);
    expect(unknownRepo.name).toBe('HttpError');
    expect(unknownRepo.response?.data.message).toBe('Not Found');
    expect(unknownRepo.response?.data.documentation_url).toMatch(
      /^https:\/\/docs\.github\.com/,
    );

    const unknownCommit = await failure(() =>
      octokit.repos.getCommit({
        owner,
        repo: 'payments-api',
        ref: 'f'.repeat(40),
      }),
    );
    expect(unknownCommit.status).toBe(404);
    const unknownCompare = await failure(() =>
      octokit.repos.compareCommits({
        owner,
        repo: 'payments-api',
        base: 'main',
        head: 'nope',
      }),
    );
    expect(unknownCompare.status).toBe(404);

    const badToken = await failure(() =>
      new Octokit({ baseUrl: server.url, auth: 'wrong', log }).repos.get({
        owner,
        repo: 'payments-api',
      }),
    );
    expect(badToken.status).toBe(401);
    expect(badToken.response?.data.message).toBe('Bad credentials');
    const noToken = await failure(() =>
      new Octokit({ baseUrl: server.url, log }).repos.get({
        owner,
        repo: 'payments-api',
      }),
    );
    expect(noToken.status).toBe(401);

    const badRef = await failure(() =>
      octokit.repos.createDeployment({
        owner,
        repo: 'payments-api',
        ref: 'no-such-branch',
        required_contexts: [],
      }),
    );
    expect(badRef.status).toBe(422);
    expect(badRef.response?.data.message).toBe('Validation Failed');
    expect(badRef.response?.data.errors[0]).toMatchObject({
      field: 'ref',
      code: 'invalid',
    });

    const malformed = await fetch(
      `${server.url}/repos/acme/payments-api/deployments`,
      {
        method: 'POST',
        headers: {
          authorization: `token ${TOKEN}`,
          'content-type': 'application/json',
        },
        body: '{"ref": ',
      },
    );
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).message).toBe('Problems parsing JSON');
  });

  it('answers /rate_limit', async () => {
    const { data } = await octokit.rateLimit.get();
    expect(data.resources.core.limit).toBe(5000);
  });

  it('adds commits through the control endpoint and the state helpers', async () => {
    const repo = 'payments-api';
    const response = await fetch(
      `${server.url}/_sandbox/repos/acme/${repo}/commits`,
      {
        method: 'POST',
        headers: {
          authorization: `token ${TOKEN}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          branch: 'main',
          message: 'Ship the new thing',
          checks: [
            { name: 'build', state: 'success' },
            { name: 'unit-tests', state: 'pending' },
          ],
        }),
      },
    );
    expect(response.status).toBe(201);
    const pushed = await response.json();
    expect(pushed.parents.map((p: { sha: string }) => p.sha)).toEqual([
      payments.branches.main,
    ]);

    const head = await octokit.repos.getBranch({ owner, repo, branch: 'main' });
    expect(head.data.commit.sha).toBe(pushed.sha);
    expect(head.data.commit.commit.message).toBe('Ship the new thing');
    const list = await octokit.repos.listCommits({ owner, repo, per_page: 1 });
    expect(list.data[0].sha).toBe(pushed.sha);

    server.state.setCheck(owner, repo, pushed.sha, 'unit-tests', 'success');
    const runs = await octokit.checks.listForRef({
      owner,
      repo,
      ref: pushed.sha,
    });
    expect(
      runs.data.check_runs.map(r => [r.name, r.conclusion]).sort(),
    ).toEqual([
      ['build', 'success'],
      ['unit-tests', 'success'],
    ]);
    const combined = await octokit.repos.getCombinedStatusForRef({
      owner,
      repo,
      ref: pushed.sha,
    });
    expect(combined.data.state).toBe('success');

    const sha = server.state.addCommit(owner, repo, 'main', {
      message: 'Break the build',
      checks: [{ name: 'build', state: 'failure' }],
      authorLogin: 'grace',
    });
    const commit = await octokit.repos.getCommit({ owner, repo, ref: sha });
    expect(commit.data.author?.login).toBe('grace');
    expect(commit.data.commit.author?.name).toBe('Grace Hopper');
    expect(commit.data.parents.map(p => p.sha)).toEqual([pushed.sha]);
    const cmp = await octokit.repos.compareCommits({
      owner,
      repo,
      base: payments.branches.main,
      head: 'main',
    });
    expect(cmp.data.status).toBe('ahead');
    expect(cmp.data.ahead_by).toBe(2);

    const badCheck = await fetch(
      `${server.url}/_sandbox/repos/acme/${repo}/commits`,
      {
        method: 'POST',
        headers: {
          authorization: `token ${TOKEN}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          message: 'x',
          checks: [{ name: 'build', state: 'green' }],
        }),
      },
    );
    expect(badCheck.status).toBe(422);
  });

  it('serves pages behind html_url without a token', async () => {
    const page = await fetch(
      `${server.url}/acme/payments-api/commit/${payments.branches.main}`,
    );
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain(
      paymentsMain[paymentsMain.length - 1].message,
    );
  });
});
