import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { DeliveryApi } from '../../../api';
import { CommitsCard } from './CommitsCard';
import {
  deployment,
  fakeApi,
  permissions,
  renderInDeliveryContext,
  responseError,
  sha,
} from '../__testUtils__/fixtures';

jest.setTimeout(30_000);

const ineligible = {
  commitSha: sha('c'),
  eligible: false,
  reasons: [
    {
      code: 'ci-not-green' as const,
      message: 'Required check unit-tests is failure',
    },
    {
      code: 'blocking-issue' as const,
      message: 'Open issue #12 carries the deploy-blocker label',
    },
  ],
};

function apiWithEligibility(overrides: Partial<DeliveryApi> = {}) {
  return fakeApi({
    getEligibility: jest.fn(async () => [
      ineligible,
      { commitSha: sha('d'), eligible: true, reasons: [] },
      { commitSha: sha('b'), eligible: true, reasons: [] },
    ]),
    ...overrides,
  });
}

/** Renders the card in the tab's context; returns the context's refresh. */
async function renderCard(api: DeliveryApi, granted = permissions()) {
  const { refresh } = await renderInDeliveryContext(<CommitsCard />, api, {
    granted,
  });
  return refresh;
}

const deployButton = (shortSha: string) =>
  screen.getByRole('button', { name: `Deploy ${shortSha}` });

async function tooltipOf(button: HTMLElement) {
  await userEvent.hover(button.parentElement!);
  return screen.findByRole('tooltip');
}

describe('CommitsCard', () => {
  it('asks for the eligibility of every listed commit in one call', async () => {
    const api = apiWithEligibility();
    await renderCard(api);
    await waitFor(() => expect(deployButton('ddddddd')).toBeEnabled());
    expect(api.getEligibility).toHaveBeenCalledTimes(1);
    expect(api.getEligibility).toHaveBeenCalledWith(
      { kind: 'Component', namespace: 'default', name: 'payments-api' },
      [sha('c'), sha('d'), sha('b')],
    );
  });

  it('disables Deploy for an ineligible commit and lists every reason', async () => {
    await renderCard(apiWithEligibility());
    await waitFor(() => expect(deployButton('ddddddd')).toBeEnabled());
    expect(deployButton('ccccccc')).toBeDisabled();
    const tooltip = await tooltipOf(deployButton('ccccccc'));
    expect(tooltip).toHaveTextContent('Required check unit-tests is failure');
    expect(tooltip).toHaveTextContent(
      'Open issue #12 carries the deploy-blocker label',
    );
  });

  it('shows which environments run each commit', async () => {
    await renderCard(apiWithEligibility());
    const prodCommit = (
      await screen.findByRole('link', { name: /^bbbbbbb/ })
    ).closest('tr')!;
    expect(within(prodCommit).getByText('production')).toBeInTheDocument();
    expect(within(prodCommit).queryByText('uat')).not.toBeInTheDocument();
    const other = screen.getByRole('link', { name: /^ddddddd/ }).closest('tr')!;
    expect(within(other).queryByText('production')).not.toBeInTheDocument();
  });

  it('requests a deployment and shows its token and queue position', async () => {
    const requestDeployment = jest.fn(async () => ({
      deployment: deployment({
        token: 'DEP-1700000000000-3',
        commitSha: sha('d'),
      }),
      queuePosition: 2,
    }));
    const refresh = await renderCard(apiWithEligibility({ requestDeployment }));
    await waitFor(() => expect(deployButton('ddddddd')).toBeEnabled());
    await userEvent.click(deployButton('ddddddd'));

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('DEP-1700000000000-3');
    expect(alert).toHaveTextContent('position 2 in the queue');
    expect(requestDeployment).toHaveBeenCalledWith(
      { kind: 'Component', namespace: 'default', name: 'payments-api' },
      sha('d'),
    );
    expect(refresh).toHaveBeenCalled();
  });

  it('shows the reasons of a 422 refusal', async () => {
    const error = await responseError(
      422,
      'Commit ddddddd is not eligible:\n- Required check build is pending\n- Open issue #12 carries the deploy-blocker label',
    );
    const refresh = await renderCard(
      apiWithEligibility({
        requestDeployment: jest.fn(() => Promise.reject(error)),
      }),
    );
    await waitFor(() => expect(deployButton('ddddddd')).toBeEnabled());
    await userEvent.click(deployButton('ddddddd'));

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('ddddddd cannot be deployed');
    expect(alert).toHaveTextContent('Required check build is pending');
    expect(alert).toHaveTextContent(
      'Open issue #12 carries the deploy-blocker label',
    );
    expect(refresh).not.toHaveBeenCalled();
  });

  it('disables Deploy, saying why, without the deploy permission', async () => {
    const api = apiWithEligibility();
    await renderCard(api, permissions({ deploy: false }));
    await screen.findByRole('link', { name: /^ddddddd/ });
    expect(deployButton('ddddddd')).toBeDisabled();
    const tooltip = await tooltipOf(deployButton('ddddddd'));
    expect(tooltip).toHaveTextContent(
      'You do not have permission to deploy this service',
    );
    expect(api.requestDeployment).not.toHaveBeenCalled();
  });
});
