import { screen, waitFor, within } from '@testing-library/react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { Entity } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import {
  CommitsResponse,
  EnvironmentsResponse,
} from '@internal/plugin-delivery-common';
import { DeliveryApi, deliveryApiRef } from '../../api';
import { DeploymentsTab } from './DeploymentsTab';

const entity: Entity = {
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

const sha = (c: string) => c.repeat(40);
const hoursAgo = (h: number) =>
  new Date(Date.now() - h * 3600_000).toISOString();

const environments: EnvironmentsResponse = {
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

const commits: CommitsResponse = {
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
  ],
};

function fakeApi(overrides: Partial<DeliveryApi> = {}): DeliveryApi {
  return {
    getEnvironments: jest.fn(async () => environments),
    getCommits: jest.fn(async () => commits),
    getEligibility: jest.fn(async () => []),
    getDeployments: jest.fn(async () => ({
      entityRef: 'component:default/payments-api',
      queue: [],
      history: [],
    })),
    getDeployment: jest.fn(),
    requestDeployment: jest.fn(),
    startDeployment: jest.fn(),
    cancelDeployment: jest.fn(),
    approveDeployment: jest.fn(),
    lockQueue: jest.fn(),
    unlockQueue: jest.fn(),
    ...overrides,
  };
}

async function renderTab(api: DeliveryApi, e: Entity = entity) {
  return renderInTestApp(
    <TestApiProvider apis={[[deliveryApiRef, api]]}>
      <EntityProvider entity={e}>
        <DeploymentsTab />
      </EntityProvider>
    </TestApiProvider>,
  );
}

// material-table renders slowly on a two-core machine.
jest.setTimeout(30_000);

describe('DeploymentsTab', () => {
  it('shows each environment with version, readiness, stable version and age', async () => {
    const api = fakeApi();
    await renderTab(api);
    const uatRow = (await screen.findByText('uat')).closest('tr')!;
    expect(within(uatRow).getByText('aaaaaaa')).toBeInTheDocument();
    expect(
      within(uatRow).getByText('Rolling out · 1/3 ready'),
    ).toBeInTheDocument();
    expect(within(uatRow).getByText('unknown')).toBeInTheDocument();
    expect(within(uatRow).getByText('1h ago')).toBeInTheDocument();
    const prodRow = screen.getByText('production').closest('tr')!;
    expect(within(prodRow).getByText('prod-eu / payments')).toBeInTheDocument();
    expect(within(prodRow).getByText('3/3 ready')).toBeInTheDocument();
    expect(within(prodRow).getByText('bbbbbbb (running)')).toBeInTheDocument();
    expect(within(prodRow).getByText('30h ago')).toBeInTheDocument();
    expect(api.getEnvironments).toHaveBeenCalledWith({
      kind: 'Component',
      namespace: 'default',
      name: 'payments-api',
    });
  });

  it('lists recent commits with CI state and links', async () => {
    await renderTab(fakeApi());
    await screen.findByText('Add retries', {}, { timeout: 10_000 });
    const link = await screen.findByRole('link', { name: /^ccccccc/ });
    expect(link).toHaveAttribute(
      'href',
      'http://github.local/acme/payments-api/commit/ccc',
    );
    const row = link.closest('tr')!;
    expect(within(row).getByText('Add retries')).toBeInTheDocument();
    expect(within(row).getByText('ada')).toBeInTheDocument();
    expect(within(row).getByText('CI failed')).toBeInTheDocument();
    const green = screen.getByRole('link', { name: /^ddddddd/ }).closest('tr')!;
    expect(within(green).getByText('CI passed')).toBeInTheDocument();
    expect(within(green).getByText('Grace Hopper')).toBeInTheDocument();
    expect(
      screen.getByRole('link', { name: /^acme\/payments-api/ }),
    ).toHaveAttribute('href', 'http://github.local/acme/payments-api');
  });

  it('shows the backend error when a system is down', async () => {
    const response = new Response(
      JSON.stringify({
        error: {
          name: 'UpstreamError',
          message:
            "Kubernetes cluster 'production' is unreachable: ECONNREFUSED",
        },
        request: { method: 'GET', url: '/' },
        response: { statusCode: 503 },
      }),
      {
        status: 503,
        statusText: 'Service Unavailable',
        headers: { 'Content-Type': 'application/json' },
      },
    );
    const error = await ResponseError.fromResponse(response as any);
    await renderTab(
      fakeApi({ getEnvironments: async () => Promise.reject(error) }),
    );
    expect(
      await screen.findByText(/Could not read the environments/),
    ).toBeInTheDocument();
    expect(
      screen.getAllByText(
        /Kubernetes cluster 'production' is unreachable: ECONNREFUSED/,
      ).length,
    ).toBeGreaterThan(0);
  });

  it('explains which annotations are missing instead of showing data', async () => {
    const api = fakeApi();
    await renderTab(api, {
      ...entity,
      metadata: {
        name: 'money-lib',
        annotations: { 'github.com/project-slug': 'acme/money-lib' },
      },
    });
    expect(await screen.findByText('Missing Annotation')).toBeInTheDocument();
    expect(document.body.textContent).toContain(
      'The annotation backstage.io/kubernetes-id is missing.',
    );
    await waitFor(() => expect(api.getEnvironments).not.toHaveBeenCalled());
  });
});
