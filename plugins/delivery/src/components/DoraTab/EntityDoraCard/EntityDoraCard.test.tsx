import { screen, within } from '@testing-library/react';
import { EntityDoraCard } from './EntityDoraCard';
import {
  emptyDoraResponse,
  fakeDoraApi,
  renderDora,
} from '../__testUtils__/fixtures';

describe('EntityDoraCard', () => {
  it('sums up the four keys with their tiers and links to the DORA tab', async () => {
    const api = fakeDoraApi();
    await renderDora(<EntityDoraCard />, api);
    const keys = await screen.findAllByTestId('key-metric');
    expect(keys.map(k => k.getAttribute('aria-label'))).toEqual([
      'Deployment frequency',
      'Lead time for changes',
      'Change failure rate',
      'Failed-deployment recovery time',
    ]);
    const lead = screen.getByRole('group', { name: 'Lead time for changes' });
    expect(within(lead).getByTestId('value')).toHaveTextContent('1 h 35 min');
    expect(within(lead).getByTestId('tier')).toHaveTextContent('elite');
    expect(within(lead).getByTestId('target')).toHaveTextContent(
      '✓ Target < 2 h',
    );
    const recovery = screen.getByRole('group', {
      name: 'Failed-deployment recovery time',
    });
    expect(within(recovery).getByTestId('target')).toHaveTextContent(
      '✗ Target < 5 min',
    );
    expect(
      screen.getByText('Delivery performance, last 12 weeks'),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('link', { name: /Open the DORA tab/ }),
    ).toHaveAttribute('href', '/catalog/default/component/payments-api/dora');
    expect(api.getDora).toHaveBeenCalledWith({
      entity: 'component:default/payments-api',
      from: expect.stringMatching(/T00:00:00[+-]\d\d:\d\d$/),
      interval: 'week',
    });
  });

  it('says so when nothing happened in the period', async () => {
    await renderDora(
      <EntityDoraCard />,
      fakeDoraApi({ getDora: jest.fn(async () => emptyDoraResponse()) }),
    );
    expect(await screen.findByTestId('empty')).toHaveTextContent(
      'No deployments, commits or incidents in the last 12 weeks.',
    );
    expect(screen.queryByTestId('key-metric')).not.toBeInTheDocument();
  });
});
