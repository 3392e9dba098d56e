import { screen, within } from '@testing-library/react';
import { GroupDoraCard } from './GroupDoraCard';
import {
  doraResponse,
  fakeDoraApi,
  renderDora,
  teamPayments,
} from '../__testUtils__/fixtures';

describe('GroupDoraCard', () => {
  it('rolls the team’s services up, judges frequency per team, and links to the DORA page', async () => {
    const dora = doraResponse({
      scope: {
        kind: 'group',
        ref: 'group:default/team-payments',
        title: 'Payments',
        services: 3,
        teams: 2,
      },
    });
    dora.metrics.deploymentFrequency = {
      ...dora.metrics.deploymentFrequency,
      value: 12.6,
      tier: 'elite',
      target: {
        value: 5,
        comparison: 'atLeast',
        met: true,
        note: 'Per team: 2 teams, 6.3 a day each on average.',
      },
    };
    const api = fakeDoraApi({ getDora: jest.fn(async () => dora) });
    await renderDora(<GroupDoraCard />, api, { pageEntity: teamPayments });

    expect(await screen.findByTestId('dora-scope')).toHaveTextContent(
      'Rolled up over 3 services, 2 teams',
    );
    const frequency = screen.getByRole('group', {
      name: 'Deployment frequency',
    });
    expect(within(frequency).getByTestId('value')).toHaveTextContent(
      '12.6 / day',
    );
    expect(within(frequency).getByTestId('tier')).toHaveTextContent('elite');
    expect(within(frequency).getByTestId('target')).toHaveTextContent(
      '✓ Target ≥ 5 / day per team',
    );
    expect(api.getDora).toHaveBeenCalledWith({
      group: 'group:default/team-payments',
      from: expect.stringMatching(/T00:00:00[+-]\d\d:\d\d$/),
      interval: 'week',
    });
    expect(
      screen.getByRole('link', { name: /Compare teams on the DORA page/ }),
    ).toHaveAttribute('href', '/dora?group=group%3Adefault%2Fteam-payments');
  });

  it('says when the group owns no services', async () => {
    const api = fakeDoraApi({
      getDora: jest.fn(async () =>
        doraResponse({
          scope: {
            kind: 'group',
            ref: 'group:default/team-payments',
            title: 'Payments',
            services: 0,
            teams: 0,
          },
        }),
      ),
    });
    await renderDora(<GroupDoraCard />, api, { pageEntity: teamPayments });
    expect(await screen.findByTestId('empty')).toHaveTextContent(
      'Payments and its sub-teams own no services.',
    );
  });
});
