import {
  DecisionRecord,
  EnvironmentsResponse,
  HealthResponse,
  Incident,
  Rollback,
} from '@internal/plugin-delivery-common';
import { DeliveryApi } from '../../../api';
import {
  ADA,
  fakeApi,
  hoursAgo,
  RenderOptions,
  renderWithApis,
  sha,
  stage,
} from '../../DeploymentsTab/__testUtils__/fixtures';
import { RollbackTab } from '../RollbackTab';

export {
  ADA,
  GRACE,
  entity,
  fakeSignals,
  responseError,
  sha,
  stage,
} from '../../DeploymentsTab/__testUtils__/fixtures';

const minutesAgo = (m: number) =>
  new Date(Date.now() - m * 60_000).toISOString();

/** uat, canary and production; production runs `c…` and has `b…` recorded as stable. */
export const environments: EnvironmentsResponse = {
  entityRef: 'component:default/payments-api',
  environments: ['uat', 'canary', 'production'].map((environment, i) => ({
    environment,
    cluster: environment === 'production' ? 'prod-eu' : environment,
    namespace: 'payments',
    workload: 'payments-api',
    version: {
      image: `acme/payments-api:${'c'.repeat(7)}`,
      imageTag: 'ccccccc',
      commitSha: sha('c'),
    },
    replicas: { desired: 3, ready: 3, updated: 3, available: 3 },
    rollout: 'complete' as const,
    deployedAt: hoursAgo(1 + i),
    stable:
      environment === 'uat'
        ? { state: 'unknown' as const }
        : {
            state: 'recorded' as const,
            commitSha: sha('b'),
            version: 'bbbbbbb',
          },
  })),
};

/** A healthy environment: nothing to do, automation watching. */
export function healthy(environment: string): HealthResponse {
  return {
    entityRef: 'component:default/payments-api',
    environment,
    cluster: environment,
    namespace: 'payments',
    workload: 'payments-api',
    version: sha('c'),
    stableVersion: environment === 'uat' ? undefined : sha('b'),
    backupVersion: sha('a'),
    window: { from: minutesAgo(5), to: minutesAgo(0), seconds: 300 },
    figures: {
      up: true,
      errorRate: 0.002,
      requests: 1000,
      endpoints: [{ endpoint: '/pay', requests: 1000, errors: 2 }],
      p95Seconds: 0.35,
      cpu: 0.3,
      memory: 0.4,
      restartsPerMinute: 0,
      business: { value: 0.9, baseline: 0.92 },
    },
    flags: [{ key: 'new-checkout', on: false, endpoints: ['/checkout'] }],
    decision: {
      level: 0,
      action: 'none',
      severity: 'info',
      reasons: ['Every figure is within its threshold'],
    },
    series: [
      { at: minutesAgo(2), errorRate: 0.001, p95Seconds: 0.3 },
      { at: minutesAgo(1), errorRate: 0.002, p95Seconds: 0.35 },
    ],
    automation: { active: false, why: 'No deployment is being watched' },
  };
}

/**
 * Production failing on the new checkout: 4 % errors, 90 % of them on `/checkout`, which the
 * flag `new-checkout` (on) serves; the engine recommends turning it off, automation active.
 */
export function failingProduction(): HealthResponse {
  return {
    ...healthy('production'),
    cluster: 'prod-eu',
    figures: {
      up: true,
      errorRate: 0.04,
      requests: 5000,
      endpoints: [
        { endpoint: '/pay', requests: 3000, errors: 20 },
        { endpoint: '/checkout', requests: 2000, errors: 180 },
      ],
      p95Seconds: 2.5,
      cpu: 0.5,
      memory: 0.6,
      restartsPerMinute: 0,
      business: { value: 0.6, baseline: 0.9 },
    },
    flags: [
      { key: 'new-checkout', on: true, endpoints: ['/checkout'] },
      { key: 'receipt-email', on: false, endpoints: ['/receipt'] },
    ],
    decision: {
      level: 1,
      action: 'flag-off',
      flags: ['new-checkout'],
      severity: 'critical',
      reasons: [
        'Error rate 4.00 % is over 1.00 %',
        '90.0 % of the errors are on /checkout, served by new-checkout',
      ],
    },
    automation: {
      active: true,
      until: minutesAgo(-20),
      why: 'Watching the deployment of ccccccc',
    },
  };
}

export function rollback(overrides: Partial<Rollback> = {}): Rollback {
  return {
    id: 'RB-1700000000000-000001',
    entityRef: 'component:default/payments-api',
    environment: 'production',
    level: 1,
    reason: 'INC-42: checkout errors',
    requestedBy: ADA,
    automated: false,
    flags: ['new-checkout'],
    status: 'running',
    createdAt: minutesAgo(2),
    stages: [
      stage(0, 'production.flags-off', 'running', { startedAt: minutesAgo(1) }),
      stage(1, 'production.verify', 'pending'),
    ],
    ...overrides,
  };
}

export function incident(overrides: Partial<Incident> = {}): Incident {
  return {
    id: 'INC-1',
    entityRef: 'component:default/payments-api',
    environment: 'production',
    level: 2,
    reason: 'p95 over 2 s',
    severity: 'critical',
    startedAt: hoursAgo(26),
    resolvedAt: new Date(Date.parse(hoursAgo(26)) + 245_000).toISOString(),
    actedBy: 'delivery',
    rollbackId: 'RB-1699999999999-000002',
    githubIssueUrl: 'https://github.local/acme/payments-api/issues/7',
    ...overrides,
  };
}

export function decisionRecord(
  overrides: Partial<DecisionRecord> = {},
): DecisionRecord {
  return {
    id: 'dec-1',
    environment: 'production',
    decidedAt: hoursAgo(26),
    decidedBy: 'delivery',
    decision: {
      level: 2,
      action: 'stable-rollback',
      severity: 'critical',
      reasons: ['p95 latency 3.10 s is over 2.00 s'],
    },
    figures: {
      up: true,
      errorRate: 0.003,
      endpoints: [],
      p95Seconds: 3.1,
    },
    flags: [],
    windowSeconds: 300,
    runId: 'RB-1699999999999-000002',
    ...overrides,
  };
}

/** The fake delivery API with answers for the rollback routes: production failing. */
export function fakeRollbackApi(
  overrides: Partial<DeliveryApi> = {},
): DeliveryApi {
  return fakeApi({
    getEnvironments: jest.fn(async () => environments),
    getServiceHealth: jest.fn(async (_entity, environment: string) =>
      environment === 'production' ? failingProduction() : healthy(environment),
    ),
    getRollbacks: jest.fn(async () => []),
    getRollback: jest.fn(async (id: string) => rollback({ id })),
    startRollback: jest.fn(async (_entity, request) =>
      rollback({
        environment: request.environment,
        level: request.level,
        reason: request.reason,
        flags: request.flags,
      }),
    ),
    getIncidents: jest.fn(async () => []),
    getRollbackDecisions: jest.fn(async () => []),
    ...overrides,
  });
}

/** Renders the whole Rollback tab with the fake API, the user and their permissions. */
export function renderRollbackTab(api: DeliveryApi, options?: RenderOptions) {
  return renderWithApis(<RollbackTab />, api, options);
}
