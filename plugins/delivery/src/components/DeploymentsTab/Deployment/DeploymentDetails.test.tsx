import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Deployment } from '@internal/plugin-delivery-common';
import { DeliveryPermissions } from '../../../hooks/useDeliveryPermissions';
import { DeploymentDetails } from './DeploymentDetails';
import {
  ADA,
  GRACE,
  deployment,
  fakeApi,
  permissions,
  renderInDeliveryContext,
  stage,
} from '../__testUtils__/fixtures';

jest.setTimeout(30_000);

const at = (minute: number) =>
  new Date(Date.UTC(2024, 0, 1, 10, minute)).toISOString();

const rolledBack = deployment({
  token: 'DEP-9-0',
  status: 'rolled_back',
  reason: 'canary.verify: error rate 4.2% above 1%',
  startedAt: at(0),
  finishedAt: at(12),
  stages: [
    stage(0, 'validate', 'succeeded', { actor: 'delivery' }),
    stage(1, 'uat.backup', 'succeeded'),
    stage(2, 'uat.deploy', 'succeeded', {
      startedAt: at(1),
      finishedAt: at(2),
      actor: 'delivery',
      logs: [
        {
          at: at(1),
          level: 'info',
          message: 'Set image acme/payments-api:ddddddd',
        },
        { at: at(2), level: 'info', message: 'Deployment updated' },
      ],
    }),
    stage(3, 'uat.rollout', 'succeeded'),
    stage(4, 'uat.verify', 'succeeded'),
    stage(5, 'canary.backup', 'succeeded'),
    stage(6, 'canary.deploy', 'succeeded'),
    stage(7, 'canary.verify', 'failed', {
      logs: [{ at: at(9), level: 'error', message: 'error rate 4.2% > 1%' }],
    }),
    stage(8, 'production.approval', 'skipped'),
    stage(9, 'canary.rollback', 'succeeded'),
  ],
});

const waitingForApproval = deployment({
  token: 'DEP-7-0',
  status: 'running',
  requestedBy: ADA,
  stages: [
    stage(0, 'validate', 'succeeded'),
    stage(1, 'production.approval', 'waiting'),
    stage(2, 'production.deploy', 'pending'),
  ],
});

async function renderDetails(
  d: Deployment,
  {
    user = ADA,
    granted = permissions(),
  }: { user?: string; granted?: DeliveryPermissions } = {},
) {
  const api = fakeApi({ getDeployment: jest.fn(async () => d) });
  const { refresh } = await renderInDeliveryContext(
    <DeploymentDetails token={d.token} />,
    api,
    { user, granted },
  );
  await screen.findByRole('region', { name: `Deployment ${d.token}` });
  return { api, refresh };
}

describe('DeploymentDetails', () => {
  it('shows the stages grouped by environment with their status', async () => {
    await renderDetails(rolledBack);
    const uat = screen.getByRole('group', { name: 'uat stages' });
    expect(within(uat).getByText('Deploy')).toBeInTheDocument();
    expect(within(uat).getByText('Wait for rollout')).toBeInTheDocument();
    expect(within(uat).getAllByRole('img', { name: 'succeeded' })).toHaveLength(
      4,
    );
    const canaryGroups = screen.getAllByRole('group', {
      name: 'canary stages',
    });
    expect(
      within(canaryGroups[0]).getByRole('img', { name: 'failed' }),
    ).toBeInTheDocument();
    // the rollback comes after the failure, in its own canary group
    expect(within(canaryGroups[1]).getByText('Roll back')).toBeInTheDocument();
    expect(
      within(
        screen.getByRole('group', { name: 'production stages' }),
      ).getByRole('img', { name: 'skipped' }),
    ).toBeInTheDocument();
  });

  it('shows times and actor of a stage and expands its logs', async () => {
    await renderDetails(rolledBack);
    const uat = screen.getByRole('group', { name: 'uat stages' });
    expect(
      within(uat).getByText(/succeeded · started .* · by delivery/),
    ).toBeInTheDocument();
    expect(screen.queryByText(/Set image/)).not.toBeInTheDocument();
    await userEvent.click(
      screen.getByRole('button', { name: 'Show logs of uat.deploy' }),
    );
    const logs = screen.getByRole('list', { name: 'Logs of uat.deploy' });
    expect(logs).toHaveTextContent('Set image acme/payments-api:ddddddd');
    expect(logs).toHaveTextContent('Deployment updated');
  });

  it('shows why a deployment was rolled back', async () => {
    await renderDetails(rolledBack);
    const outcome = screen.getByRole('alert');
    expect(outcome).toHaveTextContent('Rolled back');
    expect(outcome).toHaveTextContent(
      'canary.verify: error rate 4.2% above 1%',
    );
  });

  it('lets someone other than the requester, with permission, approve', async () => {
    const { api, refresh } = await renderDetails(waitingForApproval, {
      user: GRACE,
    });
    const approve = screen.getByRole('button', { name: 'Approve' });
    expect(approve).toBeEnabled();
    await userEvent.click(approve);
    expect(api.approveDeployment).toHaveBeenCalledWith('DEP-7-0');
    await waitFor(() => expect(refresh).toHaveBeenCalled());
  });

  it('does not let the requester approve their own deployment', async () => {
    const { api } = await renderDetails(waitingForApproval, { user: ADA });
    const approve = screen.getByRole('button', { name: 'Approve' });
    expect(approve).toBeDisabled();
    await userEvent.hover(approve.parentElement!);
    expect(await screen.findByRole('tooltip')).toHaveTextContent(
      'someone else must approve it',
    );
    expect(api.approveDeployment).not.toHaveBeenCalled();
  });

  it('does not let someone without the approve permission approve', async () => {
    await renderDetails(waitingForApproval, {
      user: GRACE,
      granted: permissions({ approve: false }),
    });
    const approve = screen.getByRole('button', { name: 'Approve' });
    expect(approve).toBeDisabled();
    await userEvent.hover(approve.parentElement!);
    expect(await screen.findByRole('tooltip')).toHaveTextContent(
      'You do not have permission to approve',
    );
  });

  it('offers no Approve when no stage waits for approval', async () => {
    await renderDetails(rolledBack, { user: GRACE });
    expect(
      screen.queryByRole('button', { name: 'Approve' }),
    ).not.toBeInTheDocument();
  });
});
