/*
 * The sandbox: local servers that speak the Kubernetes, GitHub and Jenkins wire protocols, plus
 * simulated traffic with Prometheus metrics per deployed version, seeded with the demo services,
 * so the portal's real clients run against them on a dev machine and in tests.
 */
import { GitHubServer, startGitHubServer } from './github';
import { JenkinsServer, startJenkinsServer } from './jenkins';
import { KubeServer, startKubeServer } from './kube';
import { SANDBOX_CLUSTERS, buildSeed, unhealthyShas } from './seed';
import {
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

/** Ports the sandbox listens on; 0 or a missing entry picks free ports (tests). */
export interface SandboxPorts {
  github: number;
  clusters: Record<string, number>;
  /** Simulated traffic (`/metrics`, `/health`). */
  traffic?: number;
  jenkins?: number;
}

/** The ports the demo uses (app-config.yaml points at these). */
export const DEFAULT_SANDBOX_PORTS: SandboxPorts = {
  github: 7010,
  clusters: { uat: 7011, canary: 7012, production: 7013 },
  traffic: 7014,
  jenkins: 7015,
};

/**
 * Clusters where the seed's unhealthy versions misbehave: the problem shows only under
 * production traffic, which UAT's light synthetic load does not reproduce, so the demo's bad
 * commit passes UAT and is caught in canary.
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
  github: GitHubServer;
  clusters: Record<string, KubeServer>;
  traffic: TrafficServer;
  jenkins: JenkinsServer;
  githubToken: string;
  /** Basic auth credentials of the sandbox Jenkins. */
  jenkinsCredentials: { username: string; apiToken: string };
  close(): Promise<void>;
}

/** Starts GitHub, the three clusters, the simulated traffic and Jenkins with the demo data. */
export async function startSandbox(options?: {
  ports?: SandboxPorts;
  host?: string;
  now?: number;
  githubToken?: string;
  rolloutStepMs?: number;
  /** Tuning of the simulated traffic (requests per second per Deployment, tick, PRNG seed). */
  traffic?: Pick<TrafficServerOptions, 'rps' | 'tickMs' | 'seed'>;
}): Promise<Sandbox> {
  const seed = buildSeed(options?.now ?? Date.now());
  const ports = options?.ports ?? { github: 0, clusters: {} };
  const githubToken = options?.githubToken ?? 'sandbox-token';
  const started: Array<{ close(): Promise<void> }> = [];
  const closeAll = () => Promise.all(started.map(s => s.close()));
  try {
    const github = await startGitHubServer({
      port: ports.github,
      host: options?.host,
      repositories: seed.repositories,
      token: githubToken,
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
    const unhealthy = unhealthyShas(seed);
    const traffic = await startTrafficServer({
      ...options?.traffic,
      port: ports.traffic ?? 0,
      host: options?.host,
      clusters: Object.fromEntries(
        Object.entries(clusters).map(([n, c]) => [n, c.store]),
      ),
      isUnhealthy: (version, cluster) =>
        UNHEALTHY_CLUSTERS.includes(cluster) &&
        unhealthy.some(sha => sameVersion(sha, version)),
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
    return {
      githubUrl: github.url,
      clusterUrls: Object.fromEntries(
        Object.entries(clusters).map(([n, c]) => [n, c.url]),
      ),
      trafficUrl: traffic.url,
      jenkinsUrl: jenkins.url,
      github,
      clusters,
      traffic,
      jenkins,
      githubToken,
      jenkinsCredentials: {
        username: SANDBOX_JENKINS.username,
        apiToken: SANDBOX_JENKINS.apiToken,
      },
      async close() {
        await closeAll();
      },
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
