/*
 * The sandbox: local servers that speak the Kubernetes, GitHub, Jenkins and PagerDuty Events
 * API v2 wire protocols, plus
 * simulated traffic with Prometheus metrics per deployed version, seeded with the demo services,
 * so the portal's real clients run against them on a dev machine and in tests.
 */
import { FlagSyncAddress, ServiceFlags } from './flags';
import {
  GitHubServer,
  WebhookSender,
  buildDoraHistory,
  deterministicDeliveryId,
  doraHistoryDeliveries,
  startGitHubServer,
} from './github';
import { JenkinsServer, startJenkinsServer } from './jenkins';
import { KubeServer, startKubeServer } from './kube';
import {
  PagerDutyServer,
  SANDBOX_PAGERDUTY_ROUTING_KEY,
  startPagerDutyServer,
} from './pagerduty';
import {
  FaultyCommit,
  SANDBOX_CLUSTERS,
  SANDBOX_ORG,
  SeedData,
  buildSeed,
  faultyCommits,
} from './seed';
import {
  FaultVerdict,
  TrafficServer,
  TrafficServerOptions,
  sameVersion,
  startTrafficServer,
} from './traffic';

export * from './seed';
export * from './github';
export * from './kube';
export * from './traffic';
export * from './jenkins';
export * from './flags';
export * from './pagerduty';

/** Ports the sandbox listens on; 0 or a missing entry picks free ports (tests). */
export interface SandboxPorts {
  github: number;
  clusters: Record<string, number>;
  /** Simulated traffic (`/metrics`, `/health`). */
  traffic?: number;
  jenkins?: number;
  /** PagerDuty's Events API v2. */
  pagerduty?: number;
}

/** The ports the demo uses (app-config.yaml points at these). */
export const DEFAULT_SANDBOX_PORTS: SandboxPorts = {
  github: 7010,
  clusters: { uat: 7011, canary: 7012, production: 7013 },
  traffic: 7014,
  jenkins: 7015,
  pagerduty: 7016,
};

/**
 * Clusters where the seed's faulty versions misbehave: the problem shows only under
 * production traffic (and real customers), which UAT's light synthetic load does not
 * reproduce, so the demo's bad commit passes UAT and is caught in canary.
 */
export const UNHEALTHY_CLUSTERS = ['canary', 'production'];

/** The sandbox Jenkins' user, API token and job. */
export const SANDBOX_JENKINS = {
  username: 'delivery',
  apiToken: 'sandbox-jenkins-token',
  jobs: [{ fullName: 'acme/inventory-service/acceptance' }],
};

export interface Sandbox {
  githubUrl: string;
  /** Cluster name → API server URL. */
  clusterUrls: Record<string, string>;
  /** Base URL of the simulated traffic: `/metrics` (Prometheus) and `/health`. */
  trafficUrl: string;
  /** Base URL of the Jenkins REST subset. */
  jenkinsUrl: string;
  /** Base URL of PagerDuty's Events API v2 (events go to `${pagerdutyUrl}/v2/enqueue`). */
  pagerdutyUrl: string;
  github: GitHubServer;
  clusters: Record<string, KubeServer>;
  traffic: TrafficServer;
  jenkins: JenkinsServer;
  pagerduty: PagerDutyServer;
  githubToken: string;
  /** Basic auth credentials of the sandbox Jenkins. */
  jenkinsCredentials: { username: string; apiToken: string };
  /** The routing key (integration key) the sandbox PagerDuty accepts. */
  pagerdutyRoutingKey: string;
  /**
   * Where the sandbox GitHub's webhooks go (with `webhooks`): runtime changes and the DORA
   * history. `webhooks.idle()` resolves once everything queued was delivered or dropped.
   */
  webhooks?: WebhookSender;
  /** How many deliveries of DORA history were queued at start (0 without webhooks). */
  historyDeliveries: number;
  /**
   * How many deliveries the seed's pushes made at start (`create` and `push` of the demo's
   * `deploy/faster-checkout` branch), queued after the history (0 without webhooks).
   */
  pushDeliveries: number;
  /**
   * The OpenFeature domains of the simulated services that read flags (with `flags`), by
   * selector (`<cluster>/<service>`); empty without.
   */
  flagDomains: Record<string, string>;
  close(): Promise<void>;
}

/** Sandboxes started in this process: their OpenFeature domains must not collide. */
let sandboxes = 0;

/**
 * One simulated service per (cluster, service) with a flag-bound faulty commit, reading its
 * flags from the sync server at `address`.
 */
function connectServiceFlags(
  address: FlagSyncAddress,
  commits: FaultyCommit[],
  seed: number,
): Map<string, ServiceFlags> {
  const instance = ++sandboxes;
  const services = new Map<string, ServiceFlags>();
  for (const commit of commits.filter(c => c.flag)) {
    for (const cluster of SANDBOX_CLUSTERS) {
      const selector = `${cluster}/${commit.service}`;
      if (services.has(selector)) continue;
      services.set(
        selector,
        new ServiceFlags({
          domain: `sandbox-${process.pid}-${instance}:${selector}`,
          cluster,
          service: commit.service,
          address,
          seed: seed + services.size + 1,
        }),
      );
    }
  }
  return services;
}

/**
 * The fault of a version in a cluster: the seed's faulty commits have theirs, under production
 * traffic only (`UNHEALTHY_CLUSTERS`). One with a flag, when the services read flags, only for
 * the requests whose user gets the flag on; otherwise for every request.
 */
export function seedFaults(
  seed: SeedData,
  serviceFlags: Map<string, ServiceFlags> = new Map(),
): (version: string, cluster: string) => FaultVerdict | undefined {
  const commits = faultyCommits(seed);
  return (version, cluster) => {
    if (!UNHEALTHY_CLUSTERS.includes(cluster)) return undefined;
    const commit = commits.find(c => sameVersion(c.sha, version));
    if (!commit) return undefined;
    const flags = serviceFlags.get(`${cluster}/${commit.service}`);
    const hits = commit.flag && flags ? flags.verdict(commit.flag) : undefined;
    return { fault: commit.fault, ...(hits ? { hits } : {}) };
  };
}

/**
 * Starts GitHub, the three clusters, the simulated traffic, Jenkins and PagerDuty with the demo
 * data.
 */
export async function startSandbox(options?: {
  ports?: SandboxPorts;
  host?: string;
  now?: number;
  githubToken?: string;
  rolloutStepMs?: number;
  /** Tuning of the simulated traffic (requests per second per Deployment, tick, PRNG seed). */
  traffic?: Pick<TrafficServerOptions, 'rps' | 'tickMs' | 'seed'>;
  /**
   * The portal's flagd gRPC sync server. With it, each simulated service with a flag-bound
   * unhealthy commit reads its flags through OpenFeature (selector `<cluster>/<service>`), and
   * such a version is unhealthy only for the requests whose user gets the flag on (off until
   * the portal is first reached). Without it, such a version is unhealthy for every request.
   * The sandbox does not wait for the portal: the providers keep retrying.
   */
  flags?: FlagSyncAddress;
  /**
   * The portal's GitHub webhook endpoint and secret. With them, the sandbox GitHub sends signed
   * `push`, `create`, `delete`, `issues`, `pull_request` and `deployment_status` deliveries for
   * what changes at runtime, and at start the demo's DORA history (see ./github/doraHistory.ts;
   * `history: false` leaves it out) followed by the seed's pushes (the `deploy/faster-checkout`
   * branch of payments-api: `create` and `push`). Each delivery is retried until the portal
   * takes it, so the portal may start later.
   */
  webhooks?: {
    url: string;
    secret: string;
    history?: boolean;
    /** Progress and problems; default nowhere. */
    log?: (line: string) => void;
  };
}): Promise<Sandbox> {
  const now = options?.now ?? Date.now();
  const seed = buildSeed(now);
  const ports = options?.ports ?? { github: 0, clusters: {} };
  const githubToken = options?.githubToken ?? 'sandbox-token';
  const started: Array<{ close(): Promise<void> }> = [];
  const webhooks = options?.webhooks
    ? new WebhookSender({
        url: options.webhooks.url,
        secret: options.webhooks.secret,
        log: options.webhooks.log,
      })
    : undefined;
  const closeAll = async () => {
    // Deliveries first: nothing is sent once the sandbox closes.
    await webhooks?.close();
    await Promise.all(started.map(s => s.close()));
  };
  try {
    const serviceFlags = options?.flags
      ? connectServiceFlags(
          options.flags,
          faultyCommits(seed),
          options.traffic?.seed ?? 1,
        )
      : new Map<string, ServiceFlags>();
    started.push(...serviceFlags.values());
    const github = await startGitHubServer({
      port: ports.github,
      host: options?.host,
      repositories: seed.repositories,
      token: githubToken,
      webhooks,
      // The teams owning the demo's services, so templates can give them access
      // (`publish:github` with `access: acme/<team>` or team collaborators).
      teams: {
        [SANDBOX_ORG]: [...new Set(seed.services.map(s => s.owner))].sort(),
      },
    });
    started.push(github);
    const clusters: Sandbox['clusters'] = {};
    for (const name of SANDBOX_CLUSTERS) {
      clusters[name] = await startKubeServer({
        name,
        port: ports.clusters[name] ?? 0,
        host: options?.host,
        objects: seed.clusters[name],
        rolloutStepMs: options?.rolloutStepMs,
      });
      started.push(clusters[name]);
    }
    const traffic = await startTrafficServer({
      ...options?.traffic,
      port: ports.traffic ?? 0,
      host: options?.host,
      clusters: Object.fromEntries(
        Object.entries(clusters).map(([n, c]) => [n, c.store]),
      ),
      faultOf: seedFaults(seed, serviceFlags),
    });
    started.push(traffic);
    const jenkins = await startJenkinsServer({
      port: ports.jenkins ?? 0,
      host: options?.host,
      user: SANDBOX_JENKINS.username,
      apiToken: SANDBOX_JENKINS.apiToken,
      jobs: SANDBOX_JENKINS.jobs,
    });
    started.push(jenkins);
    const pagerduty = await startPagerDutyServer({
      port: ports.pagerduty ?? 0,
      host: options?.host,
      routingKeys: [SANDBOX_PAGERDUTY_ROUTING_KEY],
    });
    started.push(pagerduty);
    let historyDeliveries = 0;
    if (webhooks && options?.webhooks?.history !== false) {
      const deliveries = doraHistoryDeliveries(
        buildDoraHistory({ now }),
        github,
      );
      for (const d of deliveries) {
        webhooks.send(d.event, d.payload, {
          key: d.key,
          deliveryId: d.deliveryId,
        });
      }
      historyDeliveries = deliveries.length;
    }
    // The seed's pushes happen now, so their webhooks go out like any push (after the history,
    // in the same per-repository order), under ids that are the same on every start.
    let pushDeliveries = 0;
    for (const push of seed.pushes) {
      const head = push.commits[push.commits.length - 1]?.sha ?? '';
      const key = `${push.owner}/${push.repo}:${push.branch}:${head}`;
      const exists = !!github.state
        .getRepository(push.owner, push.repo)
        ?.branches.has(push.branch);
      // A `create` for a new branch, and the `push`.
      if (webhooks) pushDeliveries += exists ? 1 : 2;
      github.state.pushCommits(
        push.owner,
        push.repo,
        push.branch,
        push.commits.map(c => ({
          sha: c.sha,
          message: c.message,
          date: c.date,
          authorLogin: c.authorLogin,
          authorName: c.authorName,
          authorEmail: c.authorEmail,
          checks: c.checks,
        })),
        {
          deliveryIds: {
            create: deterministicDeliveryId(`create:${key}`),
            push: deterministicDeliveryId(`push:${key}`),
          },
        },
      );
    }

    return {
      githubUrl: github.url,
      clusterUrls: Object.fromEntries(
        Object.entries(clusters).map(([n, c]) => [n, c.url]),
      ),
      trafficUrl: traffic.url,
      jenkinsUrl: jenkins.url,
      pagerdutyUrl: pagerduty.url,
      github,
      clusters,
      traffic,
      jenkins,
      pagerduty,
      githubToken,
      jenkinsCredentials: {
        username: SANDBOX_JENKINS.username,
        apiToken: SANDBOX_JENKINS.apiToken,
      },
      pagerdutyRoutingKey: SANDBOX_PAGERDUTY_ROUTING_KEY,
      webhooks,
      historyDeliveries,
      pushDeliveries,
      flagDomains: Object.fromEntries(
        [...serviceFlags].map(([selector, f]) => [selector, f.domain]),
      ),
      async close() {
        await closeAll();
      },
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
