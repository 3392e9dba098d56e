/*
 * Demo data for the sandbox: three services owned by two teams, each with a GitHub repository
 * (20+ commits on main with mixed CI results) and a Deployment in each of the three clusters at
 * a different version. Deterministic: the same `now` gives the same data.
 */
import { createHash } from 'node:crypto';
import type { VersionFault } from './traffic/faults';

/** A commit in a sandbox repository. `parents` lists parent shas (first parent = main line). */
export interface SeedCommit {
  sha: string;
  message: string;
  authorName: string;
  authorEmail: string;
  authorLogin: string;
  date: string;
  parents: string[];
  /** CI results recorded for this commit. */
  checks: SeedCheck[];
  /**
   * When true, the version has a technical fault (see `fault`) that a canary verification
   * catches: it passes UAT and is caught in canary.
   */
  unhealthy?: boolean;
  /**
   * How the sandbox's simulated traffic makes this version misbehave under production traffic,
   * i.e. in the canary and production clusters (see `UNHEALTHY_CLUSTERS`).
   */
  fault?: VersionFault;
  /**
   * The feature flag the commit's change sits behind (its `Flag:` trailer). When the sandbox is
   * connected to a flag sync server, a faulty version with a flag misbehaves only for the
   * requests whose user gets the flag on; without one, always.
   */
  flag?: string;
}

/** One CI result: exposed both as a check run and as a commit status with the same name. */
export interface SeedCheck {
  name: string;
  /** success | failure | pending */
  state: 'success' | 'failure' | 'pending';
}

export interface SeedIssue {
  number: number;
  title: string;
  body: string;
  labels: string[];
  state: 'open' | 'closed';
  authorLogin: string;
  createdAt: string;
}

export interface SeedPull {
  number: number;
  title: string;
  head: string;
  base: string;
  state: 'open' | 'closed';
  authorLogin: string;
  createdAt: string;
}

export interface SeedRepository {
  owner: string;
  name: string;
  description: string;
  defaultBranch: string;
  /** Branch name → head sha. */
  branches: Record<string, string>;
  /** Every commit of every branch, oldest first. */
  commits: SeedCommit[];
  issues: SeedIssue[];
  pulls: SeedPull[];
}

/** A demo service: its catalog identity and where it runs. */
export interface SeedService {
  name: string;
  owner: string;
  /** `owner/name` of its repository. */
  projectSlug: string;
  namespace: string;
  replicas: number;
  /** Environment name → sha deployed there (production oldest, uat newest). */
  deployed: Record<string, string>;
  /** Environment name → sha recorded as stable, when there is one. */
  stable: Record<string, string>;
}

/**
 * A push the sandbox makes once it runs, so GitHub's `create` and `push` webhooks for it go out
 * (a developer pushing a `deploy/*` branch): `branch` is created from the default branch head
 * with `commits` on top, oldest first. Its commits are not in the repository's `commits`.
 */
export interface SeedPush {
  owner: string;
  repo: string;
  branch: string;
  commits: SeedCommit[];
}

export interface SeedData {
  repositories: SeedRepository[];
  services: SeedService[];
  /** Kubernetes objects per cluster name, ready to be stored (no status/metadata bookkeeping). */
  clusters: Record<string, Array<Record<string, any>>>;
  /** Pushes made at start, after the repositories exist (see `SeedPush`). */
  pushes: SeedPush[];
}

/** The demo's ephemeral-environment branch: payments-api, one commit on top of main. */
export const DEMO_DEPLOY_BRANCH = {
  repo: 'payments-api',
  branch: 'deploy/faster-checkout',
  message: 'Try a faster checkout: prefetch the payment methods',
};

export const SANDBOX_CLUSTERS = ['uat', 'canary', 'production'] as const;

/** Image reference of a service at a commit: the tag is the short sha. */
export function imageFor(service: string, sha: string): string {
  return `sandbox.local/acme/${service}:${sha.slice(0, 7)}`;
}

const AUTHORS = [
  { name: 'Ada Lovelace', login: 'ada', email: 'ada@acme.example' },
  { name: 'Grace Hopper', login: 'grace', email: 'grace@acme.example' },
  { name: 'Linus Chen', login: 'linus', email: 'linus@acme.example' },
  {
    name: 'Margaret Hamilton',
    login: 'margaret',
    email: 'margaret@acme.example',
  },
];

const MESSAGES = [
  'Add request tracing to checkout flow',
  'Fix rounding of currency amounts',
  'Bump dependencies',
  'Refactor order validation',
  'Add retry with backoff to upstream calls',
  'Improve error messages for bad input',
  'Cache catalog lookups',
  'Remove dead feature toggle',
  'Add p95 latency dashboard link',
  'Handle empty cart gracefully',
  'Split payment adapter per provider',
  'Tighten input validation on refunds',
  'Log correlation ids',
  'Speed up startup by lazy loading config',
  'Fix flaky integration test',
  'Add health endpoint details',
  'Migrate to structured logging',
  'Add pagination to listing endpoint',
  'Document the public API',
  'Reduce memory use of the report job',
  'Guard against duplicate submissions',
  'Add metrics for queue depth',
  'Rename internal module',
  'Fix timezone handling in reports',
];

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

interface ServiceSpec {
  name: string;
  owner: string;
  namespace: string;
  replicas: number;
  commitCount: number;
  blocked: boolean;
  /** Commit indexes (counted back from the head of main) deployed per environment. */
  deployedBack: Record<string, number>;
  stableBack: Record<string, number>;
  /**
   * A main-line commit (counted back from the head) whose version runs unhealthy, its fault,
   * and the feature flag its change sits behind, if any (written as a `Flag:` trailer of the
   * message).
   */
  unhealthy?: {
    back: number;
    message: string;
    flag?: string;
    fault: VersionFault;
  };
  /**
   * A technically healthy main-line commit with green CI whose version drops the business
   * metric (the order completion rate): canary verification passes it.
   */
  businessDrop?: { back: number; message: string; drop: number };
  /** A healthy main-line commit with green CI whose change ships behind a flag (its trailer). */
  flagged?: { back: number; message: string; flag: string };
}

const SERVICES: ServiceSpec[] = [
  {
    name: 'payments-api',
    owner: 'team-payments',
    namespace: 'payments',
    replicas: 3,
    commitCount: 24,
    blocked: false,
    deployedBack: { uat: 1, canary: 4, production: 6 },
    stableBack: { uat: 1, canary: 4, production: 6 },
    // Green CI, not deployed anywhere: the demo's bad change, caught in canary. It sits
    // behind a flag, so with flags it hurts only the users the flag is rolled out to, and
    // only on the flag's endpoint (payments go through the new client): a flag-off case.
    unhealthy: {
      back: 2,
      message: 'Switch payment provider client to HTTP/2',
      flag: 'http2-payment-client',
      fault: { kind: 'endpoint-errors', endpoints: ['/payments'] },
    },
    // What canary runs: technically healthy (it passed canary verification), but fewer orders
    // complete; promoting it to production shows a business drop with no technical breach.
    businessDrop: {
      back: 4,
      message: 'Simplify the checkout form',
      drop: 0.35,
    },
    // Running in UAT; on its way to canary and production behind its flag.
    flagged: {
      back: 1,
      message: 'Send the redesigned receipt email',
      flag: 'new-receipt-email',
    },
  },
  {
    name: 'checkout-web',
    owner: 'team-storefront',
    namespace: 'storefront',
    replicas: 2,
    commitCount: 22,
    blocked: true,
    deployedBack: { uat: 0, canary: 3, production: 5 },
    stableBack: { production: 5 },
  },
  {
    name: 'inventory-service',
    owner: 'team-storefront',
    namespace: 'inventory',
    replicas: 2,
    commitCount: 21,
    blocked: false,
    deployedBack: { uat: 2, canary: 5, production: 8 },
    stableBack: {},
  },
];

export const SANDBOX_ORG = 'acme';

/** CI outcome pattern: mostly green, some red, the newest commit still running. */
function checksFor(index: number, count: number, salt: number): SeedCheck[] {
  const names = ['build', 'unit-tests', 'lint'];
  if (index === count - 1) {
    return [
      { name: 'build', state: 'success' },
      { name: 'unit-tests', state: 'pending' },
      { name: 'lint', state: 'success' },
    ];
  }
  const failing =
    (index * 7 + salt) % 5 === 0
      ? names[(index + salt) % names.length]
      : undefined;
  return names.map(name => ({
    name,
    state: name === failing ? 'failure' : 'success',
  }));
}

function buildRepository(
  spec: ServiceSpec,
  salt: number,
  now: number,
): SeedRepository {
  const commits: SeedCommit[] = [];
  const hour = 3600_000;
  let parent: string | undefined;
  const unhealthyIndex = spec.unhealthy
    ? spec.commitCount - 1 - spec.unhealthy.back
    : -1;
  const flaggedIndex = spec.flagged
    ? spec.commitCount - 1 - spec.flagged.back
    : -1;
  const dropIndex = spec.businessDrop
    ? spec.commitCount - 1 - spec.businessDrop.back
    : -1;
  for (let i = 0; i < spec.commitCount; i++) {
    const author = AUTHORS[(i + salt) % AUTHORS.length];
    const sha = sha1(`${spec.name}:main:${i}`);
    let message =
      i === 0 ? 'Initial commit' : MESSAGES[(i * 5 + salt) % MESSAGES.length];
    let flag: string | undefined;
    if (i === unhealthyIndex) {
      flag = spec.unhealthy!.flag;
      message = spec.unhealthy!.message;
    }
    if (i === flaggedIndex) {
      flag = spec.flagged!.flag;
      message = spec.flagged!.message;
    }
    let fault: VersionFault | undefined;
    if (i === unhealthyIndex) fault = spec.unhealthy!.fault;
    if (i === dropIndex) {
      message = spec.businessDrop!.message;
      fault = { kind: 'business-drop', drop: spec.businessDrop!.drop };
    }
    // A git trailer after a blank line, as `git commit --trailer` writes it.
    if (flag) message = `${message}\n\nFlag: ${flag}`;
    commits.push({
      sha,
      message,
      authorName: author.name,
      authorEmail: author.email,
      authorLogin: author.login,
      date: new Date(
        now - (spec.commitCount - i) * 5 * hour - salt * 17 * 60_000,
      ).toISOString(),
      parents: parent ? [parent] : [],
      checks:
        i === flaggedIndex || i === dropIndex
          ? ['build', 'unit-tests', 'lint'].map(name => ({
              name,
              state: 'success' as const,
            }))
          : checksFor(i, spec.commitCount, salt),
      ...(i === unhealthyIndex ? { unhealthy: true } : {}),
      ...(fault ? { fault } : {}),
      ...(flag ? { flag } : {}),
    });
    parent = sha;
  }
  const mainHead = parent!;
  // A feature branch off main with two commits of its own, not merged.
  const branchBase = commits[commits.length - 3].sha;
  const featureCommits: SeedCommit[] = [0, 1].map(i => {
    const author = AUTHORS[(i + salt + 1) % AUTHORS.length];
    return {
      sha: sha1(`${spec.name}:feature:${i}`),
      message: `WIP: experiment ${i + 1}`,
      authorName: author.name,
      authorEmail: author.email,
      authorLogin: author.login,
      date: new Date(now - (2 - i) * hour).toISOString(),
      parents: [i === 0 ? branchBase : sha1(`${spec.name}:feature:0`)],
      checks: [{ name: 'build', state: 'success' }],
    };
  });
  commits.push(...featureCommits);
  const issues: SeedIssue[] = [
    {
      number: 1,
      title: 'Document the runbook',
      body: 'The on-call runbook is missing the restore steps.',
      labels: ['documentation'],
      state: 'open',
      authorLogin: 'grace',
      createdAt: new Date(now - 72 * hour).toISOString(),
    },
  ];
  if (spec.blocked) {
    issues.push({
      number: 2,
      title: 'Checkout fails for saved cards: hold deployments',
      body: 'Production incident INC-1234 is open; do not deploy until the fix is merged.',
      labels: ['deploy-blocker', 'bug'],
      state: 'open',
      authorLogin: 'margaret',
      createdAt: new Date(now - 3 * hour).toISOString(),
    });
  }
  return {
    owner: SANDBOX_ORG,
    name: spec.name,
    description: `The ${spec.name} service`,
    defaultBranch: 'main',
    branches: { main: mainHead, 'feature/experiment': featureCommits[1].sha },
    commits,
    issues,
    pulls: [
      {
        number: issues.length + 1,
        title: 'Experiment with a new cache',
        head: 'feature/experiment',
        base: 'main',
        state: 'open',
        authorLogin: featureCommits[0].authorLogin,
        createdAt: new Date(now - 2 * hour).toISOString(),
      },
    ],
  };
}

function deploymentManifest(
  service: SeedService,
  sha: string,
  deployedAt: string,
) {
  const labels = {
    'app.kubernetes.io/name': service.name,
    'backstage.io/kubernetes-id': service.name,
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: service.name,
      namespace: service.namespace,
      labels: { ...labels, 'app.kubernetes.io/version': sha.slice(0, 7) },
      annotations: {
        'delivery.backstage.io/commit-sha': sha,
        'delivery.backstage.io/deployed-at': deployedAt,
        // The catalog entity the workload's owners let deploy onto it.
        'delivery.backstage.io/entity-refs': `component:default/${service.name}`,
      },
    },
    spec: {
      replicas: service.replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name: service.name,
              image: imageFor(service.name, sha),
              ports: [{ containerPort: 8080 }],
            },
          ],
        },
      },
    },
  };
}

/** Shas of the seeded commits whose versions run unhealthy in the simulated traffic. */
export function unhealthyShas(seed: SeedData): string[] {
  return seed.repositories.flatMap(r =>
    r.commits.filter(c => c.unhealthy).map(c => c.sha),
  );
}

/** A seeded commit whose version runs unhealthy, with its service and its flag, if any. */
export interface UnhealthyCommit {
  sha: string;
  /** The service (catalog entity name, also the repository name). */
  service: string;
  flag?: string;
}

/** The seeded commits whose versions run unhealthy in the simulated traffic. */
export function unhealthyCommits(seed: SeedData): UnhealthyCommit[] {
  return seed.repositories.flatMap(r =>
    r.commits
      .filter(c => c.unhealthy)
      .map(c => ({
        sha: c.sha,
        service: r.name,
        ...(c.flag ? { flag: c.flag } : {}),
      })),
  );
}

/** A seeded commit whose version has a fault (technical or business), with its service. */
export interface FaultyCommit extends UnhealthyCommit {
  fault: VersionFault;
}

/** The seeded commits whose versions misbehave in the simulated traffic, with their faults. */
export function faultyCommits(seed: SeedData): FaultyCommit[] {
  return seed.repositories.flatMap(r =>
    r.commits
      .filter(c => c.fault)
      .map(c => ({
        sha: c.sha,
        service: r.name,
        fault: c.fault!,
        ...(c.flag ? { flag: c.flag } : {}),
      })),
  );
}

/** Clusters where each demo service gets an NGINX canary Ingress (weight 100: all traffic). */
export const CANARY_INGRESS_CLUSTERS = ['canary'];

/** The demo's `deploy/*` branch push: one commit with green CI on top of main, 20 minutes ago. */
function demoDeployPush(repositories: SeedRepository[], now: number): SeedPush {
  const repo = repositories.find(r => r.name === DEMO_DEPLOY_BRANCH.repo)!;
  const author = AUTHORS[1];
  return {
    owner: repo.owner,
    repo: repo.name,
    branch: DEMO_DEPLOY_BRANCH.branch,
    commits: [
      {
        sha: sha1(`${repo.name}:${DEMO_DEPLOY_BRANCH.branch}:0`),
        message: DEMO_DEPLOY_BRANCH.message,
        authorName: author.name,
        authorEmail: author.email,
        authorLogin: author.login,
        date: new Date(now - 20 * 60_000).toISOString(),
        parents: [repo.branches[repo.defaultBranch]],
        checks: ['build', 'unit-tests', 'lint'].map(name => ({
          name,
          state: 'success' as const,
        })),
      },
    ],
  };
}

/** Builds the demo data as of `now` (milliseconds since the epoch). */
export function buildSeed(now: number = Date.now()): SeedData {
  const repositories: SeedRepository[] = [];
  const services: SeedService[] = [];
  const clusters: SeedData['clusters'] = {};
  for (const cluster of SANDBOX_CLUSTERS) clusters[cluster] = [];

  SERVICES.forEach((spec, salt) => {
    const repo = buildRepository(spec, salt, now);
    repositories.push(repo);
    const main = repo.commits.slice(0, spec.commitCount);
    const at = (back: number) => main[main.length - 1 - back];
    const service: SeedService = {
      name: spec.name,
      owner: spec.owner,
      projectSlug: `${repo.owner}/${repo.name}`,
      namespace: spec.namespace,
      replicas: spec.replicas,
      deployed: Object.fromEntries(
        Object.entries(spec.deployedBack).map(([env, back]) => [
          env,
          at(back).sha,
        ]),
      ),
      stable: Object.fromEntries(
        Object.entries(spec.stableBack).map(([env, back]) => [
          env,
          at(back).sha,
        ]),
      ),
    };
    services.push(service);

    for (const cluster of SANDBOX_CLUSTERS) {
      const objects = clusters[cluster];
      if (
        !objects.some(
          o => o.kind === 'Namespace' && o.metadata.name === spec.namespace,
        )
      ) {
        objects.push({
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: spec.namespace, labels: { team: spec.owner } },
        });
      }
      const sha = service.deployed[cluster];
      const deployedAt = new Date(
        Date.parse(at(spec.deployedBack[cluster]).date) + 45 * 60_000,
      ).toISOString();
      objects.push(deploymentManifest(service, sha, deployedAt));
      objects.push({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: {
          name: spec.name,
          namespace: spec.namespace,
          labels: { 'backstage.io/kubernetes-id': spec.name },
        },
        spec: {
          selector: { 'app.kubernetes.io/name': spec.name },
          ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }],
        },
      });
      if (CANARY_INGRESS_CLUSTERS.includes(cluster)) {
        // The route the rollback's reroute turns down (canary-weight 0: no user traffic).
        objects.push({
          apiVersion: 'networking.k8s.io/v1',
          kind: 'Ingress',
          metadata: {
            name: `${spec.name}-canary`,
            namespace: spec.namespace,
            labels: { 'backstage.io/kubernetes-id': spec.name },
            annotations: {
              'nginx.ingress.kubernetes.io/canary': 'true',
              'nginx.ingress.kubernetes.io/canary-weight': '100',
            },
          },
          spec: {
            ingressClassName: 'nginx',
            rules: [
              {
                host: `${spec.name}.acme.example`,
                http: {
                  paths: [
                    {
                      path: '/',
                      pathType: 'Prefix',
                      backend: {
                        service: { name: spec.name, port: { number: 80 } },
                      },
                    },
                  ],
                },
              },
            ],
          },
        });
      }
      const stableSha = service.stable[cluster];
      if (stableSha) {
        objects.push({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            name: `delivery-stable-${spec.name}`,
            namespace: spec.namespace,
            labels: {
              'backstage.io/kubernetes-id': spec.name,
              'app.kubernetes.io/managed-by': 'delivery',
            },
          },
          data: {
            commitSha: stableSha,
            image: imageFor(spec.name, stableSha),
            version: stableSha.slice(0, 7),
            markedAt: deployedAt,
            markedBy: 'user:default/guest',
          },
        });
      }
    }
  });
  return {
    repositories,
    services,
    clusters,
    pushes: [demoDeployPush(repositories, now)],
  };
}
