import {
  EphemeralEnvironment,
  EphemeralEnvironmentsResponse,
  EphemeralSettings,
} from '@internal/plugin-delivery-common';
import { DeliveryApi } from '../../../api';
import { EphemeralPermissions } from '../../../hooks/useEphemeralPermissions';
import {
  ADA,
  fakeApi,
  hoursAgo,
  minutesFromNow,
  RenderOptions,
  renderWithApis,
  sha,
  stage,
} from '../../DeploymentsTab/__testUtils__/fixtures';
import { EnvironmentsTab } from '../EnvironmentsTab';

export {
  ADA,
  GRACE,
  entity,
  fakeSignals,
  hoursAgo,
  minutesFromNow,
  responseError,
  sha,
  stage,
} from '../../DeploymentsTab/__testUtils__/fixtures';

/** The process's settings: 3 h at creation, a day at most, sweep every 30 minutes. */
export function ephemeralSettings(
  overrides: Partial<EphemeralSettings> = {},
): EphemeralSettings {
  return {
    enabled: true,
    cluster: 'uat',
    branchPrefix: 'deploy/',
    ttlMinutes: 180,
    maxLifetimeMinutes: 1440,
    extensionMinutes: [60, 180, 480],
    sweepIntervalMinutes: 30,
    copyFrom: 'uat',
    ...overrides,
  };
}

/**
 * Ada's `deploy/new-checkout`, ready for an hour, expiring in 2 h, with a Jenkins build, links,
 * quota use and two flags copied from UAT.
 */
export function ephemeralEnv(
  overrides: Partial<EphemeralEnvironment> = {},
): EphemeralEnvironment {
  return {
    id: 'ENV-1700000000000-000001',
    entityRef: 'component:default/payments-api',
    branch: 'deploy/new-checkout',
    commitSha: sha('e'),
    image: 'acme/payments-api:eeeeeee',
    namespace: 'payments-api-new-checkout-0123456789',
    cluster: 'uat',
    status: 'ready',
    createdBy: ADA,
    createdAt: hoursAgo(1),
    updatedAt: hoursAgo(1),
    readyAt: hoursAgo(0.9),
    expiresAt: minutesFromNow(120),
    persistent: false,
    build: {
      job: 'payments-api',
      number: 42,
      url: 'http://jenkins.local/job/payments-api/42/',
      building: false,
      result: 'SUCCESS',
    },
    appUrl: 'http://payments-api-new-checkout.uat.local/',
    dashboardUrl: 'http://grafana.local/d/ns?var-namespace=payments-api',
    quota: [
      { resource: 'requests.cpu', hard: '2', used: '500m', ratio: 0.25 },
      { resource: 'limits.memory', hard: '4Gi', used: '3Gi', ratio: 0.75 },
      { resource: 'pods', hard: '10', used: '3', ratio: 0.3 },
    ],
    flags: [
      { key: 'new-checkout', state: 'ENABLED', defaultVariant: 'on' },
      {
        key: 'fast-search',
        state: 'ENABLED',
        defaultVariant: 'off',
        targeted: true,
      },
      { key: 'search-ranking', state: 'DISABLED', defaultVariant: 'classic' },
    ],
    stages: [
      stage(0, 'build', 'succeeded'),
      stage(1, 'namespace', 'succeeded'),
      stage(2, 'workload', 'succeeded'),
      stage(3, 'copy-flags', 'succeeded'),
      stage(4, 'announce', 'succeeded'),
    ],
    ...overrides,
  };
}

export function ephemeralResponse(
  overrides: Partial<EphemeralEnvironmentsResponse> = {},
): EphemeralEnvironmentsResponse {
  return {
    items: [ephemeralEnv()],
    settings: ephemeralSettings(),
    ...overrides,
  };
}

/** The fake delivery API with answers for the ephemeral environment routes. */
export function fakeEphemeralApi(
  overrides: Partial<DeliveryApi> = {},
): DeliveryApi {
  return fakeApi({
    getEphemeralEnvironments: jest.fn(async () => ephemeralResponse()),
    getEphemeralEnvironment: jest.fn(async (id: string) =>
      ephemeralEnv({ id }),
    ),
    createEphemeralEnvironment: jest.fn(async (_entity, request) =>
      ephemeralEnv({
        id: 'ENV-1700000000001-000002',
        branch: request.branch,
        status: 'creating',
      }),
    ),
    extendEphemeralEnvironment: jest.fn(async (id: string) =>
      ephemeralEnv({ id }),
    ),
    deleteEphemeralEnvironment: jest.fn(async (id: string) =>
      ephemeralEnv({ id, status: 'deleting' }),
    ),
    setEphemeralPersistence: jest.fn(async (id: string, persistent) =>
      ephemeralEnv({ id, persistent }),
    ),
    sweepEphemeralEnvironments: jest.fn(async () => ({
      deleted: ['payments-api-old-9876543210'],
      failed: [
        {
          namespace: 'checkout-web-try-1111111111',
          reason: 'the cluster answered 500',
        },
      ],
      durationMs: 840,
    })),
    ...overrides,
  });
}

/** Ephemeral permissions as the rules take them: all granted unless overridden. */
export function ephemeralPermissions(
  overrides: Partial<EphemeralPermissions> = {},
): EphemeralPermissions {
  return {
    create: true,
    delete: true,
    admin: true,
    loading: false,
    ...overrides,
  };
}

/** The permission names the tests grant. */
export const CREATE = 'delivery.environment.create';
export const DELETE = 'delivery.environment.delete';
export const ADMIN = 'delivery.environment.admin';

/**
 * Renders the whole Environments tab with the fake API, the user and their permissions: create
 * and delete unless `allow` says otherwise, admin only when `allow` names it. The admin
 * permission is a basic one (no resource), so usePermission's module-wide cache holds one
 * answer for it per test file: a file grants it in all its tests or in none.
 */
export function renderEnvironmentsTab(
  api: DeliveryApi,
  options: RenderOptions = {},
) {
  return renderWithApis(<EnvironmentsTab />, api, {
    ...options,
    allow: options.allow ?? [CREATE, DELETE],
  });
}
