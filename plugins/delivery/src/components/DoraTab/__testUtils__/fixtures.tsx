import { ReactElement } from 'react';
import { Entity } from '@backstage/catalog-model';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import {
  catalogApiRef,
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import {
  DoraDeployment,
  DoraDetailsResponse,
  DoraMetric,
  DoraResponse,
  DoraTrendPoint,
} from '@internal/plugin-delivery-common';
import { DeliveryApi, deliveryApiRef } from '../../../api';
import { doraRouteRef } from '../../../routes';
import { entity, fakeApi } from '../../DeploymentsTab/__testUtils__/fixtures';

export {
  entity,
  responseError,
  sha,
} from '../../DeploymentsTab/__testUtils__/fixtures';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const FROM = '2026-09-03T22:00:00.000Z';
const TO = '2026-11-26T10:00:00.000Z';

/** Twelve weekly trend points, the last one partial. */
export function weeklyTrend(): DoraTrendPoint[] {
  return Array.from({ length: 12 }, (_, i) => {
    const from = Date.parse(FROM) + i * 7 * DAY;
    return {
      from: new Date(from).toISOString(),
      to: new Date(Math.min(Date.parse(TO), from + 7 * DAY)).toISOString(),
      deployments: 25 + i,
      deploymentsPerDay: (25 + i) / 7,
      leadTimeMedian: (90 + i) * 60_000,
      leadTimeP90: (300 + i) * 60_000,
      changeFailureRate: i % 3 === 0 ? 0.04 : 0.02,
      ...(i === 5 ? {} : { recoveryTimeMedian: 4 * 60_000 }),
      successRate: 0.97,
      reworkRate: 0.01,
    };
  });
}

/**
 * payments-api over the last 12 weeks: 4.2 deployments a day (elite, on demand), lead time
 * 1 h 35 min (p90 5 h 10 min, elite, under the 2 h target), change failure rate 3.1 % (elite,
 * under 5 %), recovery 12 min (elite, over the 5 min target), success 96.7 % (over 95 %) and
 * rework 1.4 %.
 */
export function doraResponse(
  overrides: Partial<DoraResponse> = {},
): DoraResponse {
  return {
    scope: {
      kind: 'entity',
      ref: 'component:default/payments-api',
      title: 'payments-api',
      services: 1,
      teams: 1,
    },
    from: FROM,
    to: TO,
    interval: 'week',
    metrics: {
      deploymentFrequency: {
        value: 4.2,
        unit: 'perDay',
        count: 352,
        perWeek: 29.4,
        bucket: 'onDemand',
        tier: 'elite',
        target: {
          value: 5,
          comparison: 'atLeast',
          note: 'The target is per team: see the owner’s page.',
        },
      },
      leadTime: {
        value: 95 * 60_000,
        p90: 310 * 60_000,
        unit: 'milliseconds',
        count: 1234,
        tier: 'elite',
        target: { value: 2 * HOUR, comparison: 'atMost', met: true },
      },
      changeFailureRate: {
        value: 0.031,
        unit: 'ratio',
        count: 352,
        numerator: 11,
        tier: 'elite',
        target: { value: 0.05, comparison: 'atMost', met: true },
      },
      recoveryTime: {
        value: 12 * 60_000,
        unit: 'milliseconds',
        count: 9,
        numerator: 10,
        tier: 'elite',
        target: { value: 5 * 60_000, comparison: 'atMost', met: false },
      },
      successRate: {
        value: 0.967,
        unit: 'ratio',
        count: 364,
        numerator: 352,
        target: { value: 0.95, comparison: 'atLeast', met: true },
      },
      reworkRate: {
        value: 0.014,
        unit: 'ratio',
        count: 352,
        numerator: 5,
      },
    },
    trend: weeklyTrend(),
    ...overrides,
  };
}

/** The same scope with nothing in the period. */
export function emptyDoraResponse(
  overrides: Partial<DoraResponse> = {},
): DoraResponse {
  const none = (
    unit: DoraMetric['unit'],
    extra: Partial<DoraMetric> = {},
  ): DoraMetric => ({ unit, count: 0, ...extra });
  return doraResponse({
    metrics: {
      deploymentFrequency: none('perDay', {
        value: 0,
        perWeek: 0,
        bucket: 'none',
        tier: 'low',
        target: { value: 5, comparison: 'atLeast' },
      }),
      leadTime: none('milliseconds', {
        target: { value: 2 * HOUR, comparison: 'atMost' },
      }),
      changeFailureRate: none('ratio', { numerator: 0 }),
      recoveryTime: none('milliseconds', { numerator: 0 }),
      successRate: none('ratio', { numerator: 0 }),
      reworkRate: none('ratio', { numerator: 0 }),
    },
    trend: weeklyTrend().map(p => ({
      from: p.from,
      to: p.to,
      deployments: 0,
      deploymentsPerDay: 0,
    })),
    ...overrides,
  });
}

export function doraDeployment(
  overrides: Partial<DoraDeployment> = {},
): DoraDeployment {
  return {
    id: 'portal:DEP-1764150000000-000001',
    entityRef: 'component:default/payments-api',
    sha: 'a'.repeat(40),
    deployedAt: '2026-11-26T09:00:00.000Z',
    status: 'success',
    production: true,
    source: 'portal',
    token: 'DEP-1764150000000-000001',
    commits: 3,
    leadTimeMedian: 95 * 60_000,
    failed: false,
    rework: false,
    ...overrides,
  };
}

/** Three deployments of 352: a portal one, a failed GitHub one, a rework one. */
export function deploymentDetails(total = 352): DoraDetailsResponse {
  return {
    kind: 'deployments',
    total,
    deployments: [
      doraDeployment(),
      doraDeployment({
        id: 'github:9001',
        source: 'github',
        token: undefined,
        url: 'https://github.local/acme/payments-api/deployments/9001',
        sha: 'b'.repeat(40),
        failed: true,
      }),
      doraDeployment({
        id: 'portal:DEP-1764140000000-000002',
        token: 'DEP-1764140000000-000002',
        sha: 'c'.repeat(40),
        rework: true,
      }),
    ],
  };
}

export function commitDetails(): DoraDetailsResponse {
  return {
    kind: 'commits',
    total: 2,
    commits: [
      {
        entityRef: 'component:default/payments-api',
        sha: 'd'.repeat(40),
        committedAt: '2026-11-26T07:25:00.000Z',
        deployedAt: '2026-11-26T09:00:00.000Z',
        leadTime: 95 * 60_000,
        deploymentId: 'portal:DEP-1764150000000-000001',
        token: 'DEP-1764150000000-000001',
      },
      {
        entityRef: 'component:default/payments-api',
        sha: 'e'.repeat(40),
        committedAt: '2026-11-25T09:00:00.000Z',
        deployedAt: '2026-11-26T09:00:00.000Z',
        leadTime: 24 * HOUR,
        deploymentId: 'github:9001',
      },
    ],
  };
}

/** The fake delivery API with DORA answers: the payments-api figures above. */
export function fakeDoraApi(overrides: Partial<DeliveryApi> = {}): DeliveryApi {
  return fakeApi({
    getDora: jest.fn(async () => doraResponse()),
    getDoraDetails: jest.fn(async query =>
      query.kind === 'commits' ? commitDetails() : deploymentDetails(),
    ),
    getDoraDetailsCsv: jest.fn(async () => ({
      blob: new Blob(['deployedAt,entityRef\r\n'], { type: 'text/csv' }),
    })),
    ...overrides,
  });
}

/** The demo organisation: acme (organization) with team-payments and team-storefront. */
export const groups: Entity[] = [
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: {
      name: 'team-payments',
      namespace: 'default',
      title: 'Payments',
    },
    spec: { type: 'team', parent: 'acme', children: [] },
    relations: [{ type: 'childOf', targetRef: 'group:default/acme' }],
  },
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: { name: 'acme', namespace: 'default', title: 'Acme' },
    spec: {
      type: 'organization',
      children: ['team-payments', 'team-storefront'],
    },
    relations: [
      { type: 'parentOf', targetRef: 'group:default/team-payments' },
      { type: 'parentOf', targetRef: 'group:default/team-storefront' },
    ],
  },
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: { name: 'team-storefront', namespace: 'default' },
    spec: { type: 'team', parent: 'acme', children: [] },
    relations: [{ type: 'childOf', targetRef: 'group:default/acme' }],
  },
];

export const acme = groups[1];
export const teamPayments = groups[0];

/**
 * Renders a DORA view with the fake delivery API, the catalog's groups, the entity (the
 * payments-api fixture unless given) and the catalog's entity pages and the DORA page mounted.
 */
export function renderDora(
  element: ReactElement,
  api: DeliveryApi,
  {
    pageEntity = entity,
    routeEntries,
  }: { pageEntity?: Entity; routeEntries?: string[] } = {},
) {
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [deliveryApiRef, api],
        [catalogApiRef, catalogApiMock({ entities: groups })],
      ]}
    >
      <EntityProvider entity={pageEntity}>{element}</EntityProvider>
    </TestApiProvider>,
    {
      mountedRoutes: {
        '/catalog/:namespace/:kind/:name': entityRouteRef,
        '/dora': doraRouteRef,
      },
      ...(routeEntries ? { routeEntries } : {}),
    },
  );
}
