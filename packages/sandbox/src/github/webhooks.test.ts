import http from 'node:http';
import { createHmac } from 'node:crypto';
import { listen } from '../http.ts';
import { startSandbox } from '../index.ts';
import { buildSeed } from '../seed.ts';
import { startGitHubServer } from './GitHubApiServer.ts';
import type { GitHubServer } from './GitHubApiServer.ts';
import {
  WebhookSender,
  deterministicDeliveryId,
  signWebhookBody,
} from './webhooks.ts';

const SECRET = 'sandbox-test-webhook-secret';

interface Received {
  /** Header names and values in the order they arrived. */
  rawHeaders: string[];
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A receiver that answers each request with the next of `statuses` (then 202). */
async function startReceiver(statuses: Array<number | 'drop'> = []) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      received.push({
        rawHeaders: req.rawHeaders,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const status = statuses.shift() ?? 202;
      if (status === 'drop') {
        req.socket.destroy();
        return;
      }
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(
          status < 300 ? { status: 'accepted' } : { error: { message: 'no' } },
        ),
      );
    });
  });
  const { url, close } = await listen(server, 0, '127.0.0.1');
  return { url: `${url}/api/events/http/github`, received, close };
}

function verify(r: Received): boolean {
  const expected = `sha256=${createHmac('sha256', SECRET)
    .update(r.body)
    .digest('hex')}`;
  return r.headers['x-hub-signature-256'] === expected;
}

describe('WebhookSender', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  async function setup(statuses: Array<number | 'drop'> = [], options = {}) {
    const receiver = await startReceiver(statuses);
    closers.push(receiver.close);
    const lines: string[] = [];
    const sender = new WebhookSender({
      url: receiver.url,
      secret: SECRET,
      initialDelayMs: 10,
      maxDelayMs: 40,
      log: line => lines.push(line),
      ...options,
    });
    closers.push(() => sender.close());
    return { receiver, sender, lines };
  }

  it('signs each delivery like GitHub and sends GitHub’s headers in GitHub’s order', async () => {
    const { receiver, sender } = await setup();
    const payload = { zen: 'Design for failure.', hook_id: 1 };
    const { deliveryId, done } = sender.send('ping', payload);
    await expect(done).resolves.toBe(true);
    expect(receiver.received).toHaveLength(1);
    const [r] = receiver.received;
    expect(JSON.parse(r.body)).toEqual(payload);
    expect(verify(r)).toBe(true);
    expect(r.headers['x-hub-signature-256']).toBe(
      signWebhookBody(SECRET, r.body),
    );
    expect(deliveryId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    const names = r.rawHeaders
      .filter((_, i) => i % 2 === 0)
      .map(n => n.toLowerCase());
    const ours = [
      'x-github-event',
      'x-github-delivery',
      'x-hub-signature-256',
      'content-type',
      'user-agent',
    ];
    expect(names.filter(n => ours.includes(n))).toEqual(ours);
    expect(r.headers).toMatchObject({
      'x-github-event': 'ping',
      'x-github-delivery': deliveryId,
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/sandbox',
    });
  });

  it('matches GitHub’s documented signature example', () => {
    // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
    expect(signWebhookBody("It's a Secret to Everybody", 'Hello, World!')).toBe(
      'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
    );
  });

  it('retries with backoff until the receiver takes it: down, 5xx, 404 (not up yet), 429', async () => {
    const { receiver, sender, lines } = await setup([
      'drop',
      503,
      404,
      429,
      500,
    ]);
    const { done } = sender.send('push', { n: 1 });
    await expect(done).resolves.toBe(true);
    expect(receiver.received).toHaveLength(6);
    // The same delivery each time.
    expect(
      new Set(receiver.received.map(r => r.headers['x-github-delivery'])).size,
    ).toBe(1);
    expect(receiver.received.every(verify)).toBe(true);
    // Said once, not per attempt, and again when it gets through.
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/failed .*retrying with backoff/);
    expect(lines[1]).toMatch(/reach .* now/);
  });

  it('waits for a receiver that is not listening yet', async () => {
    const receiver = await startReceiver();
    const url = receiver.url;
    await receiver.close();
    const sender = new WebhookSender({
      url,
      secret: SECRET,
      initialDelayMs: 10,
      maxDelayMs: 20,
    });
    closers.push(() => sender.close());
    const { done } = sender.send('push', { n: 1 });
    await new Promise(r => setTimeout(r, 100));
    expect(sender.stats()).toMatchObject({ pending: 1, delivered: 0 });
    // The receiver comes up on the same port.
    const port = Number(new URL(url).port);
    const received: string[] = [];
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received.push(String(req.headers['x-github-event']));
        res.writeHead(202).end();
      });
    });
    const later = await listen(server, port, '127.0.0.1');
    closers.push(later.close);
    await expect(done).resolves.toBe(true);
    expect(received).toEqual(['push']);
  });

  it('logs a 401 and drops the delivery after a few attempts, then goes on with the next', async () => {
    const { receiver, sender, lines } = await setup([401, 401, 401], {
      maxRefusedAttempts: 3,
    });
    const first = sender.send('push', { n: 1 });
    const second = sender.send('push', { n: 2 });
    await expect(first.done).resolves.toBe(false);
    await expect(second.done).resolves.toBe(true);
    expect(receiver.received.map(r => JSON.parse(r.body).n)).toEqual([
      1, 1, 1, 2,
    ]);
    expect(lines.join('\n')).toMatch(/refused 3 times \(401 .*\); dropped/);
    expect(sender.stats()).toEqual({ delivered: 1, dropped: 1, pending: 0 });
  });

  it('keeps each repository’s deliveries in order while one is retried', async () => {
    const { receiver, sender } = await setup([503, 503]);
    const sent = [1, 2, 3, 4].map(n =>
      sender.send('push', { n }, { key: 'acme/payments-api' }),
    );
    await sender.idle();
    expect(await Promise.all(sent.map(s => s.done))).toEqual([
      true,
      true,
      true,
      true,
    ]);
    const order = receiver.received.map(r => JSON.parse(r.body).n);
    expect(order).toEqual([1, 1, 1, 2, 3, 4]);
  });

  it('serialises a payload when it is queued, and keeps a given delivery id', async () => {
    const { receiver, sender } = await setup(['drop']);
    const payload = { state: 'open' };
    const id = deterministicDeliveryId('issues:acme/x#1:opened');
    sender.send('issues', payload, { deliveryId: id });
    payload.state = 'closed';
    await sender.idle();
    expect(receiver.received.map(r => JSON.parse(r.body).state)).toEqual([
      'open',
      'open',
    ]);
    expect(receiver.received[1].headers['x-github-delivery']).toBe(id);
    expect(deterministicDeliveryId('issues:acme/x#1:opened')).toBe(id);
    expect(deterministicDeliveryId('issues:acme/x#1:closed')).not.toBe(id);
  });

  it('stops retrying on close', async () => {
    const sender = new WebhookSender({
      url: 'http://127.0.0.1:9/unreachable',
      secret: SECRET,
      initialDelayMs: 60_000,
    });
    const { done } = sender.send('push', {});
    await new Promise(r => setTimeout(r, 50));
    await sender.close();
    await expect(done).resolves.toBe(false);
    await expect(sender.send('push', {}).done).resolves.toBe(false);
  });
});

describe('the sandbox GitHub sends webhooks for what changes', () => {
  const now = Date.parse('2026-11-20T12:00:00Z');
  let clock = now;
  let github: GitHubServer;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let sender: WebhookSender;
  const token = 'sandbox-token';

  beforeAll(async () => {
    receiver = await startReceiver();
    sender = new WebhookSender({ url: receiver.url, secret: SECRET });
    github = await startGitHubServer({
      port: 0,
      repositories: buildSeed(now).repositories,
      token,
      now: () => (clock += 1000),
      webhooks: sender,
    });
  });

  afterAll(async () => {
    await sender?.close();
    await github?.close();
    await receiver?.close();
  });

  async function api(method: string, path: string, body?: unknown) {
    const res = await fetch(`${github.url}${path}`, {
      method,
      headers: {
        authorization: `token ${token}`,
        'content-type': 'application/json',
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    expect(res.ok).toBe(true);
    return res.json();
  }

  async function deliveries() {
    await sender.idle();
    const out = receiver.received.splice(0).map(r => {
      expect(verify(r)).toBe(true);
      return {
        event: String(r.headers['x-github-event']),
        payload: JSON.parse(r.body),
      };
    });
    return out;
  }

  it('a commit added to main: a push with the commit, its time and pushed_at in seconds', async () => {
    const commit = await api(
      'POST',
      '/_sandbox/repos/acme/payments-api/commits',
      {
        message: 'Speed up refunds',
      },
    );
    const [push, ...rest] = await deliveries();
    expect(rest).toEqual([]);
    expect(push.event).toBe('push');
    expect(push.payload).toMatchObject({
      ref: 'refs/heads/main',
      after: commit.sha,
      repository: {
        full_name: 'acme/payments-api',
        default_branch: 'main',
        pushed_at: expect.any(Number),
      },
      commits: [{ id: commit.sha, message: 'Speed up refunds' }],
      head_commit: { id: commit.sha },
    });
    expect(push.payload.repository.pushed_at * 1000).toBeGreaterThanOrEqual(
      Date.parse(push.payload.head_commit.timestamp) - 999,
    );
    // Nothing of it shows in the Deployments tab's data but the commit itself.
    expect(
      github.state.getRepository('acme', 'payments-api')!.branches.get('main'),
    ).toBe(commit.sha);
  });

  it('an incident opened, labelled, edited and closed through the API: issues deliveries', async () => {
    const issue = await api('POST', '/repos/acme/checkout-web/issues', {
      title: 'Checkout answers 500',
      body: 'Since the deploy.',
      labels: ['incident'],
    });
    await api('PATCH', `/repos/acme/checkout-web/issues/${issue.number}`, {
      body: 'Since the deploy of 0123456789abcdef0123456789abcdef01234567.',
      labels: ['incident', 'bug'],
    });
    await api('PATCH', `/repos/acme/checkout-web/issues/${issue.number}`, {
      state: 'closed',
    });
    const got = await deliveries();
    expect(got.map(d => [d.event, d.payload.action])).toEqual([
      ['issues', 'opened'],
      ['issues', 'edited'],
      ['issues', 'labeled'],
      ['issues', 'closed'],
    ]);
    expect(got[0].payload.issue).toMatchObject({
      number: issue.number,
      state: 'open',
      labels: [{ name: 'incident' }],
    });
    expect(got[1].payload.changes).toEqual({
      body: { from: 'Since the deploy.' },
    });
    expect(got[2].payload.label).toMatchObject({ name: 'bug' });
    expect(got[3].payload.issue).toMatchObject({
      state: 'closed',
      closed_at: expect.any(String),
    });
    expect(got[3].payload.repository.full_name).toBe('acme/checkout-web');
  });

  it('a deployment status: a deployment_status delivery with the deployment', async () => {
    const head = github.state
      .getRepository('acme', 'inventory-service')!
      .branches.get('main')!;
    const deployment = await api(
      'POST',
      '/repos/acme/inventory-service/deployments',
      {
        ref: head,
        environment: 'production',
        payload: { token: 'DEP-1' },
        required_contexts: [],
      },
    );
    await api(
      'POST',
      `/repos/acme/inventory-service/deployments/${deployment.id}/statuses`,
      { state: 'success', log_url: 'http://ci.example/1' },
    );
    const [status, ...rest] = await deliveries();
    expect(rest).toEqual([]);
    expect(status.event).toBe('deployment_status');
    expect(status.payload).toMatchObject({
      action: 'created',
      deployment_status: { state: 'success', environment: 'production' },
      deployment: { id: deployment.id, sha: head, payload: { token: 'DEP-1' } },
    });
  });
});

describe('a sandbox with webhooks', () => {
  it('sends the DORA history at start, signed, and the same deliveries again after a restart', async () => {
    const now = Date.parse('2026-11-20T12:00:00Z');
    const runs: Array<Array<{ id: string; event: string; body: string }>> = [];
    for (let run = 0; run < 2; run++) {
      const receiver = await startReceiver();
      const sandbox = await startSandbox({
        now,
        webhooks: { url: receiver.url, secret: SECRET },
      });
      try {
        expect(sandbox.historyDeliveries).toBeGreaterThan(500);
        // Then the create and push of the demo's deploy branch.
        expect(sandbox.pushDeliveries).toBe(2);
        await sandbox.webhooks!.idle();
        expect(receiver.received).toHaveLength(
          sandbox.historyDeliveries + sandbox.pushDeliveries,
        );
        expect(receiver.received.every(verify)).toBe(true);
        const [create, push] = receiver.received
          .slice(-2)
          .map(r => JSON.parse(r.body));
        expect(create).toMatchObject({
          ref: 'deploy/faster-checkout',
          ref_type: 'branch',
          master_branch: 'main',
          pusher_type: 'user',
          repository: { full_name: 'acme/payments-api' },
        });
        const seedPush = buildSeed(now).pushes[0];
        expect(push).toMatchObject({
          ref: 'refs/heads/deploy/faster-checkout',
          before: '0'.repeat(40),
          after: seedPush.commits[0].sha,
          created: true,
          deleted: false,
          commits: [{ id: seedPush.commits[0].sha }],
          head_commit: { id: seedPush.commits[0].sha },
          sender: { login: seedPush.commits[0].authorLogin },
        });
        expect(create.sender).toEqual(push.sender);
        runs.push(
          receiver.received.map(r => ({
            id: String(r.headers['x-github-delivery']),
            event: String(r.headers['x-github-event']),
            // Ports differ from run to run here (the demo's are fixed).
            body: r.body.replaceAll(new URL(sandbox.githubUrl).host, 'github'),
          })),
        );
        // The history is not in the sandbox GitHub: its repositories are the seed's (and the
        // seed's push).
        const repo = sandbox.github.state.getRepository(
          'acme',
          'payments-api',
        )!;
        expect(repo.commits.size).toBe(
          buildSeed(now).repositories[0].commits.length + 1,
        );
        expect(repo.branches.get('deploy/faster-checkout')).toBe(
          buildSeed(now).pushes[0].commits[0].sha,
        );
      } finally {
        await sandbox.close();
        await receiver.close();
      }
    }
    const sort = (r: (typeof runs)[number]) =>
      [...r].sort((a, b) => a.id.localeCompare(b.id));
    expect(sort(runs[1])).toEqual(sort(runs[0]));
    expect(new Set(runs[0].map(r => r.event))).toEqual(
      new Set(['push', 'deployment_status', 'issues', 'create']),
    );
  }, 60_000);
});
