import { deployPayments, paymentsHealth } from './__testUtils__/payments';
import {
  DEFAULT_SANDBOX_PORTS,
  SANDBOX_PAGERDUTY_ROUTING_KEY,
  Sandbox,
  buildSeed,
  startSandbox,
  unhealthyCommits,
  unhealthyShas,
} from './index';

jest.setTimeout(30_000);

const NOW = Date.parse('2026-11-20T12:00:00Z');

describe('the demo seed', () => {
  it('marks exactly one commit unhealthy: payments-api, two back from the head, green CI, behind a flag', () => {
    const seed = buildSeed(NOW);
    const marked = seed.repositories.flatMap(r =>
      r.commits.filter(c => c.unhealthy).map(c => ({ repo: r.name, c })),
    );
    expect(marked).toHaveLength(1);
    const { repo, c } = marked[0];
    expect(repo).toBe('payments-api');
    const payments = seed.repositories.find(r => r.name === 'payments-api')!;
    const main = payments.commits.filter(x => !x.message.startsWith('WIP'));
    expect(main.indexOf(c)).toBe(main.length - 3);
    // The flag is a git trailer, after a blank line: the first line is the subject.
    expect(c.message).toBe(
      'Switch payment provider client to HTTP/2\n\nFlag: http2-payment-client',
    );
    expect(c.flag).toBe('http2-payment-client');
    expect(c.checks.every(check => check.state === 'success')).toBe(true);
    expect(unhealthyShas(seed)).toEqual([c.sha]);
    expect(unhealthyCommits(seed)).toEqual([
      { sha: c.sha, service: 'payments-api', flag: 'http2-payment-client' },
    ]);
    // Not running anywhere yet: deploying it is the demo.
    const service = seed.services.find(s => s.name === 'payments-api')!;
    expect(Object.values(service.deployed)).not.toContain(c.sha);
  });

  it('adds the traffic, Jenkins and PagerDuty ports to the demo ports', () => {
    expect(DEFAULT_SANDBOX_PORTS).toMatchObject({
      traffic: 7014,
      jenkins: 7015,
      pagerduty: 7016,
    });
  });
});

describe('startSandbox', () => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    sandbox = await startSandbox({
      now: NOW,
      rolloutStepMs: 20,
      traffic: { rps: 200, tickMs: 100, seed: 7 },
    });
  });

  afterAll(() => sandbox.close());

  it('serves metrics for every seeded deployment', async () => {
    const text = await (await fetch(`${sandbox.trafficUrl}/metrics`)).text();
    const seed = buildSeed(NOW);
    for (const service of seed.services) {
      for (const [cluster, sha] of Object.entries(service.deployed)) {
        expect(text).toContain(
          `http_requests_total{cluster="${cluster}",namespace="${service.namespace}",deployment="${service.name}",version="${sha}",code="200"}`,
        );
      }
    }
  });

  // Without `flags`, the flag-bound unhealthy commit is unhealthy for every request.
  it('makes the unhealthy commit fail in canary but not in UAT', async () => {
    expect(sandbox.flagDomains).toEqual({});
    const [bad] = unhealthyShas(buildSeed(NOW));
    await Promise.all([
      deployPayments(sandbox, 'uat', bad),
      deployPayments(sandbox, 'canary', bad),
    ]);
    await new Promise(r => setTimeout(r, 2100));
    const canary = await paymentsHealth(sandbox, 'canary', { version: bad });
    expect(canary.version).toBe(bad);
    expect(canary.requests).toBeGreaterThan(200);
    expect(canary.errorRate).toBeGreaterThan(0.03);
    expect(canary.p95Seconds).toBeGreaterThan(1.5);
    const uat = await paymentsHealth(sandbox, 'uat', { version: bad });
    expect(uat.errorRate).toBeLessThan(0.02);
    expect(uat.p95Seconds).toBeLessThan(0.4);
    const production = await paymentsHealth(sandbox, 'production');
    expect(production.errorRate).toBeLessThan(0.02);
  });

  it('runs the Jenkins with the demo job and credentials', async () => {
    const { username, apiToken } = sandbox.jenkinsCredentials;
    expect(username).toBe('delivery');
    expect(apiToken).toBe('sandbox-jenkins-token');
    const res = await fetch(
      `${sandbox.jenkinsUrl}/job/acme/job/inventory-service/job/acceptance/api/json`,
      {
        headers: {
          authorization: `Basic ${Buffer.from(
            `${username}:${apiToken}`,
          ).toString('base64')}`,
        },
      },
    );
    expect(res.status).toBe(200);
    expect((await res.json()).fullName).toBe(
      'acme/inventory-service/acceptance',
    );
    expect(sandbox.jenkins.state.jobNames()).toEqual([
      'acme/inventory-service/acceptance',
    ]);
  });

  it('runs PagerDuty accepting the demo routing key', async () => {
    expect(sandbox.pagerdutyRoutingKey).toBe(SANDBOX_PAGERDUTY_ROUTING_KEY);
    const res = await fetch(`${sandbox.pagerdutyUrl}/v2/enqueue`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        routing_key: sandbox.pagerdutyRoutingKey,
        event_action: 'trigger',
        dedup_key: 'payments-api:production:1',
        payload: {
          summary: 'payments-api: rollback failed in production',
          source: 'delivery',
          severity: 'critical',
        },
      }),
    });
    expect(res.status).toBe(202);
    expect(
      sandbox.pagerduty.state.incident('payments-api:production:1'),
    ).toMatchObject({
      status: 'triggered',
    });
  });
});
