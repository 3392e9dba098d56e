import { ReactElement } from 'react';
import { configApiRef, identityApiRef } from '@backstage/core-plugin-api';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { signalApiRef, SignalApi } from '@backstage/plugin-signals-react';
import { Entity, getCompoundEntityRef } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import type { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  CommitsResponse,
  Deployment,
  DeploymentStage,
  DeploymentsResponse,
  EnvironmentsResponse,
} from '@internal/plugin-delivery-common';
import { DeliveryApi, deliveryApiRef } from '../../../api';
import { DeploymentsTab } from '../DeploymentsTab';
import {
  DeliveryContext,
  DeliveryContextValue,
} from '../../../hooks/DeliveryContext';
import { DeliveryPermissions } from '../../../hooks/useDeliveryPermissions';

export const ADA = 'user:default/ada';
export const GRACE = 'user:default/grace';

export const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'payments-api',
    annotations: {
      'github.com/project-slug': 'acme/payments-api',
      'backstage.io/kubernetes-id': 'payments-api',
    },
  },
  spec: { type: 'service', owner: 'team-payments', lifecycle: 'production' },
};

export const sha = (c: string) => c.repeat(40);
export const hoursAgo = (h: number) =>
  new Date(Date.now() - h * 3600_000).toISOString();
export const minutesFromNow = (m: number) =>
  new Date(Date.now() + m * 60_000).toISOString();

export const environments: EnvironmentsResponse = {
  entityRef: 'component:default/payments-api',
  environments: [
    {
      environment: 'uat',
      cluster: 'uat',
      namespace: 'payments',
      workload: 'payments-api',
      version: {
        image: 'acme/payments-api:aaaaaaa',
        imageTag: 'aaaaaaa',
        commitSha: sha('a'),
      },
      replicas: { desired: 3, ready: 1, updated: 2, available: 1 },
      rollout: 'progressing',
      deployedAt: hoursAgo(1),
      stable: { state: 'unknown' },
    },
    {
      environment: 'production',
      cluster: 'prod-eu',
      namespace: 'payments',
      workload: 'payments-api',
      version: {
        image: 'acme/payments-api:bbbbbbb',
        imageTag: 'bbbbbbb',
        commitSha: sha('b'),
      },
      replicas: { desired: 3, ready: 3, updated: 3, available: 3 },
      rollout: 'complete',
      deployedAt: hoursAgo(30),
      stable: { state: 'recorded', commitSha: sha('b'), version: 'bbbbbbb' },
    },
  ],
};

export const commits: CommitsResponse = {
  entityRef: 'component:default/payments-api',
  repository: {
    slug: 'acme/payments-api',
    defaultBranch: 'main',
    url: 'http://github.local/acme/payments-api',
  },
  commits: [
    {
      sha: sha('c'),
      shortSha: 'ccccccc',
      message: 'Add retries\n\nLonger body',
      author: { name: 'Ada Lovelace', login: 'ada' },
      committedAt: hoursAgo(2),
      url: 'http://github.local/acme/payments-api/commit/ccc',
      ci: {
        state: 'failure',
        checks: [{ name: 'unit-tests', state: 'failure' }],
      },
    },
    {
      sha: sha('d'),
      shortSha: 'ddddddd',
      message: 'Fix rounding',
      author: { name: 'Grace Hopper' },
      committedAt: hoursAgo(3),
      url: 'http://github.local/acme/payments-api/commit/ddd',
      ci: { state: 'success', checks: [{ name: 'build', state: 'success' }] },
    },
    {
      sha: sha('b'),
      shortSha: 'bbbbbbb',
      message: 'Initial release',
      author: { name: 'Grace Hopper' },
      committedAt: hoursAgo(30),
      url: 'http://github.local/acme/payments-api/commit/bbb',
      ci: { state: 'success', checks: [] },
    },
  ],
};

export function stage(
  position: number,
  name: string,
  status: DeploymentStage['status'],
  extra: Partial<DeploymentStage> = {},
): DeploymentStage {
  const [environment, kind] = name.includes('.')
    ? name.split('.')
    : [undefined, name];
  return {
    position,
    name,
    kind: kind as DeploymentStage['kind'],
    environment,
    status,
    logs: [],
    ...extra,
  };
}

export function deployment(overrides: Partial<Deployment> = {}): Deployment {
  return {
    token: 'DEP-1700000000000-0',
    entityRef: 'component:default/payments-api',
    commitSha: sha('d'),
    requestedBy: ADA,
    requestedAt: hoursAgo(1),
    status: 'queued',
    approvals: [],
    stages: [],
    ...overrides,
  };
}

export function deploymentsResponse(
  overrides: Partial<DeploymentsResponse> = {},
): DeploymentsResponse {
  return {
    entityRef: 'component:default/payments-api',
    queue: [],
    history: [],
    ...overrides,
  };
}

export function fakeApi(overrides: Partial<DeliveryApi> = {}): DeliveryApi {
  return {
    getEnvironments: jest.fn(async () => environments),
    getCommits: jest.fn(async () => commits),
    getEligibility: jest.fn(async (_entity, shas: string[]) =>
      shas.map(commitSha => ({ commitSha, eligible: true, reasons: [] })),
    ),
    getDeployments: jest.fn(async () => deploymentsResponse()),
    getDeployment: jest.fn(async (token: string) => deployment({ token })),
    requestDeployment: jest.fn(),
    startDeployment: jest.fn(async (token: string) =>
      deployment({ token, status: 'running' }),
    ),
    cancelDeployment: jest.fn(async (token: string) =>
      deployment({ token, status: 'cancelled' }),
    ),
    approveDeployment: jest.fn(async (token: string) => deployment({ token })),
    lockQueue: jest.fn(async () => deploymentsResponse()),
    unlockQueue: jest.fn(async () => deploymentsResponse()),
    // The Flags tab's calls; its own fixtures give them answers.
    getFlags: jest.fn(),
    getFlag: jest.fn(),
    createFlag: jest.fn(),
    changeFlag: jest.fn(),
    killFlag: jest.fn(),
    archiveFlag: jest.fn(),
    getFlagHistory: jest.fn(),
    previewFlag: jest.fn(),
    approveFlagChange: jest.fn(),
    rejectFlagChange: jest.fn(),
    // The Rollback tab's calls; its own fixtures give them answers.
    getServiceHealth: jest.fn(),
    getRollbacks: jest.fn(),
    getRollback: jest.fn(),
    startRollback: jest.fn(),
    getIncidents: jest.fn(),
    getRollbackDecisions: jest.fn(),
    // The DORA tab's calls; its own fixtures give them answers.
    getDora: jest.fn(),
    getDoraDetails: jest.fn(),
    getDoraDetailsCsv: jest.fn(),
    // The Environments tab's calls; its own fixtures give them answers.
    getEphemeralEnvironments: jest.fn(),
    createEphemeralEnvironment: jest.fn(),
    getEphemeralEnvironment: jest.fn(),
    deleteEphemeralEnvironment: jest.fn(),
    extendEphemeralEnvironment: jest.fn(),
    setEphemeralPersistence: jest.fn(),
    sweepEphemeralEnvironments: jest.fn(),
    ...overrides,
  };
}

/** A `ResponseError` as the client throws it for an error body from the backend. */
export async function responseError(
  status: number,
  message: string,
): Promise<ResponseError> {
  const response = new Response(
    JSON.stringify({
      error: { name: 'Error', message },
      request: { method: 'POST', url: '/' },
      response: { statusCode: status },
    }),
    {
      status,
      statusText: String(status),
      headers: { 'Content-Type': 'application/json' },
    },
  );
  return ResponseError.fromResponse(response);
}

/** What a delivery signal carries, as the signal API hands it to subscribers. */
type SignalMessage = Parameters<Parameters<SignalApi['subscribe']>[1]>[0];

/** A signal API whose subscribers the test calls itself, by channel. */
export function fakeSignals() {
  const subscribers = new Map<string, (message: SignalMessage) => void>();
  const api: SignalApi = {
    subscribe<TMessage extends SignalMessage>(
      channel: string,
      onMessage: (message: TMessage) => void,
    ) {
      subscribers.set(channel, message => onMessage(message as TMessage));
      return { unsubscribe: () => subscribers.delete(channel) };
    },
  };
  return { api, subscribers };
}

const ALLOW = 'ALLOW' as AuthorizeResult.ALLOW;
const DENY = 'DENY' as AuthorizeResult.DENY;

export interface RenderOptions {
  /** The signed-in user. */
  user?: string;
  /** Names of the permissions the user holds; all when omitted. */
  allow?: string[];
  signalApi?: SignalApi;
  /** The entity on the page; the payments-api fixture when omitted. */
  entity?: Entity;
  /** The page's location (path and query), e.g. `/?token=DEP-…`. */
  location?: string;
}

/** Renders an element with the fake delivery API, an identity, permissions and the entity. */
export async function renderWithApis(
  element: ReactElement,
  api: DeliveryApi,
  {
    user = ADA,
    allow,
    signalApi,
    entity: pageEntity = entity,
    location,
  }: RenderOptions = {},
) {
  const permissionApi = mockApis.permission({
    authorize: request =>
      !allow || allow.includes(request.permission.name) ? ALLOW : DENY,
  });
  const apis = [
    [deliveryApiRef, api],
    [identityApiRef, mockApis.identity({ userEntityRef: user })],
    [configApiRef, mockApis.config()],
    [permissionApiRef, permissionApi],
  ] as const;
  const page = <EntityProvider entity={pageEntity}>{element}</EntityProvider>;
  return renderInTestApp(
    signalApi ? (
      <TestApiProvider apis={[...apis, [signalApiRef, signalApi]]}>
        {page}
      </TestApiProvider>
    ) : (
      <TestApiProvider apis={apis}>{page}</TestApiProvider>
    ),
    location ? { routeEntries: [location] } : undefined,
  );
}

/** Renders the whole Deployments tab. */
export function renderTab(api: DeliveryApi, options?: RenderOptions) {
  return renderWithApis(<DeploymentsTab />, api, options);
}

/** Delivery permissions as the components receive them: all granted unless overridden. */
export function permissions(
  overrides: Partial<DeliveryPermissions> = {},
): DeliveryPermissions {
  return {
    deploy: true,
    cancel: true,
    approve: true,
    lock: true,
    loading: false,
    ...overrides,
    abort: overrides.abort ?? overrides.cancel ?? true,
  };
}

export interface ContextOptions extends RenderOptions {
  /** The user's delivery permissions as the context gives them; all granted when omitted. */
  granted?: DeliveryPermissions;
  /** The deployments as read last; an empty queue and history when omitted. */
  deployments?: DeploymentsResponse;
  /** The environments as read last; the fixture's when omitted. */
  environments?: EnvironmentsResponse;
}

/**
 * Renders a card or a part of one inside the delivery context, in the state the tab would
 * provide after reading everything (no loading, no error), with the fake API, the same user
 * and the entity. Returns the context's `refresh` and environments `retry` as mocks.
 */
export async function renderInDeliveryContext(
  element: ReactElement,
  api: DeliveryApi,
  options: ContextOptions = {},
) {
  const {
    user = ADA,
    entity: pageEntity = entity,
    granted = permissions(),
    deployments = deploymentsResponse(),
    environments: environmentsValue = environments,
  } = options;
  const refresh = jest.fn();
  const retryEnvironments = jest.fn();
  const value: DeliveryContextValue = {
    entity: pageEntity,
    entityRef: getCompoundEntityRef(pageEntity),
    user,
    permissions: granted,
    deployments: { value: deployments, loading: false },
    environments: {
      value: environmentsValue,
      loading: false,
      retry: retryEnvironments,
    },
    refresh,
  };
  await renderWithApis(
    <DeliveryContext.Provider value={value}>
      {element}
    </DeliveryContext.Provider>,
    api,
    { ...options, user, entity: pageEntity },
  );
  return { refresh, retryEnvironments };
}
