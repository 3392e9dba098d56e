import { mockServices } from '@backstage/backend-test-utils';
import type {
  EventParams,
  EventsService,
  EventsServiceSubscribeOptions,
} from '@backstage/plugin-events-node';
import type { DoraEvent } from '@internal/plugin-delivery-common';
import {
  createGitHubDoraSubscriber,
  gitHubDeliveryOf,
  gitHubDoraEvents,
  gitHubTime,
  inferGitHubEventName,
  repositoryOf,
} from './GitHubDoraEvents';

const PAYMENTS = 'component:default/payments-api';
const PAYMENTS_V2 = 'component:default/payments-api-v2';

const owner = {
  login: 'acme',
  id: 9919,
  type: 'Organization',
  url: 'https://api.github.com/users/acme',
  html_url: 'https://github.com/acme',
};
const sender = {
  login: 'ada',
  id: 1001,
  type: 'User',
  html_url: 'https://github.com/ada',
};

/** The repository as GitHub puts it in push payloads: times in seconds since the epoch. */
function pushRepository(pushedAt: number) {
  return {
    id: 186853002,
    node_id: 'MDEwOlJlcG9zaXRvcnkxODY4NTMwMDI=',
    name: 'payments-api',
    full_name: 'acme/payments-api',
    private: true,
    owner: { name: 'acme', email: null, ...owner },
    html_url: 'https://github.com/acme/payments-api',
    url: 'https://github.com/acme/payments-api',
    created_at: 1557933565,
    updated_at: '2026-11-19T08:00:00Z',
    pushed_at: pushedAt,
    default_branch: 'main',
    master_branch: 'main',
  };
}

/** The repository as other events give it: ISO times. */
const repository = {
  id: 186853002,
  name: 'payments-api',
  full_name: 'acme/payments-api',
  private: true,
  owner,
  html_url: 'https://github.com/acme/payments-api',
  created_at: '2019-05-15T15:19:25Z',
  updated_at: '2026-11-19T08:00:00Z',
  pushed_at: '2026-11-20T09:30:12Z',
  default_branch: 'main',
};

function commit(id: string, timestamp: string, message = 'Change') {
  return {
    id,
    tree_id: id.split('').reverse().join(''),
    distinct: true,
    message,
    timestamp,
    url: `https://github.com/acme/payments-api/commit/${id}`,
    author: {
      name: 'Ada Lovelace',
      email: 'ada@acme.example',
      username: 'ada',
    },
    committer: {
      name: 'GitHub',
      email: 'noreply@github.com',
      username: 'web-flow',
    },
    added: [],
    removed: [],
    modified: ['src/payments.ts'],
  };
}

const SHA_A = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const SHA_B = 'b2c3d4e5f60718293a4b5c6d7e8f9012345678a1';
const SHA_C = 'c3d4e5f60718293a4b5c6d7e8f9012345678a1b2';

// 2026-11-20T09:30:12Z, as GitHub gives `pushed_at` in push payloads.
const PUSHED_AT = Date.parse('2026-11-20T09:30:12Z') / 1000;

function pushPayload(overrides: Record<string, unknown> = {}) {
  const commits = [
    // Ada in Berlin (+01:00) and Grace in New York (-05:00): both before the push.
    commit(SHA_A, '2026-11-20T08:15:00+01:00', 'Add refunds endpoint'),
    commit(SHA_B, '2026-11-20T04:05:30-05:00', 'Validate refund amounts'),
  ];
  return {
    ref: 'refs/heads/main',
    before: SHA_C,
    after: SHA_B,
    repository: pushRepository(PUSHED_AT),
    pusher: { name: 'ada', email: 'ada@acme.example' },
    organization: { login: 'acme', id: 9919 },
    sender,
    created: false,
    deleted: false,
    forced: false,
    base_ref: null,
    compare: `https://github.com/acme/payments-api/compare/${SHA_C.slice(
      0,
      12,
    )}...${SHA_B.slice(0, 12)}`,
    commits,
    head_commit: commits[1],
    ...overrides,
  };
}

function deploymentStatusPayload(
  state: string,
  options: {
    environment?: string;
    statusId?: number;
    deploymentPayload?: unknown;
    targetUrl?: string;
    logUrl?: string;
  } = {},
) {
  const environment = options.environment ?? 'production';
  return {
    action: 'created',
    deployment_status: {
      url: 'https://api.github.com/repos/acme/payments-api/deployments/145988746/statuses/1',
      id: options.statusId ?? 2305924911,
      node_id: 'DES_kwDOCyIcis6Hc3zv',
      state,
      creator: sender,
      description: 'Deployed by GitHub Actions',
      environment,
      target_url: options.targetUrl ?? '',
      created_at: '2026-11-20T10:02:41+01:00',
      updated_at: '2026-11-20T10:02:41+01:00',
      deployment_url:
        'https://api.github.com/repos/acme/payments-api/deployments/145988746',
      repository_url: 'https://api.github.com/repos/acme/payments-api',
      environment_url: 'https://payments.acme.example',
      log_url: options.logUrl ?? '',
    },
    deployment: {
      url: 'https://api.github.com/repos/acme/payments-api/deployments/145988746',
      id: 145988746,
      node_id: 'DE_kwDOCyIcis4Ir5CK',
      sha: SHA_B,
      ref: 'main',
      task: 'deploy',
      payload: options.deploymentPayload ?? {},
      original_environment: environment,
      environment,
      description: null,
      creator: sender,
      created_at: '2026-11-20T08:58:02Z',
      updated_at: '2026-11-20T09:02:41Z',
      statuses_url:
        'https://api.github.com/repos/acme/payments-api/deployments/145988746/statuses',
      repository_url: 'https://api.github.com/repos/acme/payments-api',
      transient_environment: false,
      production_environment: environment === 'production',
    },
    repository,
    organization: { login: 'acme', id: 9919 },
    sender,
  };
}

function issuesPayload(
  action: string,
  options: {
    labels?: string[];
    state?: 'open' | 'closed';
    body?: string | null;
    title?: string;
    updatedAt?: string;
    closedAt?: string | null;
    label?: string;
  } = {},
) {
  const labels = options.labels ?? ['incident', 'bug'];
  return {
    action,
    issue: {
      url: 'https://api.github.com/repos/acme/payments-api/issues/42',
      repository_url: 'https://api.github.com/repos/acme/payments-api',
      html_url: 'https://github.com/acme/payments-api/issues/42',
      id: 1968342211,
      node_id: 'I_kwDOCyIcis51UxHD',
      number: 42,
      title: options.title ?? 'Refunds fail with 500',
      user: sender,
      labels: labels.map((name, i) => ({
        id: 5000 + i,
        node_id: `LA_${i}`,
        url: `https://api.github.com/repos/acme/payments-api/labels/${name}`,
        name,
        color: 'd73a4a',
        default: false,
        description: null,
      })),
      state: options.state ?? 'open',
      locked: false,
      assignee: null,
      assignees: [],
      milestone: null,
      comments: 0,
      // Opened 10:20 in Berlin = 09:20 UTC.
      created_at: '2026-11-20T10:20:00+01:00',
      updated_at: options.updatedAt ?? '2026-11-20T09:20:00Z',
      closed_at: options.closedAt ?? null,
      author_association: 'MEMBER',
      body:
        options.body === undefined
          ? `Refunds answer 500 since the deployment of ${SHA_B.slice(
              0,
              12,
            )}.\n\nRoll back?`
          : options.body,
    },
    ...(options.label
      ? { label: { name: options.label, color: 'd73a4a' } }
      : {}),
    repository,
    organization: { login: 'acme', id: 9919 },
    sender,
  };
}

const entityRefs = [PAYMENTS];

describe('gitHubTime', () => {
  it('reads ISO times with offsets and seconds since the epoch', () => {
    expect(gitHubTime('2026-11-20T08:15:00+01:00')).toBe(
      Date.parse('2026-11-20T07:15:00Z'),
    );
    expect(gitHubTime('2026-11-20T04:05:30-05:00')).toBe(
      Date.parse('2026-11-20T09:05:30Z'),
    );
    expect(gitHubTime('2026-11-20T09:05:30Z')).toBe(
      Date.parse('2026-11-20T09:05:30Z'),
    );
    expect(gitHubTime(1763630412)).toBe(1763630412000);
    expect(gitHubTime('1763630412')).toBe(1763630412000);
    expect(gitHubTime(1763630412000)).toBe(1763630412000);
    expect(gitHubTime('yesterday')).toBeUndefined();
    expect(gitHubTime(null)).toBeUndefined();
    expect(gitHubTime(0)).toBeUndefined();
  });
});

describe('gitHubDoraEvents: push', () => {
  it('gives the commits pushed to the default branch with their times, per entity', () => {
    const events = gitHubDoraEvents(
      { name: 'push', deliveryId: 'd-1', payload: pushPayload() },
      { entityRefs: [PAYMENTS, PAYMENTS_V2] },
    );
    const expected = (entityRef: string): DoraEvent => ({
      type: 'push',
      sourceId: `github:push:acme/payments-api:${SHA_B}:${entityRef}`,
      source: 'github',
      entityRef,
      at: Date.parse('2026-11-20T09:30:12Z'),
      commits: [
        { sha: SHA_A, committedAt: Date.parse('2026-11-20T07:15:00Z') },
        { sha: SHA_B, committedAt: Date.parse('2026-11-20T09:05:30Z') },
      ],
    });
    expect(events).toEqual([expected(PAYMENTS), expected(PAYMENTS_V2)]);
  });

  it('gives the same source ids for a replayed delivery (another delivery id)', () => {
    const first = gitHubDoraEvents(
      { name: 'push', deliveryId: 'd-1', payload: pushPayload() },
      { entityRefs },
    );
    const replay = gitHubDoraEvents(
      { name: 'push', deliveryId: 'd-2', payload: pushPayload() },
      { entityRefs },
    );
    expect(replay).toEqual(first);
  });

  it('takes the head commit time when pushed_at is missing or before the commits', () => {
    for (const pushedAt of [undefined, 1000]) {
      const payload = pushPayload({
        repository: { ...pushRepository(0), pushed_at: pushedAt },
      });
      const [event] = gitHubDoraEvents(
        { name: 'push', payload },
        { entityRefs },
      );
      expect(event.type === 'push' && event.at).toBe(
        Date.parse('2026-11-20T09:05:30Z'),
      );
    }
  });

  it('ignores other branches, tags and deleted branches', () => {
    for (const overrides of [
      { ref: 'refs/heads/feature/refunds' },
      { ref: 'refs/heads/mainline' },
      { ref: 'refs/tags/v1.2.0' },
      {
        deleted: true,
        after: '0000000000000000000000000000000000000000',
        commits: [],
        head_commit: null,
      },
    ]) {
      expect(
        gitHubDoraEvents(
          { name: 'push', payload: pushPayload(overrides) },
          { entityRefs },
        ),
      ).toEqual([]);
    }
  });

  it('follows the repository default branch, whatever its name', () => {
    const payload = pushPayload({
      ref: 'refs/heads/trunk',
      repository: {
        ...pushRepository(PUSHED_AT),
        default_branch: 'trunk',
        master_branch: 'trunk',
      },
    });
    expect(
      gitHubDoraEvents({ name: 'push', payload }, { entityRefs }),
    ).toHaveLength(1);
  });

  it('counts the head commit of a push that moved main to known commits', () => {
    const payload = pushPayload({ commits: [] });
    const [event] = gitHubDoraEvents({ name: 'push', payload }, { entityRefs });
    expect(event.type === 'push' && event.commits).toEqual([
      { sha: SHA_B, committedAt: Date.parse('2026-11-20T09:05:30Z') },
    ]);
  });

  it('gives nothing for a repository without entities', () => {
    expect(
      gitHubDoraEvents(
        { name: 'push', payload: pushPayload() },
        { entityRefs: [] },
      ),
    ).toEqual([]);
  });
});

describe('gitHubDoraEvents: deployment_status', () => {
  it('gives a production deployment for success, without commits', () => {
    const events = gitHubDoraEvents(
      {
        name: 'deployment_status',
        payload: deploymentStatusPayload('success', {
          targetUrl: 'https://github.com/acme/payments-api/actions/runs/1',
        }),
      },
      { entityRefs },
    );
    expect(events).toEqual([
      {
        type: 'deployment',
        sourceId: `github:deployment_status:2305924911:${PAYMENTS}`,
        source: 'github',
        entityRef: PAYMENTS,
        sha: SHA_B,
        at: Date.parse('2026-11-20T09:02:41Z'),
        status: 'success',
        production: true,
        url: 'https://github.com/acme/payments-api/actions/runs/1',
      },
    ]);
  });

  it('gives a failed deployment for failure and error, with the log url', () => {
    for (const state of ['failure', 'error']) {
      const [event] = gitHubDoraEvents(
        {
          name: 'deployment_status',
          payload: deploymentStatusPayload(state, {
            logUrl: 'https://ci.acme.example/deploy/7',
          }),
        },
        { entityRefs },
      );
      expect(event).toMatchObject({
        type: 'deployment',
        status: 'failure',
        production: true,
        url: 'https://ci.acme.example/deploy/7',
      });
    }
  });

  it('ignores states that are not an outcome', () => {
    for (const state of ['pending', 'queued', 'in_progress', 'inactive']) {
      expect(
        gitHubDoraEvents(
          {
            name: 'deployment_status',
            payload: deploymentStatusPayload(state),
          },
          { entityRefs },
        ),
      ).toEqual([]);
    }
  });

  it('counts only the configured production environments', () => {
    const staging = deploymentStatusPayload('success', {
      environment: 'staging',
    });
    expect(
      gitHubDoraEvents(
        { name: 'deployment_status', payload: staging },
        { entityRefs },
      ),
    ).toEqual([]);
    const prod = deploymentStatusPayload('success', { environment: 'Prod-EU' });
    expect(
      gitHubDoraEvents(
        { name: 'deployment_status', payload: prod },
        { entityRefs },
      ),
    ).toEqual([]);
    expect(
      gitHubDoraEvents(
        { name: 'deployment_status', payload: prod },
        { entityRefs, productionEnvironments: ['production', 'prod-eu'] },
      ),
    ).toHaveLength(1);
  });

  it('leaves the portal’s own deployments to the portal (their payload carries its token)', () => {
    for (const deploymentPayload of [
      { token: 'DEP-1763630000000-0001', image: 'ghcr.io/acme/payments:abc' },
      JSON.stringify({ token: 'DEP-1763630000000-0001' }),
    ]) {
      expect(
        gitHubDoraEvents(
          {
            name: 'deployment_status',
            payload: deploymentStatusPayload('success', { deploymentPayload }),
          },
          { entityRefs },
        ),
      ).toEqual([]);
    }
  });

  it('gives each status its own source id: a new status is a new event', () => {
    const [first] = gitHubDoraEvents(
      {
        name: 'deployment_status',
        payload: deploymentStatusPayload('failure', { statusId: 1 }),
      },
      { entityRefs },
    );
    const [second] = gitHubDoraEvents(
      {
        name: 'deployment_status',
        payload: deploymentStatusPayload('success', { statusId: 2 }),
      },
      { entityRefs },
    );
    expect(first.sourceId).not.toBe(second.sourceId);
  });
});

describe('gitHubDoraEvents: issues', () => {
  it('gives an incident for an issue labelled incident, naming the sha in its body', () => {
    const events = gitHubDoraEvents(
      { name: 'issues', payload: issuesPayload('opened') },
      { entityRefs },
    );
    expect(events).toEqual([
      {
        type: 'incident',
        sourceId: `github:issues:acme/payments-api#42:opened:2026-11-20T09:20:00Z:${PAYMENTS}`,
        source: 'github',
        entityRef: PAYMENTS,
        incidentId: 'github:acme/payments-api#42',
        title: 'Refunds fail with 500',
        startedAt: Date.parse('2026-11-20T09:20:00Z'),
        updatedAt: Date.parse('2026-11-20T09:20:00Z'),
        sha: SHA_B.slice(0, 12),
        url: 'https://github.com/acme/payments-api/issues/42',
      },
    ]);
  });

  it('resolves the incident when the issue is closed; same incident, new source id', () => {
    const [opened] = gitHubDoraEvents(
      { name: 'issues', payload: issuesPayload('opened') },
      { entityRefs },
    );
    const [closed] = gitHubDoraEvents(
      {
        name: 'issues',
        payload: issuesPayload('closed', {
          state: 'closed',
          closedAt: '2026-11-20T10:32:00+01:00',
          updatedAt: '2026-11-20T09:32:00Z',
        }),
      },
      { entityRefs },
    );
    expect(closed).toMatchObject({
      type: 'incident',
      incidentId: 'github:acme/payments-api#42',
      startedAt: Date.parse('2026-11-20T09:20:00Z'),
      resolvedAt: Date.parse('2026-11-20T09:32:00Z'),
    });
    expect(closed.sourceId).not.toBe(opened.sourceId);
  });

  it('takes labelled, edited and reopened, with the sha from the title when the body names none', () => {
    for (const action of ['labeled', 'edited', 'reopened']) {
      const [event] = gitHubDoraEvents(
        {
          name: 'issues',
          payload: issuesPayload(action, {
            body: null,
            title: `Timeouts after ${SHA_C.slice(0, 7)}`,
            label: action === 'labeled' ? 'incident' : undefined,
          }),
        },
        { entityRefs },
      );
      expect(event).toMatchObject({
        type: 'incident',
        sha: SHA_C.slice(0, 7),
      });
      expect(event.type === 'incident' && event.resolvedAt).toBeFalsy();
    }
  });

  it('ignores issues without the incident label and unlabelled ones', () => {
    expect(
      gitHubDoraEvents(
        {
          name: 'issues',
          payload: issuesPayload('opened', { labels: ['bug'] }),
        },
        { entityRefs },
      ),
    ).toEqual([]);
    expect(
      gitHubDoraEvents(
        {
          name: 'issues',
          payload: issuesPayload('unlabeled', {
            labels: ['bug'],
            label: 'incident',
          }),
        },
        { entityRefs },
      ),
    ).toEqual([]);
    for (const action of ['unlabeled', 'assigned', 'deleted', 'milestoned']) {
      expect(
        gitHubDoraEvents(
          { name: 'issues', payload: issuesPayload(action) },
          { entityRefs },
        ),
      ).toEqual([]);
    }
  });

  it('matches the label without regard to case and gives no sha when none is named', () => {
    const [event] = gitHubDoraEvents(
      {
        name: 'issues',
        payload: issuesPayload('opened', {
          labels: ['Incident'],
          body: 'Checkout is slow.',
        }),
      },
      { entityRefs },
    );
    expect(event.type).toBe('incident');
    expect(event.type === 'incident' && event.sha).toBeUndefined();
  });
});

describe('gitHubDoraEvents: other events', () => {
  it('ignores events DORA does not count', () => {
    expect(
      gitHubDoraEvents(
        {
          name: 'ping',
          payload: {
            zen: 'Keep it logically awesome.',
            hook_id: 1,
            repository,
          },
        },
        { entityRefs },
      ),
    ).toEqual([]);
    expect(
      gitHubDoraEvents(
        { name: 'issue_comment', payload: issuesPayload('created') },
        { entityRefs },
      ),
    ).toEqual([]);
    expect(
      gitHubDoraEvents({ name: 'push', payload: 'not json' }, { entityRefs }),
    ).toEqual([]);
  });

  it('infers the event from the payload when the header is lost', () => {
    expect(inferGitHubEventName(pushPayload())).toBe('push');
    expect(inferGitHubEventName(deploymentStatusPayload('success'))).toBe(
      'deployment_status',
    );
    expect(inferGitHubEventName(issuesPayload('opened'))).toBe('issues');
    expect(inferGitHubEventName({ zen: 'hi' })).toBeUndefined();
    expect(
      gitHubDoraEvents({ payload: pushPayload() }, { entityRefs }),
    ).toHaveLength(1);
  });

  it('reads the event name and delivery id from the headers the events backend passes', () => {
    expect(
      gitHubDeliveryOf({
        topic: 'github',
        eventPayload: pushPayload(),
        metadata: {
          'x-github-event': 'push',
          'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
        },
      }),
    ).toMatchObject({
      name: 'push',
      deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
    });
    expect(repositoryOf(pushPayload())).toBe('acme/payments-api');
    expect(
      repositoryOf({ repository: { name: 'x', owner: { login: 'o' } } }),
    ).toBe('o/x');
  });
});

describe('createGitHubDoraSubscriber', () => {
  function fakeEvents() {
    const subscriptions: EventsServiceSubscribeOptions[] = [];
    const events: EventsService = {
      async publish(params: EventParams) {
        for (const s of subscriptions) {
          if (s.topics.includes(params.topic)) await s.onEvent(params);
        }
      },
      async subscribe(options) {
        subscriptions.push(options);
      },
    };
    return { events, subscriptions };
  }

  it('ingests the events of each delivery for the entities of its repository', async () => {
    const { events, subscriptions } = fakeEvents();
    const ingested: DoraEvent[] = [];
    const stored = new Set<string>();
    await createGitHubDoraSubscriber({
      events,
      ingest: async event => {
        ingested.push(event);
        if (stored.has(event.sourceId)) return false;
        stored.add(event.sourceId);
        return true;
      },
      entitiesOfRepository: async slug =>
        slug === 'acme/payments-api' ? [PAYMENTS] : [],
      productionEnvironments: ['production'],
      logger: mockServices.logger.mock(),
    });
    expect(subscriptions.map(s => [s.id, s.topics])).toEqual([
      ['delivery-dora-github', ['github']],
    ]);
    const delivery = {
      topic: 'github',
      eventPayload: pushPayload(),
      metadata: { 'x-github-event': 'push', 'x-github-delivery': 'a' },
    };
    await events.publish(delivery);
    await events.publish({
      ...delivery,
      metadata: { 'x-github-event': 'push', 'x-github-delivery': 'b' },
    });
    await events.publish({
      topic: 'github',
      eventPayload: {
        ...pushPayload(),
        repository: { ...pushRepository(PUSHED_AT), full_name: 'acme/other' },
      },
      metadata: { 'x-github-event': 'push' },
    });
    expect(ingested.map(e => e.sourceId)).toEqual([
      `github:push:acme/payments-api:${SHA_B}:${PAYMENTS}`,
      `github:push:acme/payments-api:${SHA_B}:${PAYMENTS}`,
    ]);
    expect(stored.size).toBe(1);
  });

  it('logs a delivery it cannot ingest and goes on', async () => {
    const { events } = fakeEvents();
    const logger = mockServices.logger.mock();
    await createGitHubDoraSubscriber({
      events,
      ingest: async () => {
        throw new Error('database is down');
      },
      entitiesOfRepository: async () => [PAYMENTS],
      logger,
    });
    await expect(
      events.publish({
        topic: 'github',
        eventPayload: deploymentStatusPayload('success'),
        metadata: {
          'x-github-event': 'deployment_status',
          'x-github-delivery': 'x-1',
        },
      }),
    ).resolves.toBeUndefined();
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining(
        'x-1 could not be ingested for DORA: database is down',
      ),
    );
  });
});
