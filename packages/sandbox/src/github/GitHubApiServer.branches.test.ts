/*
 * Branches in the sandbox GitHub as a `deploy/*` flow meets them: the git refs API through
 * Octokit (with GitHub's error answers), and the webhooks GitHub sends when a branch is created,
 * moved or deleted (`create`, `delete`, `push`) and when a pull request is merged
 * (`pull_request` closed, merged), received signed by a test receiver.
 */
import http from 'node:http';
import { createHmac } from 'node:crypto';
import { Octokit } from '@octokit/rest';
import { listen } from '../http.ts';
import { buildSeed } from '../seed.ts';
import { startGitHubServer } from './GitHubApiServer.ts';
import type { GitHubServer } from './GitHubApiServer.ts';
import { WebhookSender } from './webhooks.ts';

const SECRET = 'sandbox-branches-test-secret';
const TOKEN = 'sandbox-token';
const ZERO = '0'.repeat(40);
const log = { debug() {}, info() {}, warn() {}, error() {} };

async function startReceiver() {
  const received: Array<{ event: string; body: string; signature: string }> =
    [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      received.push({
        event: String(req.headers['x-github-event']),
        body: Buffer.concat(chunks).toString('utf8'),
        signature: String(req.headers['x-hub-signature-256']),
      });
      res.writeHead(202).end();
    });
  });
  const { url, close } = await listen(server, 0, '127.0.0.1');
  return { url, received, close };
}

async function failure(fn: () => Promise<unknown>): Promise<any> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

describe('branches in the sandbox GitHub', () => {
  const now = Date.parse('2026-11-20T12:00:00Z');
  let clock = now;
  let github: GitHubServer;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let sender: WebhookSender;
  let octokit: Octokit;
  const owner = 'acme';
  const repo = 'payments-api';
  const seed = buildSeed(now).repositories.find(r => r.name === repo)!;
  const mainHead = seed.branches.main;

  beforeAll(async () => {
    receiver = await startReceiver();
    sender = new WebhookSender({ url: receiver.url, secret: SECRET });
    github = await startGitHubServer({
      port: 0,
      repositories: buildSeed(now).repositories,
      token: TOKEN,
      now: () => (clock += 1000),
      webhooks: sender,
    });
    octokit = new Octokit({ baseUrl: github.url, auth: TOKEN, log });
  });

  afterAll(async () => {
    await sender?.close();
    await github?.close();
    await receiver?.close();
  });

  async function deliveries() {
    await sender.idle();
    return receiver.received.splice(0).map(r => {
      expect(r.signature).toBe(
        `sha256=${createHmac('sha256', SECRET).update(r.body).digest('hex')}`,
      );
      return { event: r.event, payload: JSON.parse(r.body) };
    });
  }

  async function sandbox(method: string, path: string, body?: unknown) {
    return fetch(`${github.url}/_sandbox/repos/${owner}/${repo}${path}`, {
      method,
      headers: {
        authorization: `token ${TOKEN}`,
        'content-type': 'application/json',
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  it('a commit on a new branch through /_sandbox/commits: create, then a push that created it', async () => {
    const res = await sandbox('POST', '/commits', {
      branch: 'deploy/try-this',
      message: 'Try this',
      checks: [{ name: 'build', state: 'success' }],
    });
    expect(res.status).toBe(201);
    const commit = await res.json();
    // Branched from the default branch head.
    expect(commit.parents.map((p: any) => p.sha)).toEqual([mainHead]);
    const [create, push, ...rest] = await deliveries();
    expect(rest).toEqual([]);
    expect(create.event).toBe('create');
    const author = commit.author.login;
    expect(create.payload).toEqual({
      ref: 'deploy/try-this',
      ref_type: 'branch',
      master_branch: 'main',
      description: 'The payments-api service',
      pusher_type: 'user',
      repository: expect.objectContaining({
        full_name: 'acme/payments-api',
        default_branch: 'main',
        pushed_at: expect.any(String),
      }),
      sender: expect.objectContaining({ login: author, type: 'User' }),
    });
    expect(push.event).toBe('push');
    expect(push.payload).toMatchObject({
      ref: 'refs/heads/deploy/try-this',
      before: ZERO,
      after: commit.sha,
      created: true,
      deleted: false,
      forced: false,
      base_ref: null,
      compare: `${github.url}/acme/payments-api/commit/${commit.sha.slice(
        0,
        12,
      )}`,
      commits: [{ id: commit.sha, message: 'Try this' }],
      head_commit: { id: commit.sha },
      pusher: { name: author },
      sender: { login: author },
      repository: { pushed_at: expect.any(Number) },
    });
    expect(
      (
        await octokit.repos.getCombinedStatusForRef({
          owner,
          repo,
          ref: 'deploy/try-this',
        })
      ).data.state,
    ).toBe('success');

    // The next commit on it is a plain push.
    const next = await (
      await sandbox('POST', '/commits', {
        branch: 'deploy/try-this',
        message: 'Try this, again',
      })
    ).json();
    const [again, ...none] = await deliveries();
    expect(none).toEqual([]);
    expect(again.payload).toMatchObject({
      before: commit.sha,
      after: next.sha,
      created: false,
      commits: [{ id: next.sha }],
    });
  });

  it('the git refs API: create, get, match, fast-forward, force and delete, with their webhooks', async () => {
    const created = await octokit.git.createRef({
      owner,
      repo,
      ref: 'refs/heads/deploy/api-made',
      sha: mainHead,
    });
    expect(created.status).toBe(201);
    expect(created.data).toEqual({
      ref: 'refs/heads/deploy/api-made',
      node_id: expect.any(String),
      url: `${github.url}/repos/acme/payments-api/git/refs/heads/deploy/api-made`,
      object: {
        sha: mainHead,
        type: 'commit',
        url: `${github.url}/repos/acme/payments-api/git/commits/${mainHead}`,
      },
    });
    const [create, push] = await deliveries();
    expect(create.payload).toMatchObject({
      ref: 'deploy/api-made',
      ref_type: 'branch',
      sender: { login: 'sandbox-bot' },
    });
    // Nothing new was pushed: no commits, but the head commit, and the branch it started at.
    expect(push.payload).toMatchObject({
      ref: 'refs/heads/deploy/api-made',
      before: ZERO,
      after: mainHead,
      created: true,
      base_ref: 'refs/heads/main',
      commits: [],
      head_commit: { id: mainHead },
      compare: `${github.url}/acme/payments-api/compare/deploy/api-made`,
      sender: { login: 'sandbox-bot' },
    });

    // Octokit sends the ref as one encoded segment (heads%2Fdeploy%2Fapi-made).
    const got = await octokit.git.getRef({
      owner,
      repo,
      ref: 'heads/deploy/api-made',
    });
    expect(got.data.object.sha).toBe(mainHead);
    const raw = await fetch(
      `${github.url}/repos/acme/payments-api/git/ref/heads/deploy/api-made`,
      { headers: { authorization: `token ${TOKEN}` } },
    );
    expect((await raw.json()).ref).toBe('refs/heads/deploy/api-made');
    const matching = await octokit.git.listMatchingRefs({
      owner,
      repo,
      ref: 'heads/deploy/',
    });
    expect(matching.data.map(r => r.ref)).toEqual([
      'refs/heads/deploy/api-made',
      'refs/heads/deploy/try-this',
    ]);

    // A commit made elsewhere on top of main: moving the branch there is a fast-forward.
    const ahead = await (
      await sandbox('POST', '/commits', {
        branch: 'scratch',
        message: 'Ahead of main',
      })
    ).json();
    await deliveries();
    const moved = await octokit.git.updateRef({
      owner,
      repo,
      ref: 'heads/deploy/api-made',
      sha: ahead.sha,
    });
    expect(moved.data.object.sha).toBe(ahead.sha);
    const [ff] = await deliveries();
    expect(ff.payload).toMatchObject({
      before: mainHead,
      after: ahead.sha,
      created: false,
      forced: false,
      commits: [{ id: ahead.sha }],
    });

    // Back to main is not a fast-forward: refused without force, a forced push with it.
    const notFf = await failure(() =>
      octokit.git.updateRef({
        owner,
        repo,
        ref: 'heads/deploy/api-made',
        sha: mainHead,
      }),
    );
    expect(notFf.status).toBe(422);
    expect(notFf.response.data.message).toBe('Update is not a fast forward');
    await octokit.git.updateRef({
      owner,
      repo,
      ref: 'heads/deploy/api-made',
      sha: mainHead,
      force: true,
    });
    const [forced] = await deliveries();
    expect(forced.payload).toMatchObject({
      before: ahead.sha,
      after: mainHead,
      forced: true,
      commits: [],
      head_commit: { id: mainHead },
    });

    const deleted = await octokit.git.deleteRef({
      owner,
      repo,
      ref: 'heads/deploy/api-made',
    });
    expect(deleted.status).toBe(204);
    const [del, pushDeleted, ...rest] = await deliveries();
    expect(rest).toEqual([]);
    expect(del.event).toBe('delete');
    expect(del.payload).toEqual({
      ref: 'deploy/api-made',
      ref_type: 'branch',
      pusher_type: 'user',
      repository: expect.objectContaining({ full_name: 'acme/payments-api' }),
      sender: expect.objectContaining({ login: 'sandbox-bot' }),
    });
    expect(pushDeleted.payload).toMatchObject({
      ref: 'refs/heads/deploy/api-made',
      before: mainHead,
      after: ZERO,
      created: false,
      deleted: true,
      commits: [],
      head_commit: null,
      compare: `${github.url}/acme/payments-api/compare/${mainHead.slice(
        0,
        12,
      )}...000000000000`,
    });
    expect(
      github.state.getRepository(owner, repo)!.branches.has('deploy/api-made'),
    ).toBe(false);
  });

  it("answers the git refs API's errors as GitHub does, and sends nothing for them", async () => {
    const exists = await failure(() =>
      octokit.git.createRef({
        owner,
        repo,
        ref: 'refs/heads/main',
        sha: mainHead,
      }),
    );
    expect(exists.status).toBe(422);
    expect(exists.response.data).toMatchObject({
      message: 'Reference already exists',
      documentation_url:
        'https://docs.github.com/rest/git/refs#create-a-reference',
    });
    const unknownSha = await failure(() =>
      octokit.git.createRef({
        owner,
        repo,
        ref: 'refs/heads/deploy/x',
        sha: 'f'.repeat(40),
      }),
    );
    expect(unknownSha.response.data.message).toBe('Object does not exist');
    const badRef = await failure(() =>
      octokit.git.createRef({ owner, repo, ref: 'deploy/x', sha: mainHead }),
    );
    expect(badRef.status).toBe(422);
    expect(badRef.response.data.message).toBe('Reference update failed');
    const missingSha = await failure(() =>
      octokit.request('POST /repos/{owner}/{repo}/git/refs', {
        owner,
        repo,
        ref: 'refs/heads/deploy/x',
      } as any),
    );
    expect(missingSha.response.data.message).toBe(
      'Invalid request.\n\n"sha" wasn\'t supplied.',
    );
    const notFound = await failure(() =>
      octokit.git.getRef({ owner, repo, ref: 'heads/deploy/nothing' }),
    );
    expect(notFound.status).toBe(404);
    expect(notFound.response.data).toMatchObject({
      message: 'Not Found',
      documentation_url:
        'https://docs.github.com/rest/git/refs#get-a-reference',
    });
    for (const call of [
      () =>
        octokit.git.updateRef({
          owner,
          repo,
          ref: 'heads/deploy/nothing',
          sha: mainHead,
        }),
      () => octokit.git.deleteRef({ owner, repo, ref: 'heads/deploy/nothing' }),
    ]) {
      const error = await failure(call);
      expect(error.status).toBe(422);
      expect(error.response.data.message).toBe('Reference does not exist');
    }
    const defaultBranch = await failure(() =>
      octokit.git.deleteRef({ owner, repo, ref: 'heads/main' }),
    );
    expect(defaultBranch.status).toBe(422);
    expect(await deliveries()).toEqual([]);
  });

  it('creates and deletes branches through the sandbox control routes too', async () => {
    const created = await sandbox('POST', '/branches', {
      name: 'deploy/from-control',
    });
    expect(created.status).toBe(201);
    expect((await deliveries()).map(d => d.event)).toEqual(['create', 'push']);
    const deleted = await sandbox('DELETE', '/branches/deploy/from-control');
    expect(deleted.status).toBe(204);
    expect((await deliveries()).map(d => [d.event, d.payload.deleted])).toEqual(
      [
        ['delete', undefined],
        ['push', true],
      ],
    );
    expect(
      (await sandbox('DELETE', '/branches/deploy/from-control')).status,
    ).toBe(404);
  });

  it('merges a pull request: the base moves (push), pull_request closed and merged', async () => {
    const pulls = await octokit.pulls.list({ owner, repo });
    const pull = pulls.data.find(p => p.head.ref === 'feature/experiment')!;
    const featureHead = seed.branches['feature/experiment'];
    const stale = await failure(() =>
      octokit.pulls.merge({
        owner,
        repo,
        pull_number: pull.number,
        sha: mainHead,
      }),
    );
    expect(stale.status).toBe(409);
    expect(stale.response.data.message).toBe(
      'Head branch was modified. Review and try the merge again.',
    );
    const notYet = await failure(() =>
      octokit.pulls.checkIfMerged({ owner, repo, pull_number: pull.number }),
    );
    expect(notYet.status).toBe(404);

    const before = github.state
      .getRepository(owner, repo)!
      .branches.get('main');
    const merged = await octokit.pulls.merge({
      owner,
      repo,
      pull_number: pull.number,
      sha: featureHead,
    });
    expect(merged.data).toEqual({
      sha: expect.stringMatching(/^[0-9a-f]{40}$/),
      merged: true,
      message: 'Pull Request successfully merged',
    });
    const mergeSha = merged.data.sha;
    const mergeCommit = await octokit.repos.getCommit({
      owner,
      repo,
      ref: mergeSha,
    });
    expect(mergeCommit.data.parents.map(p => p.sha)).toEqual([
      before,
      featureHead,
    ]);
    expect(mergeCommit.data.commit.message).toBe(
      `Merge pull request #${pull.number} from acme/feature/experiment\n\nExperiment with a new cache`,
    );
    const [push, closed, ...rest] = await deliveries();
    expect(rest).toEqual([]);
    expect(push.payload).toMatchObject({
      ref: 'refs/heads/main',
      before,
      after: mergeSha,
      head_commit: { id: mergeSha },
    });
    expect(push.payload.commits.map((c: any) => c.id)).toEqual([
      ...seed.commits.filter(c => c.message.startsWith('WIP')).map(c => c.sha),
      mergeSha,
    ]);
    expect(closed.event).toBe('pull_request');
    expect(closed.payload).toMatchObject({
      action: 'closed',
      number: pull.number,
      pull_request: {
        number: pull.number,
        state: 'closed',
        merged: true,
        merged_at: expect.any(String),
        merge_commit_sha: mergeSha,
        merged_by: { login: 'sandbox-bot' },
        head: { ref: 'feature/experiment', sha: featureHead },
        base: { ref: 'main' },
      },
      repository: { full_name: 'acme/payments-api' },
      sender: { login: 'sandbox-bot' },
    });
    expect(
      (
        await octokit.pulls.checkIfMerged({
          owner,
          repo,
          pull_number: pull.number,
        })
      ).status,
    ).toBe(204);
    const again = await failure(() =>
      octokit.pulls.merge({ owner, repo, pull_number: pull.number }),
    );
    expect(again.status).toBe(405);
    expect(again.response.data.message).toBe('Pull Request is not mergeable');
  });
});
