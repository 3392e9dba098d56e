import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  ADA,
  ADMIN,
  GRACE,
  entity,
  ephemeralEnv,
  ephemeralResponse,
  fakeEphemeralApi,
  renderEnvironmentsTab,
} from './__testUtils__/fixtures';

jest.setTimeout(30_000);

// Every test of this file is a platform admin (delivery.environment.admin): a basic permission,
// so usePermission's module-wide cache holds one answer for it per file. Non-admins are in
// EnvironmentsTab.test.tsx.
const service = (name: string) => ({
  ...entity,
  metadata: { ...entity.metadata, name },
});

describe('EnvironmentsTab for admins', () => {
  it('gives admins Make persistent and Sweep now, and shows what the sweep did', async () => {
    const api = fakeEphemeralApi();
    await renderEnvironmentsTab(api, {
      entity: service('env-admin-api'),
      user: GRACE,
      allow: [ADMIN],
    });
    await userEvent.click(
      await screen.findByRole('button', {
        name: 'Make deploy/new-checkout persistent',
      }),
    );
    expect(api.setEphemeralPersistence).toHaveBeenCalledWith(
      'ENV-1700000000000-000001',
      true,
    );
    expect(
      await screen.findByText(
        'deploy/new-checkout is persistent: the sweep leaves it',
      ),
    ).toBeInTheDocument();

    await userEvent.click(screen.getByRole('button', { name: 'Sweep now' }));
    const dialog = await screen.findByRole('dialog', { name: 'Sweep now' });
    expect(dialog).toHaveTextContent('It also runs on its own every 30 min.');
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Run the sweep' }),
    );
    expect(api.sweepEphemeralEnvironments).toHaveBeenCalled();
    const result = await within(dialog).findByRole('region', {
      name: 'Sweep result',
    });
    expect(result).toHaveTextContent(
      'Swept in 1s: 1 namespace deleted, 1 could not be deleted (the next sweep tries again).',
    );
    expect(result).toHaveTextContent('payments-api-old-9876543210');
    expect(result).toHaveTextContent(
      'checkout-web-try-1111111111: the cluster answered 500',
    );
  });

  it('lets an admin who created it delete a persistent environment, and make it ephemeral again', async () => {
    const api = fakeEphemeralApi({
      getEphemeralEnvironments: jest.fn(async () =>
        ephemeralResponse({ items: [ephemeralEnv({ persistent: true })] }),
      ),
    });
    // Its creator, an admin without the service's permissions.
    await renderEnvironmentsTab(api, {
      entity: service('env-admin-pinned-api'),
      user: ADA,
      allow: [ADMIN],
    });
    await screen.findByRole('table', { name: 'Live environments' });
    const remove = screen.getByRole('button', {
      name: 'Delete deploy/new-checkout',
    });
    await waitFor(() => expect(remove).toBeEnabled());
    // Persistent: nothing to extend.
    expect(
      screen.getByRole('button', { name: 'Extend deploy/new-checkout' }),
    ).toBeDisabled();
    // Not a service owner: no creating.
    expect(
      screen.getByRole('button', { name: 'Create from branch' }),
    ).toBeDisabled();
    await userEvent.click(
      screen.getByRole('button', {
        name: 'Make deploy/new-checkout ephemeral',
      }),
    );
    expect(api.setEphemeralPersistence).toHaveBeenCalledWith(
      'ENV-1700000000000-000001',
      false,
    );
    expect(
      await screen.findByText('deploy/new-checkout is ephemeral again'),
    ).toBeInTheDocument();
  });

  it('shows the backend’s refusal of the sweep in its dialog', async () => {
    const api = fakeEphemeralApi({
      sweepEphemeralEnvironments: jest.fn(async () => {
        throw new Error('uat answered 503');
      }),
    });
    await renderEnvironmentsTab(api, {
      entity: service('env-admin-sweep-api'),
      user: ADA,
      allow: [ADMIN],
    });
    await userEvent.click(
      await screen.findByRole('button', { name: 'Sweep now' }),
    );
    const dialog = await screen.findByRole('dialog', { name: 'Sweep now' });
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Run the sweep' }),
    );
    expect(
      await within(dialog).findByText('uat answered 503'),
    ).toBeInTheDocument();
  });
});
