import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { HistoryCard } from './HistoryCard';
import {
  GRACE,
  deployment,
  deploymentsResponse,
  fakeApi,
  renderInDeliveryContext,
  sha,
  stage,
} from '../__testUtils__/fixtures';

jest.setTimeout(30_000);

const history = [
  deployment({
    token: 'DEP-3-0',
    commitSha: sha('f'),
    requestedBy: GRACE,
    status: 'rolled_back',
    reason: 'canary.verify: p95 latency 3.1 s above 2 s',
    startedAt: '2024-01-01T10:00:00Z',
    finishedAt: '2024-01-01T10:04:05Z',
    stages: [stage(0, 'validate', 'succeeded')],
  }),
  deployment({
    token: 'DEP-2-0',
    commitSha: sha('e'),
    status: 'succeeded',
    startedAt: '2024-01-01T09:00:00Z',
    finishedAt: '2024-01-01T10:03:00Z',
  }),
  deployment({ token: 'DEP-1-0', status: 'expired', reason: 'Not started' }),
];

describe('HistoryCard', () => {
  it('lists finished deployments in the given order with status, reason and duration', async () => {
    await renderInDeliveryContext(<HistoryCard />, fakeApi(), {
      deployments: deploymentsResponse({ history }),
    });
    const tokens = screen
      .getAllByRole('button', { name: /^Show DEP-/ })
      .map(b => b.textContent);
    expect(tokens).toEqual(['DEP-3-0', 'DEP-2-0', 'DEP-1-0']);
    const rolledBack = screen.getByText('DEP-3-0').closest('tr')!;
    expect(within(rolledBack).getByText('fffffff')).toBeInTheDocument();
    expect(within(rolledBack).getByText('grace')).toBeInTheDocument();
    expect(within(rolledBack).getByText('rolled back')).toBeInTheDocument();
    expect(
      within(rolledBack).getByText(
        'canary.verify: p95 latency 3.1 s above 2 s',
      ),
    ).toBeInTheDocument();
    expect(within(rolledBack).getByText('4m 05s')).toBeInTheDocument();
    const succeeded = screen.getByText('DEP-2-0').closest('tr')!;
    expect(within(succeeded).getByText('succeeded')).toBeInTheDocument();
    expect(within(succeeded).getByText('1h 03m')).toBeInTheDocument();
  });

  it('opens the stepper of a deployment clicked in the history', async () => {
    const api = fakeApi({
      getDeployment: jest.fn(async () => history[0]),
    });
    await renderInDeliveryContext(<HistoryCard />, api, {
      deployments: deploymentsResponse({ history }),
    });
    await userEvent.click(screen.getByRole('button', { name: 'Show DEP-3-0' }));
    const details = await screen.findByRole('region', {
      name: 'Deployment DEP-3-0',
    });
    expect(api.getDeployment).toHaveBeenCalledWith('DEP-3-0');
    expect(within(details).getByText('Validate')).toBeInTheDocument();
    expect(within(details).getByRole('alert')).toHaveTextContent(
      'p95 latency 3.1 s above 2 s',
    );
    await userEvent.click(
      within(details).getByRole('button', { name: 'Close deployment' }),
    );
    await waitFor(() =>
      expect(
        screen.queryByRole('region', { name: 'Deployment DEP-3-0' }),
      ).not.toBeInTheDocument(),
    );
  });

  it('says so when nothing has finished yet', async () => {
    await renderInDeliveryContext(<HistoryCard />, fakeApi(), {
      deployments: deploymentsResponse({ history: [] }),
    });
    expect(
      screen.getByText('No finished deployments yet.'),
    ).toBeInTheDocument();
  });
});
