import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { DoraResponse } from '@internal/plugin-delivery-common';
import { DoraQuery } from '../../../api';
import { DoraOrganisationPage } from './DoraPage';
import {
  doraResponse,
  fakeDoraApi,
  renderDora,
  responseError,
} from '../__testUtils__/fixtures';

jest.setTimeout(30_000);

function groupRead(
  ref: string,
  services: number,
  teams: number,
  tweak: (d: DoraResponse) => void = () => {},
): DoraResponse {
  const dora = doraResponse({
    scope: { kind: 'group', ref, services, teams },
  });
  tweak(dora);
  return dora;
}

function orgApi() {
  return fakeDoraApi({
    getDora: jest.fn(async (query: DoraQuery) => {
      const group = 'group' in query ? query.group : '';
      switch (group) {
        case 'group:default/acme':
          return groupRead(group, 4, 2);
        case 'group:default/team-payments':
          return groupRead(group, 2, 1, d => {
            d.metrics.leadTime = {
              ...d.metrics.leadTime,
              value: 3 * 86_400_000,
              tier: 'high',
            };
          });
        default:
          throw await responseError(404, `No group ${group}`);
      }
    }),
  });
}

describe('DoraOrganisationPage', () => {
  it('shows the organisation by default, its cards and a table of its teams', async () => {
    const api = orgApi();
    await renderDora(<DoraOrganisationPage />, api);

    expect(await screen.findByTestId('dora-metrics')).toBeInTheDocument();
    expect(screen.getByLabelText('Group')).toHaveTextContent(
      'Acme (organization)',
    );
    expect(screen.getByTestId('dora-scope')).toHaveTextContent(
      '4 services, 2 teams',
    );
    expect(api.getDora).toHaveBeenCalledWith({
      group: 'group:default/acme',
      from: expect.stringMatching(/T00:00:00[+-]\d\d:\d\d$/),
      interval: 'week',
    });

    const teams = await screen.findByRole('region', { name: 'Teams of Acme' });
    await within(teams).findByText('Payments');
    const rows = within(teams).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);
    // Each team's four keys with tiers, linking to the team's page.
    expect(rows[0]).toHaveTextContent('2 services, 1 team');
    expect(
      within(rows[0]).getByTestId('leadTime-group:default/team-payments'),
    ).toHaveTextContent('3 dhigh');
    expect(
      within(rows[0]).getByRole('link', { name: 'Payments' }),
    ).toHaveAttribute('href', '/catalog/default/group/team-payments');
    // One team's failed read does not hide the others.
    expect(rows[1]).toHaveTextContent(
      'Could not read: No group group:default/team-storefront',
    );
  });

  it('switches group with the picker, keeping it in the address', async () => {
    const api = orgApi();
    await renderDora(<DoraOrganisationPage />, api);
    await screen.findByTestId('dora-metrics');
    await userEvent.click(screen.getByLabelText('Group'));
    await userEvent.click(
      await screen.findByRole('option', { name: 'Payments (team)' }),
    );
    await waitFor(() =>
      expect(api.getDora).toHaveBeenCalledWith(
        expect.objectContaining({ group: 'group:default/team-payments' }),
      ),
    );
    expect(
      await screen.findByText('Payments has no sub-teams.'),
    ).toBeInTheDocument();
  });

  it('opens the group named in the address', async () => {
    const api = orgApi();
    await renderDora(<DoraOrganisationPage />, api, {
      routeEntries: ['/dora?group=group%3Adefault%2Fteam-payments'],
    });
    await screen.findByTestId('dora-metrics');
    expect(screen.getByLabelText('Group')).toHaveTextContent('Payments (team)');
    expect(api.getDora).not.toHaveBeenCalledWith(
      expect.objectContaining({ group: 'group:default/acme' }),
    );
  });
});
