import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  fakeApi,
  renderTab,
  entity,
  deployment,
  deploymentsResponse,
  responseError,
  GRACE,
} from './__testUtils__/fixtures';

// material-table renders slowly on a two-core machine.
jest.setTimeout(30_000);

// usePermission caches decisions per permission and resource in a module-wide SWR cache, so
// tests that change the user's permissions look at a service of their own.
const service = (name: string) => ({
  ...entity,
  metadata: { ...entity.metadata, name },
});

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
    const prodRow = screen.getByText('prod-eu / payments').closest('tr')!;
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

  it('lays out environments, queue, commits and history in that order', async () => {
    await renderTab(fakeApi());
    await screen.findByText('Add retries', {}, { timeout: 10_000 });
    const titles = [
      'Environments',
      'Deployment queue',
      'Recent commits',
      'History',
    ].map(t => screen.getByText(t, { selector: '.MuiCardHeader-title' }));
    for (let i = 1; i < titles.length; i++) {
      expect(
        titles[i - 1].compareDocumentPosition(titles[i]) &
          Node.DOCUMENT_POSITION_FOLLOWING,
      ).toBeTruthy();
    }
  });

  it('shows the backend error when a system is down', async () => {
    const error = await responseError(
      503,
      "Kubernetes cluster 'production' is unreachable: ECONNREFUSED",
    );
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

  it('disables or hides every action for a user without delivery permissions', async () => {
    const api = fakeApi({
      getDeployments: jest.fn(async () =>
        deploymentsResponse({
          queue: [
            deployment({
              token: 'DEP-2',
              status: 'queued',
              requestedBy: GRACE,
              queuePosition: 1,
            }),
          ],
        }),
      ),
    });
    await renderTab(api, { allow: [], entity: service('denied-api') });

    const deployButton = () =>
      screen.getByRole('button', { name: 'Deploy ddddddd' });
    await waitFor(() => expect(deployButton()).toBeDisabled(), {
      timeout: 10_000,
    });
    await userEvent.hover(deployButton().parentElement!);
    expect(await screen.findByRole('tooltip')).toHaveTextContent(
      'You do not have permission to deploy this service',
    );
    await userEvent.unhover(deployButton().parentElement!);

    expect(screen.getByRole('button', { name: 'Lock queue' })).toBeDisabled();
    expect(await screen.findByText('DEP-2')).toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Cancel DEP-2' }),
    ).not.toBeInTheDocument();
  });

  it('asks the permission policy about this service', async () => {
    const api = fakeApi();
    await renderTab(api, {
      allow: ['delivery.deployment.request'],
      entity: service('deploy-only-api'),
    });
    await waitFor(
      () =>
        expect(
          screen.getByRole('button', { name: 'Deploy ddddddd' }),
        ).toBeEnabled(),
      { timeout: 10_000 },
    );
    expect(screen.getByRole('button', { name: 'Lock queue' })).toBeDisabled();
  });

  it('explains which annotations are missing instead of showing data', async () => {
    const api = fakeApi();
    await renderTab(api, {
      entity: {
        ...entity,
        metadata: {
          name: 'money-lib',
          annotations: { 'github.com/project-slug': 'acme/money-lib' },
        },
      },
    });
    expect(await screen.findByText('Missing Annotation')).toBeInTheDocument();
    expect(document.body.textContent).toContain(
      'The annotation backstage.io/kubernetes-id is missing.',
    );
    await waitFor(() => expect(api.getEnvironments).not.toHaveBeenCalled());
    expect(api.getDeployments).not.toHaveBeenCalled();
  });
});
