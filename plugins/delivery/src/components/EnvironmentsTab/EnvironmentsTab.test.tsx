import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  ADA,
  GRACE,
  entity,
  ephemeralEnv,
  ephemeralResponse,
  ephemeralSettings,
  fakeEphemeralApi,
  fakeSignals,
  hoursAgo,
  minutesFromNow,
  renderEnvironmentsTab,
  responseError,
  stage,
  CREATE,
  DELETE,
} from './__testUtils__/fixtures';

jest.setTimeout(30_000);

// usePermission caches decisions per permission and resource in a module-wide SWR cache, so
// tests that change the user's permissions look at a service of their own.
const service = (name: string) => ({
  ...entity,
  metadata: { ...entity.metadata, name },
});

const row = (branch: string) => screen.getByTestId(`env-${branch}`);

/** The tooltip a disabled button's wrapper shows on hover. */
async function tooltipOf(button: HTMLElement) {
  await userEvent.hover(button.parentElement!);
  const tooltip = await screen.findByRole('tooltip');
  const text = tooltip.textContent;
  await userEvent.unhover(button.parentElement!);
  await waitFor(() =>
    expect(screen.queryByRole('tooltip')).not.toBeInTheDocument(),
  );
  return text;
}

describe('EnvironmentsTab', () => {
  it('lists the live environments with status, countdown, links, namespace, quota and flags', async () => {
    const creating = ephemeralEnv({
      id: 'ENV-1700000000002-000003',
      branch: 'deploy/faster-search',
      createdBy: GRACE,
      status: 'creating',
      expiresAt: minutesFromNow(30),
      build: { job: 'payments-api', building: true, number: 43 },
      appUrl: undefined,
      dashboardUrl: undefined,
      quota: [],
      flags: [],
      stages: [
        stage(0, 'build', 'succeeded'),
        stage(1, 'namespace', 'running'),
        stage(2, 'workload', 'pending'),
        stage(3, 'copy-flags', 'pending'),
        stage(4, 'announce', 'pending'),
      ],
    });
    const api = fakeEphemeralApi({
      getEphemeralEnvironments: jest.fn(async () =>
        ephemeralResponse({ items: [creating, ephemeralEnv()] }),
      ),
    });
    await renderEnvironmentsTab(api);

    const table = await screen.findByRole('table', {
      name: 'Live environments',
    });
    expect(
      within(table)
        .getAllByRole('columnheader')
        .map(h => h.textContent),
    ).toEqual([
      'Branch',
      'Status',
      'Expires',
      'Namespace and links',
      'Resources',
      'Actions',
    ]);
    expect(
      screen.getByText('Ephemeral environments for deploy/* branches'),
    ).toBeInTheDocument();

    const ready = row('deploy/new-checkout');
    expect(within(ready).getByText('deploy/new-checkout')).toHaveStyle({
      fontFamily: 'monospace',
    });
    expect(within(ready).getByText('ready')).toBeInTheDocument();
    expect(within(ready).getByText('ada')).toHaveAttribute('title', ADA);
    // The countdown, over an hour left: not coloured.
    const timer = within(ready).getByRole('timer', {
      name: 'Time left for deploy/new-checkout',
    });
    expect(timer).toHaveTextContent(/^(1:59:\d\d|2:00:00) left$/);
    expect(timer).toHaveAttribute('data-tone', 'ok');
    expect(within(ready).getByRole('link', { name: 'App' })).toHaveAttribute(
      'href',
      'http://payments-api-new-checkout.uat.local/',
    );
    expect(
      within(ready).getByRole('link', { name: 'Dashboard' }),
    ).toHaveAttribute(
      'href',
      'http://grafana.local/d/ns?var-namespace=payments-api',
    );
    expect(
      within(ready).getByRole('link', { name: 'Build #42 SUCCESS' }),
    ).toHaveAttribute('href', 'http://jenkins.local/job/payments-api/42/');
    expect(
      within(ready).getByText('payments-api-new-checkout-0123456789'),
    ).toBeInTheDocument();
    expect(within(ready).getByText('on uat')).toBeInTheDocument();
    expect(
      within(ready).getByRole('button', {
        name: 'Copy the kubectl command for deploy/new-checkout',
      }),
    ).toBeInTheDocument();
    // One bar per quota resource, with the numbers.
    const resources = within(ready).getByRole('group', {
      name: 'Resources of deploy/new-checkout',
    });
    const bars = within(resources).getAllByRole('progressbar');
    expect(bars.map(b => b.getAttribute('aria-label'))).toEqual([
      'requests.cpu: 500m of 2',
      'limits.memory: 3Gi of 4Gi',
      'pods: 3 of 10',
    ]);
    expect(bars.map(b => b.getAttribute('aria-valuenow'))).toEqual([
      '25',
      '75',
      '30',
    ]);
    expect(within(resources).getByText('3Gi / 4Gi')).toBeInTheDocument();
    // The flags it started with, under the branch.
    const flags = within(ready).getByRole('list', {
      name: 'Flags of deploy/new-checkout',
    });
    expect(
      within(flags)
        .getAllByRole('listitem')
        .map(f => f.textContent),
    ).toEqual([
      'new-checkout on',
      'fast-search off, targeted',
      'search-ranking disabled',
    ]);

    // Being created: the stage it is at, by its name in the Deployments tab's stepper.
    const inProgress = row('deploy/faster-search');
    expect(within(inProgress).getByText('creating')).toBeInTheDocument();
    expect(
      within(inProgress).getByTestId('stage-deploy/faster-search'),
    ).toHaveTextContent('Prepare the namespace (2/5)');
    expect(
      within(inProgress).getByRole('progressbar', {
        name: 'Creating deploy/faster-search',
      }),
    ).toHaveAttribute('aria-valuenow', '20');
    expect(
      within(inProgress).getByText('Build #43 building'),
    ).toBeInTheDocument();
    expect(
      within(inProgress).getByRole('timer', {
        name: 'Time left for deploy/faster-search',
      }),
    ).toHaveAttribute('data-tone', 'warning');
    expect(api.getEphemeralEnvironments).toHaveBeenCalledWith({
      kind: 'Component',
      namespace: 'default',
      name: 'payments-api',
    });
  });

  it('turns the countdown red under 15 minutes, says persistent, and shows why one failed', async () => {
    const api = fakeEphemeralApi({
      getEphemeralEnvironments: jest.fn(async () =>
        ephemeralResponse({
          items: [
            ephemeralEnv({
              id: 'ENV-1700000000003-000001',
              branch: 'deploy/almost-gone',
              expiresAt: minutesFromNow(10),
            }),
            ephemeralEnv({
              id: 'ENV-1700000000003-000002',
              branch: 'deploy/demo',
              persistent: true,
            }),
            ephemeralEnv({
              id: 'ENV-1700000000003-000003',
              branch: 'deploy/broken',
              status: 'failed',
              statusReason: 'Jenkins build #44 failed (FAILURE)',
              stages: [stage(0, 'build', 'failed')],
            }),
          ],
        }),
      ),
    });
    await renderEnvironmentsTab(api, { entity: service('env-tones-api') });
    const soon = await screen.findByRole('timer', {
      name: 'Time left for deploy/almost-gone',
    });
    expect(soon).toHaveAttribute('data-tone', 'error');
    expect(soon).toHaveTextContent(/^(9:\d\d|10:00) left$/);
    expect(screen.getByTestId('expiry-deploy/demo')).toHaveTextContent(
      'persistent',
    );
    expect(
      within(row('deploy/demo')).getByRole('button', {
        name: 'Extend deploy/demo',
      }),
    ).toBeDisabled();
    expect(
      within(row('deploy/broken')).getByText(
        'Jenkins build #44 failed (FAILURE)',
      ),
    ).toBeInTheDocument();
  });

  it('lists deleted environments below the live ones, greyed, with who deleted them and why', async () => {
    const api = fakeEphemeralApi({
      getEphemeralEnvironments: jest.fn(async () =>
        ephemeralResponse({
          items: [
            ephemeralEnv(),
            ephemeralEnv({
              id: 'ENV-1700000000000-000009',
              branch: 'deploy/old-idea',
              status: 'deleted',
              statusReason: 'Expired: deleted by the sweep',
              deletedAt: hoursAgo(2),
              deletedBy: 'delivery',
              quota: [],
            }),
            ephemeralEnv({
              id: 'ENV-1700000000000-000010',
              branch: 'deploy/merged',
              status: 'deleted',
              statusReason: 'Deleted by hand',
              deletedAt: hoursAgo(3),
              deletedBy: GRACE,
              quota: [],
            }),
          ],
        }),
      ),
    });
    await renderEnvironmentsTab(api, { entity: service('env-deleted-api') });
    const live = await screen.findByRole('table', {
      name: 'Live environments',
    });
    expect(within(live).queryByText('deploy/old-idea')).not.toBeInTheDocument();
    const deleted = screen.getByRole('table', { name: 'Deleted environments' });
    expect(
      live.compareDocumentPosition(deleted) & Node.DOCUMENT_POSITION_FOLLOWING,
    ).toBeTruthy();
    const swept = screen.getByTestId('deleted-deploy/old-idea');
    expect(swept).toHaveStyle({ opacity: '0.6' });
    expect(swept).toHaveTextContent('by the portal');
    expect(swept).toHaveTextContent('Expired: deleted by the sweep');
    expect(screen.getByTestId('deleted-deploy/merged')).toHaveTextContent(
      'by grace',
    );
  });

  it('opens an environment on its stages and logs', async () => {
    const api = fakeEphemeralApi({
      getEphemeralEnvironment: jest.fn(async (id: string) =>
        ephemeralEnv({
          id,
          stages: [
            stage(0, 'build', 'succeeded', {
              logs: [
                {
                  at: hoursAgo(1),
                  level: 'info',
                  message: 'Jenkins build #42 succeeded',
                },
              ],
            }),
            stage(1, 'namespace', 'succeeded'),
          ],
        }),
      ),
    });
    await renderEnvironmentsTab(api, { entity: service('env-details-api') });
    await userEvent.click(
      await screen.findByRole('button', {
        name: 'Show details of deploy/new-checkout',
      }),
    );
    const details = await screen.findByRole('region', {
      name: 'Details of deploy/new-checkout',
    });
    await waitFor(() =>
      expect(api.getEphemeralEnvironment).toHaveBeenCalledWith(
        'ENV-1700000000000-000001',
      ),
    );
    expect(within(details).getByText('Build the branch')).toBeInTheDocument();
    expect(
      within(details).getByText('Prepare the namespace'),
    ).toBeInTheDocument();
    expect(
      within(details).getByText(
        'kubectl -n payments-api-new-checkout-0123456789 get all',
      ),
    ).toBeInTheDocument();
    await userEvent.click(
      await within(details).findByRole('button', {
        name: 'Show logs of build',
      }),
    );
    expect(
      within(details).getByText(/Jenkins build #42 succeeded/),
    ).toBeInTheDocument();
  });

  it('disables every button for a user without permission who did not create it, saying why', async () => {
    await renderEnvironmentsTab(fakeEphemeralApi(), {
      entity: service('env-readonly-api'),
      user: GRACE,
      allow: [],
    });
    await screen.findByRole('table', { name: 'Live environments' });
    const create = screen.getByRole('button', { name: 'Create from branch' });
    await waitFor(() =>
      expect(
        screen.getByRole('button', { name: 'Extend deploy/new-checkout' }),
      ).toBeDisabled(),
    );
    expect(create).toBeDisabled();
    expect(await tooltipOf(create)).toBe(
      'You need delivery.environment.create on this service (its owners have it).',
    );
    const extend = screen.getByRole('button', {
      name: 'Extend deploy/new-checkout',
    });
    expect(await tooltipOf(extend)).toBe(
      'Only its creator (ada) or someone with delivery.environment.create on this service may extend it.',
    );
    const remove = screen.getByRole('button', {
      name: 'Delete deploy/new-checkout',
    });
    expect(remove).toBeDisabled();
    expect(await tooltipOf(remove)).toBe(
      'Only its creator (ada) or someone with delivery.environment.delete on this service may delete it.',
    );
    // Admin actions are not offered at all (no test of this file grants the admin permission).
    expect(
      screen.queryByRole('button', { name: 'Sweep now' }),
    ).not.toBeInTheDocument();
    expect(
      screen.queryByRole('button', {
        name: 'Make deploy/new-checkout persistent',
      }),
    ).not.toBeInTheDocument();
  });

  it('lets the creator extend and delete their own environment without the permissions', async () => {
    await renderEnvironmentsTab(fakeEphemeralApi(), {
      entity: service('env-creator-api'),
      user: ADA,
      allow: [],
    });
    await screen.findByRole('table', { name: 'Live environments' });
    await waitFor(() =>
      expect(
        screen.getByRole('button', { name: 'Delete deploy/new-checkout' }),
      ).toBeEnabled(),
    );
    expect(
      screen.getByRole('button', { name: 'Extend deploy/new-checkout' }),
    ).toBeEnabled();
    expect(
      screen.getByRole('button', { name: 'Create from branch' }),
    ).toBeDisabled();
  });

  it('offers the extensions, disabling those beyond the maximum lifetime with the reason', async () => {
    // Created 20 h ago, expiring 22 h after its creation: 2 h are left of the day it may live.
    const createdAt = hoursAgo(20);
    const expiresAt = new Date(Date.parse(createdAt) + 22 * 3_600_000);
    const api = fakeEphemeralApi({
      getEphemeralEnvironments: jest.fn(async () =>
        ephemeralResponse({
          items: [
            ephemeralEnv({ createdAt, expiresAt: expiresAt.toISOString() }),
          ],
        }),
      ),
    });
    await renderEnvironmentsTab(api, { entity: service('env-extend-api') });
    await userEvent.click(
      await screen.findByRole('button', { name: 'Extend deploy/new-checkout' }),
    );
    const items = await screen.findAllByRole('menuitem');
    expect(items.map(i => i.textContent?.slice(0, 4))).toEqual([
      '+1 h',
      '+3 h',
      '+8 h',
    ]);
    expect(items[0]).not.toHaveAttribute('aria-disabled', 'true');
    expect(items[0]).toHaveTextContent(/until /);
    expect(items[1]).toHaveAttribute('aria-disabled', 'true');
    expect(items[1]).toHaveTextContent(
      /An environment lives at most 24 h from its creation: this one can be extended by 2 h at most\./,
    );
    expect(items[2]).toHaveAttribute('aria-disabled', 'true');

    await userEvent.click(items[0]);
    expect(api.extendEphemeralEnvironment).toHaveBeenCalledWith(
      'ENV-1700000000000-000001',
      60,
    );
    expect(
      await screen.findByText('Extended deploy/new-checkout by 1 h'),
    ).toBeInTheDocument();
    await waitFor(() =>
      expect(api.getEphemeralEnvironments).toHaveBeenCalledTimes(2),
    );
  });

  it('shows the backend’s refusal of an extension', async () => {
    const api = fakeEphemeralApi({
      extendEphemeralEnvironment: jest.fn(async () => {
        throw await responseError(
          422,
          'an environment lives at most 24 h from its creation',
        );
      }),
    });
    await renderEnvironmentsTab(api, { entity: service('env-refused-api') });
    await userEvent.click(
      await screen.findByRole('button', { name: 'Extend deploy/new-checkout' }),
    );
    await userEvent.click((await screen.findAllByRole('menuitem'))[0]);
    expect(
      await screen.findByText('deploy/new-checkout was not extended'),
    ).toBeInTheDocument();
    expect(
      screen.getByText('an environment lives at most 24 h from its creation'),
    ).toBeInTheDocument();
  });

  it('deletes an environment after a confirmation naming its namespace', async () => {
    const api = fakeEphemeralApi();
    await renderEnvironmentsTab(api, { entity: service('env-delete-api') });
    await userEvent.click(
      await screen.findByRole('button', { name: 'Delete deploy/new-checkout' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Delete deploy/new-checkout?',
    });
    expect(dialog).toHaveTextContent(
      'This deletes the namespace payments-api-new-checkout-0123456789 on uat now',
    );
    expect(api.deleteEphemeralEnvironment).not.toHaveBeenCalled();
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Delete namespace' }),
    );
    expect(api.deleteEphemeralEnvironment).toHaveBeenCalledWith(
      'ENV-1700000000000-000001',
    );
    expect(
      await screen.findByText('Deleting deploy/new-checkout'),
    ).toBeInTheDocument();
    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );
  });

  it('keeps the delete dialog open with the backend’s message when it refuses', async () => {
    const api = fakeEphemeralApi({
      deleteEphemeralEnvironment: jest.fn(async () => {
        throw await responseError(
          502,
          'uat answered 500 deleting the namespace',
        );
      }),
    });
    await renderEnvironmentsTab(api, { entity: service('env-delete-502-api') });
    await userEvent.click(
      await screen.findByRole('button', { name: 'Delete deploy/new-checkout' }),
    );
    const dialog = await screen.findByRole('dialog');
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Delete namespace' }),
    );
    expect(
      await within(dialog).findByText(
        'uat answered 500 deleting the namespace',
      ),
    ).toBeInTheDocument();
  });

  it('creates from a branch, refusing bad names before asking the backend', async () => {
    const api = fakeEphemeralApi();
    await renderEnvironmentsTab(api, { entity: service('env-create-api') });
    await userEvent.click(
      await screen.findByRole('button', { name: 'Create from branch' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Create from branch',
    });
    const branch = within(dialog).getByRole('textbox', { name: /Branch/ });
    expect(branch).toHaveValue('deploy/');
    const create = within(dialog).getByRole('button', { name: 'Create' });
    expect(create).toBeDisabled();
    expect(
      within(dialog).getByTestId('create-environment-blocker'),
    ).toHaveTextContent('Name the branch after deploy/');

    await userEvent.clear(branch);
    await userEvent.type(branch, 'feature/try-this');
    expect(create).toBeDisabled();
    expect(
      within(dialog).getAllByText(
        'The branch must start with deploy/ (e.g. deploy/try-new-checkout).',
      ).length,
    ).toBeGreaterThan(0);

    await userEvent.clear(branch);
    await userEvent.type(branch, 'deploy/try this');
    expect(create).toBeDisabled();
    expect(
      within(dialog).getAllByText(/^A branch name cannot hold spaces/).length,
    ).toBeGreaterThan(0);

    await userEvent.clear(branch);
    await userEvent.type(branch, 'deploy/new-checkout');
    expect(
      within(dialog).getByTestId('create-environment-blocker'),
    ).toHaveTextContent(
      'deploy/new-checkout already has an environment: push the branch to update it.',
    );

    await userEvent.clear(branch);
    await userEvent.type(branch, 'deploy/try-this');
    const lifetime = within(dialog).getByRole('combobox', { name: 'Lifetime' });
    expect(
      within(lifetime)
        .getAllByRole('option')
        .map(o => o.textContent),
    ).toEqual(['3 h (default)', '4 h', '6 h', '8 h', '12 h', '24 h']);
    await userEvent.selectOptions(lifetime, '480');
    expect(api.createEphemeralEnvironment).not.toHaveBeenCalled();
    // Enabled, the button is no longer wrapped for its tooltip: a new element.
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Create' }),
    );
    expect(api.createEphemeralEnvironment).toHaveBeenCalledWith(
      { kind: 'Component', namespace: 'default', name: 'env-create-api' },
      { branch: 'deploy/try-this', ttlMinutes: 480 },
    );
    expect(
      await screen.findByText('Creating deploy/try-this'),
    ).toBeInTheDocument();
  });

  it('sends no lifetime for the default and shows the backend’s 409 in the dialog', async () => {
    const api = fakeEphemeralApi({
      createEphemeralEnvironment: jest.fn(async () => {
        throw await responseError(
          409,
          'deploy/try-this already has a live environment',
        );
      }),
    });
    await renderEnvironmentsTab(api, { entity: service('env-create-409-api') });
    await userEvent.click(
      await screen.findByRole('button', { name: 'Create from branch' }),
    );
    const dialog = await screen.findByRole('dialog');
    await userEvent.type(
      within(dialog).getByRole('textbox', { name: /Branch/ }),
      'try-this',
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Create' }),
    );
    expect(api.createEphemeralEnvironment).toHaveBeenCalledWith(
      expect.anything(),
      { branch: 'deploy/try-this' },
    );
    expect(
      await within(dialog).findByText(
        'deploy/try-this already has a live environment',
      ),
    ).toBeInTheDocument();
  });

  it('lets only admins delete a persistent environment', async () => {
    const pinned = ephemeralResponse({
      items: [ephemeralEnv({ persistent: true })],
    });
    await renderEnvironmentsTab(
      fakeEphemeralApi({
        getEphemeralEnvironments: jest.fn(async () => pinned),
      }),
      {
        entity: service('env-pinned-api'),
        user: ADA,
        allow: [CREATE, DELETE],
      },
    );
    await screen.findByRole('table', { name: 'Live environments' });
    const remove = screen.getByRole('button', {
      name: 'Delete deploy/new-checkout',
    });
    await waitFor(() => expect(remove).toBeDisabled());
    expect(await tooltipOf(remove)).toMatch(
      /^It is persistent: only an admin \(delivery.environment.admin\) may delete it/,
    );
  });

  it('tells a developer how to get one, with the settings', async () => {
    await renderEnvironmentsTab(
      fakeEphemeralApi({
        getEphemeralEnvironments: jest.fn(async () =>
          ephemeralResponse({ items: [] }),
        ),
      }),
      { entity: service('env-empty-api') },
    );
    expect(
      await screen.findByText('No environments for this service yet'),
    ).toBeInTheDocument();
    expect(screen.getByText(/^Push a branch named/).textContent).toContain(
      'Push a branch named deploy/<description>, or create one here. An environment lives 3 h unless you choose or extend it, at most 24 h from its creation, in a namespace of its own on uat with the workload and flags of uat; the sweep deletes expired ones every 30 min.',
    );
    expect(
      screen.getAllByRole('button', { name: 'Create from branch' }),
    ).toHaveLength(2);
  });

  it('says plainly when no cluster is configured, with the config key', async () => {
    await renderEnvironmentsTab(
      fakeEphemeralApi({
        getEphemeralEnvironments: jest.fn(async () =>
          ephemeralResponse({
            items: [],
            settings: ephemeralSettings({ enabled: false, cluster: undefined }),
          }),
        ),
      }),
      { entity: service('env-disabled-api') },
    );
    expect(
      await screen.findByText('Ephemeral environments are not enabled here'),
    ).toBeInTheDocument();
    expect(screen.getByText('delivery.ephemeral.enabled')).toBeInTheDocument();
    const create = screen.getByRole('button', { name: 'Create from branch' });
    expect(create).toBeDisabled();
    expect(await tooltipOf(create)).toBe(
      'Ephemeral environments are turned off here: no cluster is configured for them, or delivery.ephemeral.enabled is false',
    );
  });

  it('reads the environments again on a signal of the service', async () => {
    const signals = fakeSignals();
    const api = fakeEphemeralApi();
    await renderEnvironmentsTab(api, {
      entity: service('env-signal-api'),
      signalApi: signals.api,
    });
    await screen.findByRole('table', { name: 'Live environments' });
    expect(api.getEphemeralEnvironments).toHaveBeenCalledTimes(1);
    const channel = 'delivery-environments:component:default/env-signal-api';
    expect(signals.subscribers.has(channel)).toBe(true);
    act(() =>
      signals.subscribers.get(channel)!({
        entityRef: 'component:default/env-signal-api',
        type: 'ephemeral',
        id: 'ENV-1700000000000-000001',
      }),
    );
    await waitFor(() =>
      expect(api.getEphemeralEnvironments).toHaveBeenCalledTimes(2),
    );
  });

  it('shows the backend’s message with Retry when the list cannot be read', async () => {
    const getEphemeralEnvironments = jest
      .fn()
      .mockRejectedValueOnce(await responseError(503, 'uat is unreachable'))
      .mockResolvedValue(ephemeralResponse());
    await renderEnvironmentsTab(
      fakeEphemeralApi({ getEphemeralEnvironments }),
      { entity: service('env-error-api') },
    );
    expect(await screen.findByText('uat is unreachable')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(
      await screen.findByRole('table', { name: 'Live environments' }),
    ).toBeInTheDocument();
  });

  it('says what is missing on a service without the delivery annotations', async () => {
    await renderEnvironmentsTab(fakeEphemeralApi(), {
      entity: { ...entity, metadata: { name: 'bare', annotations: {} } },
    });
    expect(await screen.findByText(/Missing Annotation/)).toBeInTheDocument();
  });
});
