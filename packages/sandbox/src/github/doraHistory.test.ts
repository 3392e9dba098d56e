import { buildSeed } from '../seed.ts';
import { startGitHubServer } from './GitHubApiServer.ts';
import {
  DoraHistoryEvent,
  buildDoraHistory,
  doraHistoryDeliveries,
  isoWithOffset,
} from './doraHistory.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.parse('2026-11-20T12:00:00Z');

function deployments(history: DoraHistoryEvent[], repository: string) {
  return history.filter(
    (e): e is Extract<DoraHistoryEvent, { kind: 'deployment_status' }> =>
      e.kind === 'deployment_status' && e.repository === repository,
  );
}

/** Lead times (ms) of the commits each successful deployment ships (those pushed since the last). */
function leadTimes(history: DoraHistoryEvent[], repository: string) {
  const pending: number[] = [];
  const leads: number[] = [];
  for (const e of history) {
    if (e.repository !== repository) continue;
    if (e.kind === 'push') pending.push(...e.commits.map(c => c.at));
    if (e.kind === 'deployment_status' && e.state === 'success') {
      leads.push(...pending.splice(0).map(t => e.at - t));
    }
  }
  return leads.sort((a, b) => a - b);
}

const median = (values: number[]) => values[Math.floor(values.length / 2)];

describe('buildDoraHistory', () => {
  const history = buildDoraHistory({ now: NOW });

  it('is the same for the same now, and the same on a restart later that day', () => {
    expect(buildDoraHistory({ now: NOW })).toEqual(history);
    // Three hours later: the events both windows hold are the same, ids and all.
    const later = buildDoraHistory({ now: NOW + 3 * HOUR });
    const from = NOW + 3 * HOUR - HOUR - 16 * 7 * DAY;
    const inBoth = (h: DoraHistoryEvent[]) =>
      h.filter(e => e.at >= from && e.at <= NOW - HOUR);
    expect(inBoth(later)).toEqual(inBoth(history));
    expect(later.length).toBeGreaterThan(0);
  });

  it('gives a day the same ids whatever the window', () => {
    const nextWeek = buildDoraHistory({ now: NOW + 7 * DAY });
    const day = Date.parse('2026-10-14T00:00:00Z');
    const ids = (h: DoraHistoryEvent[]) =>
      new Set(
        h
          .filter(e => e.at >= day && e.at < day + DAY)
          .map(e => {
            if (e.kind === 'push') return e.after;
            if (e.kind === 'deployment_status') return e.statusId;
            return `${e.number}`;
          }),
      );
    const before = ids(history);
    const after = ids(nextWeek);
    const shared = [...before].filter(id => after.has(id));
    expect(shared.length).toBeGreaterThan(before.size * 0.8);
  });

  it('covers 16 weeks ending an hour before now, in order', () => {
    const times = history.map(e => e.at);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(Math.max(...times)).toBeLessThanOrEqual(NOW - HOUR);
    const deploys = history.filter(e => e.kind === 'deployment_status');
    expect(Math.min(...deploys.map(e => e.at))).toBeGreaterThanOrEqual(
      NOW - HOUR - 16 * 7 * DAY,
    );
    expect(Math.min(...deploys.map(e => e.at))).toBeLessThan(
      NOW - 15 * 7 * DAY,
    );
  });

  it('deploys to production only commits that were pushed, after they were pushed', () => {
    const pushed = new Map<string, number>();
    const problems: string[] = [];
    for (const e of history) {
      if (e.kind === 'push') {
        if (e.commits.length < 1 || e.commits.length > 4) {
          problems.push(`push ${e.after}: ${e.commits.length} commits`);
        }
        for (const c of e.commits) {
          if (c.at >= e.at) problems.push(`commit ${c.sha} after its push`);
          pushed.set(c.sha, e.at);
        }
      }
      if (e.kind === 'deployment_status') {
        if (e.environment !== 'production') {
          problems.push(`status ${e.statusId} in ${e.environment}`);
        }
        const at = pushed.get(e.sha);
        if (at === undefined || at > e.at) {
          problems.push(
            `status ${e.statusId} deploys ${e.sha}, not pushed before`,
          );
        }
      }
    }
    expect(problems).toEqual([]);
    // Unique ids.
    const statusIds = history.flatMap(e =>
      e.kind === 'deployment_status' ? [e.statusId] : [],
    );
    expect(new Set(statusIds).size).toBe(statusIds.length);
    const shas = history.flatMap(e =>
      e.kind === 'push' ? e.commits.map(c => c.sha) : [],
    );
    expect(new Set(shas).size).toBe(shas.length);
  });

  it('opens incidents after a deployment, naming its sha, and closes them later', () => {
    const issues = history.filter(
      (e): e is Extract<DoraHistoryEvent, { kind: 'issue' }> =>
        e.kind === 'issue',
    );
    expect(issues.length).toBeGreaterThan(0);
    for (const closed of issues.filter(i => i.action === 'closed')) {
      expect(closed.closedAt! - closed.createdAt).toBeGreaterThan(0);
      const sha = /[0-9a-f]{40}/.exec(closed.body)![0];
      const cause = deployments(history, closed.repository).find(
        d => d.sha === sha && d.state === 'success',
      );
      expect(cause).toBeDefined();
      expect(cause!.at).toBeLessThan(closed.createdAt);
    }
  });

  it('gives the services their profiles, payments improving', () => {
    const payments = deployments(history, 'acme/payments-api').filter(
      d => d.state === 'success',
    );
    const checkout = deployments(history, 'acme/checkout-web').filter(
      d => d.state === 'success',
    );
    const inventory = deployments(history, 'acme/inventory-service').filter(
      d => d.state === 'success',
    );
    const start = NOW - HOUR - 16 * 7 * DAY;
    const firstMonth = payments.filter(d => d.at < start + 28 * DAY).length;
    const lastMonth = payments.filter(
      d => d.at >= NOW - HOUR - 28 * DAY,
    ).length;
    expect(lastMonth).toBeGreaterThan(firstMonth * 1.8);
    // Several a day, about daily, about weekly.
    expect(payments.length / 112).toBeGreaterThan(2);
    expect(checkout.length / 112).toBeGreaterThan(0.4);
    expect(checkout.length / 112).toBeLessThan(1);
    expect(inventory.length).toBeGreaterThanOrEqual(12);
    expect(inventory.length).toBeLessThanOrEqual(20);
    // Lead times: hours, about a day, days.
    expect(median(leadTimes(history, 'acme/payments-api'))).toBeLessThan(
      3 * HOUR,
    );
    expect(median(leadTimes(history, 'acme/checkout-web'))).toBeGreaterThan(
      8 * HOUR,
    );
    expect(median(leadTimes(history, 'acme/checkout-web'))).toBeLessThan(
      2 * DAY,
    );
    expect(
      median(leadTimes(history, 'acme/inventory-service')),
    ).toBeGreaterThan(2 * DAY);
    // Recovery: minutes for payments, about a day for inventory's incident.
    const recoveries = (repository: string) =>
      history.flatMap(e =>
        e.kind === 'issue' &&
        e.action === 'closed' &&
        e.repository === repository
          ? [e.closedAt! - e.createdAt]
          : [],
      );
    expect(Math.max(...recoveries('acme/payments-api'))).toBeLessThan(HOUR);
    expect(
      recoveries('acme/inventory-service').some(
        ms => ms > 20 * HOUR && ms < 30 * HOUR,
      ),
    ).toBe(true);
    // Some failed deployments.
    expect(
      deployments(history, 'acme/checkout-web').some(
        d => d.state === 'failure',
      ),
    ).toBe(true);
  });
});

describe('doraHistoryDeliveries', () => {
  it('renders GitHub payloads with the sandbox’s repositories, leaving the repositories unchanged', async () => {
    const seed = buildSeed(NOW);
    const github = await startGitHubServer({
      port: 0,
      repositories: seed.repositories,
      now: () => NOW,
    });
    try {
      const repo = github.state.getRepository('acme', 'payments-api')!;
      const commitsBefore = repo.commits.size;
      const history = buildDoraHistory({ now: NOW });
      const deliveries = doraHistoryDeliveries(history, github);
      expect(deliveries).toHaveLength(history.length);
      expect(doraHistoryDeliveries(history, github)).toEqual(deliveries);
      expect(new Set(deliveries.map(d => d.deliveryId)).size).toBe(
        deliveries.length,
      );
      expect(repo.commits.size).toBe(commitsBefore);
      expect(repo.deployments.size).toBe(0);
      expect(repo.issues.size).toBe(seed.repositories[0].issues.length);

      const push = deliveries.find(d => d.event === 'push')!;
      expect(push.payload).toMatchObject({
        ref: 'refs/heads/main',
        repository: { default_branch: 'main', pushed_at: expect.any(Number) },
      });
      const commit = (push.payload.commits as any[])[0];
      expect(commit.timestamp).toMatch(/[+-]\d\d:\d\d$/);
      const status = deliveries.find(d => d.event === 'deployment_status')!;
      expect(status.payload).toMatchObject({
        deployment_status: { environment: 'production' },
        deployment: { environment: 'production', payload: {} },
      });
      const issue = deliveries.find(d => d.event === 'issues')!;
      expect(issue.payload).toMatchObject({
        action: 'opened',
        issue: { labels: [{ name: 'incident' }], state: 'open' },
      });
    } finally {
      await github.close();
    }
  });
});

describe('isoWithOffset', () => {
  it('writes the local time with its offset, the same instant', () => {
    const at = Date.parse('2026-11-20T09:05:30Z');
    expect(isoWithOffset(at, 60)).toBe('2026-11-20T10:05:30+01:00');
    expect(isoWithOffset(at, -300)).toBe('2026-11-20T04:05:30-05:00');
    expect(isoWithOffset(at, 0)).toBe('2026-11-20T09:05:30+00:00');
    expect(Date.parse(isoWithOffset(at, 480))).toBe(at);
  });
});
