import {
  deployPayments,
  errorShareOn,
  paymentsAnalysis,
  paymentsHealth,
} from './__testUtils__/payments';
import { KubeStore } from './kube/KubeStore';
import {
  DEFAULT_SANDBOX_PORTS,
  SANDBOX_PAGERDUTY_ROUTING_KEY,
  Sandbox,
  buildSeed,
  endpointsOf,
  faultyCommits,
  seedFaults,
  startTrafficServer,
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
    // Its errors sit on the flag's endpoint: payments go through the new client.
    expect(c.fault).toEqual({
      kind: 'endpoint-errors',
      endpoints: ['/payments'],
    });
    expect(c.checks.every(check => check.state === 'success')).toBe(true);
    expect(unhealthyShas(seed)).toEqual([c.sha]);
    expect(unhealthyCommits(seed)).toEqual([
      { sha: c.sha, service: 'payments-api', flag: 'http2-payment-client' },
    ]);
    // Not running anywhere yet: deploying it is the demo.
    const service = seed.services.find(s => s.name === 'payments-api')!;
    expect(Object.values(service.deployed)).not.toContain(c.sha);
  });

  it('has a technically healthy payments-api commit that drops the order completion rate, running in canary', () => {
    const seed = buildSeed(NOW);
    const payments = seed.repositories.find(r => r.name === 'payments-api')!;
    const main = payments.commits.filter(x => !x.message.startsWith('WIP'));
    const c = main[main.length - 5];
    expect(c.message).toBe('Simplify the checkout form');
    expect(c.fault).toEqual({ kind: 'business-drop', drop: 0.35 });
    expect(c.unhealthy).toBeUndefined();
    expect(c.flag).toBeUndefined();
    expect(c.checks.every(check => check.state === 'success')).toBe(true);
    // Canary runs it (it passed canary verification); production does not yet.
    const service = seed.services.find(s => s.name === 'payments-api')!;
    expect(service.deployed.canary).toBe(c.sha);
    expect(service.deployed.production).not.toBe(c.sha);
    expect(faultyCommits(seed)).toEqual([
      {
        sha: c.sha,
        service: 'payments-api',
        fault: { kind: 'business-drop', drop: 0.35 },
      },
      {
        sha: unhealthyShas(seed)[0],
        service: 'payments-api',
        flag: 'http2-payment-client',
        fault: { kind: 'endpoint-errors', endpoints: ['/payments'] },
      },
    ]);
  });

  it('gives every demo service an NGINX canary Ingress at weight 100 in canary only', () => {
    const seed = buildSeed(NOW);
    const ingresses = (cluster: string) =>
      seed.clusters[cluster].filter(o => o.kind === 'Ingress');
    expect(ingresses('uat')).toEqual([]);
    expect(ingresses('production')).toEqual([]);
    expect(
      ingresses('canary').map(i => [
        i.metadata.namespace,
        i.metadata.labels['backstage.io/kubernetes-id'],
        i.metadata.annotations,
      ]),
    ).toEqual(
      seed.services.map(s => [
        s.namespace,
        s.name,
        {
          'nginx.ingress.kubernetes.io/canary': 'true',
          'nginx.ingress.kubernetes.io/canary-weight': '100',
        },
      ]),
    );
  });

  it('simulates the demo: the flagged change fails on /payments in canary, the checkout change drops orders in production', async () => {
    const seed = buildSeed(NOW);
    const stores: Record<string, KubeStore> = {};
    for (const cluster of ['uat', 'canary', 'production']) {
      const store = (stores[cluster] = new KubeStore(cluster));
      store.load(seed.clusters[cluster]);
      for (const d of store.list('deployments')) {
        store.updateStatus(
          'deployments',
          d.metadata.namespace,
          d.metadata.name,
          {
            observedGeneration: d.metadata.generation,
            replicas: d.spec.replicas,
            updatedReplicas: d.spec.replicas,
            readyReplicas: d.spec.replicas,
            availableReplicas: d.spec.replicas,
          },
        );
      }
    }
    let clock = NOW;
    const traffic = await startTrafficServer({
      clusters: stores,
      faultOf: seedFaults(seed),
      rps: 50,
      paused: true,
      now: () => clock,
    });
    const run = (ticks: number) => {
      for (let i = 0; i < ticks; i++) {
        clock += 1000;
        traffic.tick();
      }
    };
    const deploy = (cluster: string, sha: string) => {
      const store = stores[cluster];
      const d = store.read('deployments', 'payments', 'payments-api');
      d.metadata.annotations['delivery.backstage.io/commit-sha'] = sha;
      store.update('deployments', d);
      const updated = store.read('deployments', 'payments', 'payments-api');
      store.updateStatus('deployments', 'payments', 'payments-api', {
        ...updated.status,
        observedGeneration: updated.metadata.generation,
      });
    };
    const analysis = (cluster: string, window = 300) =>
      traffic.simulator.analysis({
        cluster,
        namespace: 'payments',
        workload: 'payments-api',
        windowSeconds: window,
        baselineSeconds: window,
      })!;
    try {
      run(300);
      const [bad] = unhealthyShas(seed);
      const checkout = faultyCommits(seed).find(
        c => c.fault.kind === 'business-drop',
      )!.sha;
      deploy('canary', bad);
      deploy('uat', bad);
      deploy('production', checkout);
      run(300);
      const canary = analysis('canary');
      expect(canary.version).toBe(bad);
      // The canary Ingress (weight 100) sends it all of its traffic.
      expect(canary.requests).toBe(15_000);
      expect(canary.errorRate).toBeGreaterThan(0.05);
      expect(errorShareOn(canary, '/payments')).toBeGreaterThan(0.9);
      expect(canary.p95Seconds).toBeLessThan(0.3);
      // UAT's light synthetic load does not show it.
      expect(analysis('uat').errorRate).toBeLessThan(0.01);
      const production = analysis('production');
      expect(production.errorRate).toBeLessThan(0.01);
      expect(production.p95Seconds).toBeLessThan(0.3);
      const { value, baseline } = production.business!;
      expect((baseline - value) / baseline).toBeGreaterThan(0.25);
    } finally {
      await traffic.close();
    }
  });

  it('pushes a deploy/faster-checkout branch of payments-api at start: one green commit on top of main', () => {
    const seed = buildSeed(NOW);
    expect(seed.pushes).toHaveLength(1);
    const [push] = seed.pushes;
    const payments = seed.repositories.find(r => r.name === 'payments-api')!;
    expect(push).toMatchObject({
      owner: 'acme',
      repo: 'payments-api',
      branch: 'deploy/faster-checkout',
    });
    expect(push.commits).toHaveLength(1);
    const [commit] = push.commits;
    expect(commit.parents).toEqual([payments.branches.main]);
    expect(commit.checks.map(c => c.state)).toEqual([
      'success',
      'success',
      'success',
    ]);
    // Newer than everything in the repository, and not part of it until the sandbox runs.
    expect(
      payments.commits.every(c => Date.parse(c.date) < Date.parse(commit.date)),
    ).toBe(true);
    expect(payments.commits.map(c => c.sha)).not.toContain(commit.sha);
    expect(buildSeed(NOW).pushes).toEqual(seed.pushes);
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
          `http_requests_total{cluster="${cluster}",namespace="${
            service.namespace
          }",deployment="${service.name}",version="${sha}",handler="${
            endpointsOf(service.name)[0].endpoint
          }",code="200"}`,
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
    // Errors, not slowness, and on the flag's endpoint.
    expect(canary.p95Seconds).toBeLessThan(0.4);
    const analysis = await paymentsAnalysis(sandbox, 'canary', {
      version: bad,
    });
    expect(errorShareOn(analysis, '/payments')).toBeGreaterThan(0.8);
    const uat = await paymentsHealth(sandbox, 'uat', { version: bad });
    expect(uat.errorRate).toBeLessThan(0.02);
    expect(uat.p95Seconds).toBeLessThan(0.4);
    const production = await paymentsHealth(sandbox, 'production');
    expect(production.errorRate).toBeLessThan(0.02);
  });

  it("has the seed's deploy branch, with green CI, and nothing to deliver without webhooks", async () => {
    const [push] = buildSeed(NOW).pushes;
    const res = await fetch(
      `${
        sandbox.githubUrl
      }/repos/acme/payments-api/commits/${encodeURIComponent(
        'deploy/faster-checkout',
      )}/status`,
      { headers: { authorization: `token ${sandbox.githubToken}` } },
    );
    const status = await res.json();
    expect(status).toMatchObject({
      state: 'success',
      sha: push.commits[0].sha,
      total_count: 3,
    });
    expect(sandbox.pushDeliveries).toBe(0);
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
