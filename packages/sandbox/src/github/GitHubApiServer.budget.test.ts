import { Octokit } from '@octokit/rest';
import { buildSeed } from '../seed.ts';
import { startGitHubServer } from './GitHubApiServer.ts';
import type { GitHubServer } from './GitHubApiServer.ts';

/*
 * What the emulator charges: entity tags and 304s (free), the primary rate limit with its
 * headers, Link pagination of CI results past 100, and the counters tests and the benchmark read.
 */

const TOKEN = 'sandbox-test-token';
const owner = 'acme';
const repo = 'payments-api';
const log = { debug() {}, info() {}, warn() {}, error() {} };

describe('the GitHub emulator budget', () => {
  let server: GitHubServer;
  let octokit: Octokit;

  beforeAll(async () => {
    server = await startGitHubServer({
      repositories: buildSeed(Date.parse('2026-01-15T12:00:00Z')).repositories,
      token: TOKEN,
      rateLimit: 40,
    });
    octokit = new Octokit({ baseUrl: server.url, auth: TOKEN, log });
  });

  afterAll(async () => {
    await server?.close();
  });

  beforeEach(() => server.resetCalls());

  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, {
      headers: { authorization: `token ${TOKEN}`, ...headers },
    });

  it('tags GET answers and answers 304 to a matching If-None-Match, free of the rate limit', async () => {
    const first = await get(`/repos/${owner}/${repo}`);
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^W\/"[0-9a-f]+"$/);
    const remaining = Number(first.headers.get('x-ratelimit-remaining'));
    expect(first.headers.get('x-ratelimit-limit')).toBe('40');

    const again = await get(`/repos/${owner}/${repo}`, {
      'if-none-match': etag,
    });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect(again.headers.get('etag')).toBe(etag);
    expect(Number(again.headers.get('x-ratelimit-remaining'))).toBe(remaining);

    // Octokit throws on 304 (its callers keep the body they have).
    const viaOctokit = await octokit.repos
      .get({ owner, repo, headers: { 'if-none-match': etag } })
      .catch(e => e);
    expect(viaOctokit.status).toBe(304);

    // A stale tag gets the full body again, which counts.
    const stale = await get(`/repos/${owner}/${repo}`, {
      'if-none-match': 'W/"0000"',
    });
    expect(stale.status).toBe(200);

    expect(server.calls()).toMatchObject({
      total: 4,
      notModified: 2,
      rateLimited: 2,
      refused: 0,
      byRoute: { 'GET /repos/:owner/:repo': { total: 4, notModified: 2 } },
    });
  });

  it('changes the tag when the resource changes', async () => {
    const sha = server.state.addCommit(owner, repo, 'main', {
      message: 'tagged',
      checks: [{ name: 'build', state: 'pending' }],
    });
    const path = `/repos/${owner}/${repo}/commits/${sha}/check-runs`;
    const before = await get(path);
    const etag = before.headers.get('etag')!;
    expect((await get(path, { 'if-none-match': etag })).status).toBe(304);

    server.state.setCheck(owner, repo, sha, 'build', 'success');
    const after = await get(path, { 'if-none-match': etag });
    expect(after.status).toBe(200);
    expect((await after.json()).check_runs[0].conclusion).toBe('success');
    expect(server.calls().byRoute).toEqual({
      'GET /repos/:owner/:repo/commits/:sha/check-runs': {
        total: 3,
        notModified: 1,
      },
    });
  });

  it('pages check runs and statuses past 100 with Link headers', async () => {
    const checks = Array.from({ length: 130 }, (_, i) => ({
      name: `check-${String(i + 1).padStart(3, '0')}`,
      state: 'success' as const,
    }));
    const sha = server.state.addCommit(owner, repo, 'main', {
      message: 'many checks',
      checks,
    });
    const runs = await octokit.paginate(octokit.checks.listForRef, {
      owner,
      repo,
      ref: sha,
      per_page: 100,
    });
    expect(new Set(runs.map(r => r.name)).size).toBe(130);

    const first = await get(
      `/repos/${owner}/${repo}/commits/${sha}/status?per_page=100`,
    );
    const body = await first.json();
    expect(body.total_count).toBe(130);
    expect(body.statuses).toHaveLength(100);
    const next = /<([^>]+)>;\s*rel="next"/.exec(first.headers.get('link')!)![1];
    const second = await (
      await get(new URL(next).pathname + new URL(next).search)
    ).json();
    expect(second.statuses).toHaveLength(30);
    expect(
      new Set([...body.statuses, ...second.statuses].map(s => s.context)).size,
    ).toBe(130);
  });

  it('refuses calls with 403 once the hour’s limit is used, and still answers 304s and /rate_limit', async () => {
    const res = await get(`/repos/${owner}/${repo}`);
    const etag = res.headers.get('etag')!;
    let remaining = Number(res.headers.get('x-ratelimit-remaining'));
    while (remaining > 0) {
      remaining = Number(
        (await get(`/repos/${owner}/${repo}/branches`)).headers.get(
          'x-ratelimit-remaining',
        ),
      );
    }
    const refused = await get(`/repos/${owner}/${repo}/branches`);
    expect(refused.status).toBe(403);
    expect((await refused.json()).message).toMatch(/rate limit exceeded/);
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');

    const write = await fetch(
      `${server.url}/repos/${owner}/${repo}/statuses/main`,
      {
        method: 'POST',
        headers: { authorization: `token ${TOKEN}` },
        body: JSON.stringify({ state: 'success', context: 'refused' }),
      },
    );
    expect(write.status).toBe(403);
    const main = server.state.getRepository(owner, repo)!.branches.get('main')!;
    expect(
      server.state
        .statusesFor(server.state.getRepository(owner, repo)!, main)
        .some(s => s.context === 'refused'),
    ).toBe(false);

    expect(
      (await get(`/repos/${owner}/${repo}`, { 'if-none-match': etag })).status,
    ).toBe(304);
    const limit = await (await get('/rate_limit')).json();
    expect(limit.resources.core).toMatchObject({
      limit: 40,
      remaining: 0,
      used: 40,
    });
    expect(server.calls().refused).toBe(2);
  });
});
