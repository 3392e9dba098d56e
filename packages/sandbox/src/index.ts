/*
 * The sandbox: local servers that speak the Kubernetes and GitHub wire protocols, seeded with
 * the demo services, so the portal's real clients run against them on a dev machine and in
 * tests.
 */
import { startGitHubServer } from './github';
import { startKubeServer } from './kube';
import { SANDBOX_CLUSTERS, buildSeed } from './seed';

export * from './seed';
export * from './github';
export * from './kube';

/** Ports the sandbox listens on; 0 picks free ports (tests). */
export interface SandboxPorts {
  github: number;
  clusters: Record<string, number>;
}

/** The ports the demo uses (app-config.yaml points at these). */
export const DEFAULT_SANDBOX_PORTS: SandboxPorts = {
  github: 7010,
  clusters: { uat: 7011, canary: 7012, production: 7013 },
};

export interface Sandbox {
  githubUrl: string;
  /** Cluster name → API server URL. */
  clusterUrls: Record<string, string>;
  github: Awaited<ReturnType<typeof startGitHubServer>>;
  clusters: Record<string, Awaited<ReturnType<typeof startKubeServer>>>;
  githubToken: string;
  close(): Promise<void>;
}

/** Starts GitHub and the three clusters with the demo data. */
export async function startSandbox(options?: {
  ports?: SandboxPorts;
  host?: string;
  now?: number;
  githubToken?: string;
  rolloutStepMs?: number;
}): Promise<Sandbox> {
  const seed = buildSeed(options?.now ?? Date.now());
  const ports = options?.ports ?? { github: 0, clusters: {} };
  const githubToken = options?.githubToken ?? 'sandbox-token';
  const github = await startGitHubServer({
    port: ports.github,
    host: options?.host,
    repositories: seed.repositories,
    token: githubToken,
  });
  const clusters: Sandbox['clusters'] = {};
  try {
    for (const name of SANDBOX_CLUSTERS) {
      clusters[name] = await startKubeServer({
        name,
        port: ports.clusters[name] ?? 0,
        host: options?.host,
        objects: seed.clusters[name],
        rolloutStepMs: options?.rolloutStepMs,
      });
    }
  } catch (error) {
    await github.close();
    await Promise.all(Object.values(clusters).map(c => c.close()));
    throw error;
  }
  return {
    githubUrl: github.url,
    clusterUrls: Object.fromEntries(
      Object.entries(clusters).map(([n, c]) => [n, c.url]),
    ),
    github,
    clusters,
    githubToken,
    async close() {
      await Promise.all([
        github.close(),
        ...Object.values(clusters).map(c => c.close()),
      ]);
    },
  };
}
