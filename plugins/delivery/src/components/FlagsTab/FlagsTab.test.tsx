import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  ENVIRONMENTS,
  entity,
  fakeFlagsApi,
  searchRanking,
  settings,
  flagsResponse,
  newCheckout,
  pendingChange,
  responseError,
  GRACE,
} from './__testUtils__/fixtures';
import {
  RenderOptions,
  renderWithApis,
} from '../DeploymentsTab/__testUtils__/fixtures';
import { DeliveryApi } from '../../api';
import { FlagsTab } from './FlagsTab';

jest.setTimeout(30_000);

// usePermission caches decisions per permission and resource in a module-wide SWR cache, so
// tests that change the user's permissions look at a service of their own.
const service = (name: string) => ({
  ...entity,
  metadata: { ...entity.metadata, name },
});

/** Renders the whole Flags tab with the fake API, the user and their permissions. */
function renderFlagsTab(api: DeliveryApi, options?: RenderOptions) {
  return renderWithApis(<FlagsTab />, api, options);
}

const row = (key: string) => screen.getByTestId(`flag-${key}`);
const state = (key: string, environment: string) =>
  screen.getByTestId(`state-${key}-${environment}`);

describe('FlagsTab', () => {
  it('shows each flag in each environment, in pipeline order, with its state', async () => {
    const api = fakeFlagsApi();
    await renderFlagsTab(api);
    const table = await screen.findByRole('table', { name: 'Feature flags' });
    const headers = within(table)
      .getAllByRole('columnheader')
      .map(h => h.textContent);
    expect(headers).toEqual([
      'Flag',
      'uat',
      'canary',
      'productionneeds approval to turn on',
      'Actions',
    ]);
    expect(within(table).getAllByRole('row')).toHaveLength(3);
    expect(state('new-checkout', 'uat')).toHaveTextContent('on');
    expect(state('new-checkout', 'canary')).toHaveTextContent('10 %');
    expect(state('new-checkout', 'production')).toHaveTextContent('off');
    expect(state('search-ranking', 'uat')).toHaveTextContent('targeting');
    expect(
      within(row('new-checkout')).getByText('The one-page checkout'),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('checkbox', { name: 'Toggle new-checkout in uat' }),
    ).toBeChecked();
    expect(
      screen.getByRole('checkbox', {
        name: 'Toggle new-checkout in production',
      }),
    ).not.toBeChecked();
    expect(api.getFlags).toHaveBeenCalledWith(
      { kind: 'Component', namespace: 'default', name: 'payments-api' },
      { archived: false },
    );
  });

  it('toggles a flag through the backend and says when the change waits for approval', async () => {
    const change = pendingChange({
      action: 'toggle',
      summary: 'on for everyone',
    });
    const api = fakeFlagsApi({
      changeFlag: jest.fn(async () => ({
        result: { flag: newCheckout(), pending: change },
        pending: true,
      })),
    });
    await renderFlagsTab(api, { entity: service('flags-toggle-api') });
    await userEvent.click(
      await screen.findByRole('checkbox', {
        name: 'Toggle new-checkout in production',
      }),
    );
    expect(api.changeFlag).toHaveBeenCalledWith(
      { kind: 'Component', namespace: 'default', name: 'flags-toggle-api' },
      'new-checkout',
      'production',
      { action: 'toggle', enabled: true },
    );
    expect(
      await screen.findByText(
        'Waiting for approval: new-checkout in production',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        /^on for everyone applies once someone else approves it/,
      ),
    ).toBeInTheDocument();
    // the flags are read again after the change
    await waitFor(() => expect(api.getFlags).toHaveBeenCalledTimes(2));
  });

  it('turns a flag off at once and shows what it serves now', async () => {
    const off = newCheckout();
    off.environments[0] = { ...off.environments[0], on: false };
    const api = fakeFlagsApi({
      changeFlag: jest.fn(async () => ({
        result: { flag: off },
        pending: false,
      })),
    });
    await renderFlagsTab(api, { entity: service('flags-off-api') });
    await userEvent.click(
      await screen.findByRole('checkbox', {
        name: 'Toggle new-checkout in uat',
      }),
    );
    expect(api.changeFlag).toHaveBeenCalledWith(
      expect.anything(),
      'new-checkout',
      'uat',
      { action: 'toggle', enabled: false },
    );
    expect(
      await screen.findByText('new-checkout in uat: off'),
    ).toBeInTheDocument();
  });

  it('rolls out to a step of the slider', async () => {
    const api = fakeFlagsApi();
    await renderFlagsTab(api, { entity: service('flags-rollout-api') });
    await userEvent.click(
      await screen.findByRole('button', {
        name: 'Rollout of new-checkout in canary',
      }),
    );
    const steps = await screen.findByRole('group', { name: 'Rollout steps' });
    await userEvent.click(within(steps).getByRole('button', { name: '50 %' }));
    expect(screen.getByLabelText('Percent')).toHaveValue(50);
    await userEvent.click(
      screen.getByRole('button', { name: 'Roll out to 50 %' }),
    );
    expect(api.changeFlag).toHaveBeenCalledWith(
      expect.anything(),
      'new-checkout',
      'canary',
      { action: 'rollout', percent: 50 },
    );
  });

  it('takes any whole percentage and refuses others, saying why', async () => {
    const api = fakeFlagsApi();
    await renderFlagsTab(api, { entity: service('flags-percent-api') });
    await userEvent.click(
      await screen.findByRole('button', {
        name: 'Rollout of new-checkout in production',
      }),
    );
    const percent = await screen.findByLabelText('Percent');
    await userEvent.clear(percent);
    await userEvent.type(percent, '150');
    expect(
      screen.getByText('A rollout is a whole percentage from 0 to 100.'),
    ).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Roll out' })).toBeDisabled();
    await userEvent.clear(percent);
    await userEvent.type(percent, '25');
    expect(
      screen.getByText(/In production a change that turns anything on waits/),
    ).toBeInTheDocument();
    await userEvent.click(
      screen.getByRole('button', { name: 'Roll out to 25 %' }),
    );
    expect(api.changeFlag).toHaveBeenCalledWith(
      expect.anything(),
      'new-checkout',
      'production',
      { action: 'rollout', percent: 25 },
    );
  });

  it('shows the backend message when a change is refused', async () => {
    const api = fakeFlagsApi({
      changeFlag: jest.fn(async () => {
        throw await responseError(
          409,
          'new-checkout has a change waiting for approval in production',
        );
      }),
    });
    await renderFlagsTab(api, { entity: service('flags-refused-api') });
    await userEvent.click(
      await screen.findByRole('checkbox', {
        name: 'Toggle new-checkout in production',
      }),
    );
    expect(
      await screen.findByText(
        'new-checkout has a change waiting for approval in production',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText('new-checkout in production did not change'),
    ).toBeInTheDocument();
  });

  it('disables every control without permission and says why', async () => {
    await renderFlagsTab(fakeFlagsApi(), {
      entity: service('flags-readonly-api'),
      allow: [],
    });
    const toggle = await screen.findByRole('checkbox', {
      name: 'Toggle new-checkout in uat',
    });
    await waitFor(() => expect(toggle).toBeDisabled());
    expect(
      screen.getByRole('button', { name: 'Rollout of new-checkout in uat' }),
    ).toBeDisabled();
    expect(
      screen.getByRole('button', { name: 'Kill new-checkout' }),
    ).toBeDisabled();
    expect(screen.getByRole('button', { name: 'New flag' })).toBeDisabled();
    expect(
      screen.getByText(/^Read-only: you do not have permission/),
    ).toBeInTheDocument();

    // The tooltip hangs on a wrapper: a disabled switch receives no pointer events.
    const wrapper = toggle.closest('.MuiSwitch-root')!.parentElement!;
    await userEvent.hover(wrapper);
    expect(await screen.findByRole('tooltip')).toHaveTextContent(
      "You do not have permission to change this service's flags (its owners do).",
    );
    await userEvent.unhover(wrapper);

    await userEvent.hover(
      screen.getByRole('button', { name: 'Kill new-checkout' }).parentElement!,
    );
    await waitFor(() =>
      expect(
        screen.getByText(
          'Only the service’s owners and the on-call group may use the kill switch.',
        ),
      ).toBeInTheDocument(),
    );
  });

  it('says why a flag that is on cannot be archived', async () => {
    await renderFlagsTab(fakeFlagsApi(), {
      entity: service('flags-archive-api'),
    });
    await userEvent.click(
      await screen.findByRole('button', {
        name: 'More actions for new-checkout',
      }),
    );
    const item = await screen.findByRole('menuitem', { name: /Archive/ });
    expect(item).toHaveAttribute('aria-disabled', 'true');
    expect(item).toHaveTextContent(
      'On in uat, canary: turn it off everywhere first',
    );
  });

  it('archives a flag that is off everywhere, with a reason', async () => {
    const offEverywhere = searchRanking({
      environments: ENVIRONMENTS.map(e =>
        settings(e, { defaultVariant: 'classic' }),
      ),
    });
    const api = fakeFlagsApi({
      getFlags: jest.fn(async () =>
        flagsResponse({ flags: [newCheckout(), offEverywhere] }),
      ),
    });
    await renderFlagsTab(api, { entity: service('flags-archive-off-api') });
    await userEvent.click(
      await screen.findByRole('button', {
        name: 'More actions for search-ranking',
      }),
    );
    await userEvent.click(
      await screen.findByRole('menuitem', { name: 'Archive…' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Archive search-ranking',
    });
    const archive = within(dialog).getByRole('button', { name: 'Archive' });
    expect(archive).toBeDisabled();
    await userEvent.type(
      within(dialog).getByRole('textbox', { name: /Reason/ }),
      'Learned ranking for everyone since PAY-150',
    );
    await userEvent.click(archive);
    expect(api.archiveFlag).toHaveBeenCalledWith(
      {
        kind: 'Component',
        namespace: 'default',
        name: 'flags-archive-off-api',
      },
      'search-ranking',
      'Learned ranking for everyone since PAY-150',
    );
    expect(
      await screen.findByText('Archived search-ranking'),
    ).toBeInTheDocument();
  });

  it('tells a developer how to create and read the first flag', async () => {
    const api = fakeFlagsApi({
      getFlags: jest.fn(async () => flagsResponse({ flags: [] })),
    });
    await renderFlagsTab(api, { entity: service('flags-empty-api') });
    expect(await screen.findByText('No feature flags yet')).toBeInTheDocument();
    expect(screen.getByText('uat/flags-empty-api')).toBeInTheDocument();
    expect(
      screen.getByText(/@openfeature\/flagd-provider/, { exact: false }),
    ).toBeInTheDocument();
    expect(screen.getAllByRole('button', { name: 'New flag' })).toHaveLength(2);
  });

  it('lists changes waiting for approval above the flags', async () => {
    const api = fakeFlagsApi({
      getFlags: jest.fn(async () =>
        flagsResponse({ pending: [pendingChange()] }),
      ),
    });
    await renderFlagsTab(api, { entity: service('flags-pending-api') });
    const approvals = await screen.findByRole('table', {
      name: 'Pending approvals',
    });
    expect(
      within(approvals).getByText('on for 10 % of users'),
    ).toBeInTheDocument();
    expect(
      within(row('new-checkout')).getByLabelText(
        'Pending approval: on for 10 % of users',
      ),
    ).toBeInTheDocument();
  });

  it('says what is missing on a service without the delivery annotations', async () => {
    await renderFlagsTab(fakeFlagsApi(), {
      entity: {
        ...entity,
        metadata: { name: 'bare', annotations: {} },
      },
      user: GRACE,
    });
    expect(await screen.findByText(/Missing Annotation/)).toBeInTheDocument();
    expect(
      screen.queryByRole('table', { name: 'Feature flags' }),
    ).not.toBeInTheDocument();
  });
});
