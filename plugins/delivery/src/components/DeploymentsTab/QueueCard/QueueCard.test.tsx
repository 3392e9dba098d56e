import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { DeploymentsResponse } from '@internal/plugin-delivery-common';
import { DeliveryApi } from '../../../api';
import { DeliveryPermissions } from '../../../hooks/useDeliveryPermissions';
import { QueueCard } from './QueueCard';
import {
  ADA,
  GRACE,
  deployment,
  deploymentsResponse,
  fakeApi,
  minutesFromNow,
  permissions,
  renderInDeliveryContext,
  sha,
  stage,
} from '../__testUtils__/fixtures';

jest.setTimeout(30_000);

const called = deployment({
  token: 'DEP-1-0',
  status: 'called',
  requestedBy: ADA,
  queuePosition: 1,
  calledAt: new Date().toISOString(),
  callExpiresAt: minutesFromNow(10),
});
const queued = deployment({
  token: 'DEP-2-0',
  commitSha: sha('e'),
  status: 'queued',
  requestedBy: GRACE,
  queuePosition: 2,
});

async function renderQueue(
  value: DeploymentsResponse,
  {
    api = fakeApi(),
    user = ADA,
    granted = permissions(),
    location,
  }: {
    api?: DeliveryApi;
    user?: string;
    granted?: DeliveryPermissions;
    location?: string;
  } = {},
) {
  const { refresh } = await renderInDeliveryContext(<QueueCard />, api, {
    user,
    granted,
    deployments: value,
    location,
  });
  return refresh;
}

const row = (token: string) => screen.getByText(token).closest('tr')!;

describe('QueueCard', () => {
  it('lists the queue with token, commit, requester, status and position', async () => {
    await renderQueue(deploymentsResponse({ queue: [called, queued] }));
    const table = screen.getByRole('table', { name: 'Deployment queue' });
    const rows = within(table).getAllByRole('row');
    expect(rows).toHaveLength(3);
    expect(rows[1]).toHaveTextContent('DEP-1-0');
    expect(rows[2]).toHaveTextContent('DEP-2-0');
    expect(within(row('DEP-2-0')).getByText('eeeeeee')).toBeInTheDocument();
    expect(within(row('DEP-2-0')).getByText('grace')).toBeInTheDocument();
    expect(within(row('DEP-2-0')).getByText('queued')).toBeInTheDocument();
    expect(within(row('DEP-2-0')).getByText('2')).toBeInTheDocument();
  });

  it('shows Start only to the requester of a called token', async () => {
    const api = fakeApi();
    const refresh = await renderQueue(
      deploymentsResponse({
        queue: [called, { ...queued, requestedBy: ADA }],
      }),
      { api },
    );
    expect(
      screen.queryByRole('button', { name: 'Start DEP-2-0' }),
    ).not.toBeInTheDocument();
    await userEvent.click(
      screen.getByRole('button', { name: 'Start DEP-1-0' }),
    );
    expect(api.startDeployment).toHaveBeenCalledWith('DEP-1-0');
    await waitFor(() => expect(refresh).toHaveBeenCalled());
  });

  it('shows no Start to anyone else, even an owner', async () => {
    await renderQueue(deploymentsResponse({ queue: [called, queued] }), {
      user: GRACE,
    });
    expect(screen.getByText('DEP-1-0')).toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: /^Start/ }),
    ).not.toBeInTheDocument();
  });

  it('counts down to the expiry of the call', async () => {
    await renderQueue(deploymentsResponse({ queue: [called] }));
    expect(screen.getByRole('timer')).toHaveTextContent(
      /^call expires in (9:5\d|10:00)$/,
    );
  });

  it('says when a call has expired', async () => {
    await renderQueue(
      deploymentsResponse({
        queue: [{ ...called, callExpiresAt: minutesFromNow(-1) }],
      }),
    );
    expect(screen.getByRole('timer')).toHaveTextContent('call expired');
  });

  it('lets a requester without the cancel permission cancel only their own tokens', async () => {
    const api = fakeApi();
    const refresh = await renderQueue(
      deploymentsResponse({ queue: [called, queued] }),
      { api, granted: permissions({ cancel: false }) },
    );
    expect(
      screen.queryByRole('button', { name: 'Cancel DEP-2-0' }),
    ).not.toBeInTheDocument();
    await userEvent.click(
      screen.getByRole('button', { name: 'Cancel DEP-1-0' }),
    );
    expect(api.cancelDeployment).toHaveBeenCalledWith('DEP-1-0', undefined);
    await waitFor(() => expect(refresh).toHaveBeenCalled());
  });

  it("lets owners and on-call abort someone else's token only with a reason", async () => {
    const api = fakeApi();
    const refresh = await renderQueue(
      deploymentsResponse({ queue: [called, queued] }),
      { api, user: 'user:default/owner' },
    );
    expect(
      screen.queryByRole('button', { name: 'Cancel DEP-2-0' }),
    ).not.toBeInTheDocument();
    await userEvent.click(
      screen.getByRole('button', { name: 'Abort DEP-2-0' }),
    );
    const dialog = await screen.findByRole('dialog', { name: 'Abort DEP-2-0' });
    const abort = within(dialog).getByRole('button', { name: 'Abort' });
    expect(abort).toBeDisabled();
    await userEvent.type(
      within(dialog).getByRole('textbox', { name: /Reason/ }),
      'Freeze for the sale',
    );
    await userEvent.click(abort);
    expect(api.cancelDeployment).toHaveBeenCalledWith(
      'DEP-2-0',
      'Freeze for the sale',
    );
    await waitFor(() => expect(refresh).toHaveBeenCalled());
  });

  it("shows no Abort on others' tokens to someone neither owner nor on-call", async () => {
    await renderQueue(deploymentsResponse({ queue: [called, queued] }), {
      user: 'user:default/owner',
      granted: permissions({ cancel: false, abort: false }),
    });
    expect(
      screen.queryByRole('button', { name: 'Abort DEP-2-0' }),
    ).not.toBeInTheDocument();
  });

  it('shows the backend message when an action fails', async () => {
    const api = fakeApi({
      startDeployment: jest.fn(async () => {
        throw new Error('The call of DEP-1-0 expired');
      }),
    });
    await renderQueue(deploymentsResponse({ queue: [called] }), { api });
    await userEvent.click(
      screen.getByRole('button', { name: 'Start DEP-1-0' }),
    );
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'The call of DEP-1-0 expired',
    );
  });

  it('locks the queue only with a reason', async () => {
    const api = fakeApi();
    const refresh = await renderQueue(deploymentsResponse(), { api });
    await userEvent.click(screen.getByRole('button', { name: 'Lock queue' }));
    const dialog = await screen.findByRole('dialog', {
      name: 'Lock the deployment queue',
    });
    const lock = within(dialog).getByRole('button', { name: 'Lock' });
    expect(lock).toBeDisabled();
    const reason = within(dialog).getByRole('textbox', { name: /Reason/ });
    await userEvent.type(reason, '   ');
    expect(lock).toBeDisabled();
    await userEvent.type(reason, 'Incident INC-42 ');
    expect(lock).toBeEnabled();
    await userEvent.click(lock);
    expect(api.lockQueue).toHaveBeenCalledWith(
      { kind: 'Component', namespace: 'default', name: 'payments-api' },
      'Incident INC-42',
    );
    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );
    expect(refresh).toHaveBeenCalled();
  });

  it('shows who locked the queue and why, and unlocks it', async () => {
    const api = fakeApi();
    const refresh = await renderQueue(
      deploymentsResponse({
        lock: {
          lockedBy: GRACE,
          reason: 'Payment provider maintenance',
          lockedAt: new Date().toISOString(),
        },
      }),
      { api },
    );
    const banner = screen.getByRole('alert', { name: 'Queue locked' });
    expect(banner).toHaveTextContent('Queue locked by grace');
    expect(banner).toHaveTextContent('Payment provider maintenance');
    expect(
      screen.queryByRole('button', { name: 'Lock queue' }),
    ).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Unlock' }));
    expect(api.unlockQueue).toHaveBeenCalledWith({
      kind: 'Component',
      namespace: 'default',
      name: 'payments-api',
    });
    await waitFor(() => expect(refresh).toHaveBeenCalled());
  });

  it('disables Lock and Unlock without the lock permission', async () => {
    await renderQueue(deploymentsResponse(), {
      granted: permissions({ lock: false }),
    });
    const lock = screen.getByRole('button', { name: 'Lock queue' });
    expect(lock).toBeDisabled();
    await userEvent.hover(lock.parentElement!);
    expect(await screen.findByRole('tooltip')).toHaveTextContent(
      'You do not have permission to lock or unlock this queue',
    );
  });

  it('shows the stepper of the running deployment', async () => {
    const running = deployment({
      token: 'DEP-0-0',
      status: 'running',
      stages: [
        stage(0, 'validate', 'succeeded'),
        stage(1, 'uat.backup', 'running'),
      ],
    });
    const api = fakeApi({ getDeployment: jest.fn(async () => running) });
    await renderQueue(deploymentsResponse({ queue: [running, called] }), {
      api,
    });
    const details = await screen.findByRole('region', {
      name: 'Deployment DEP-0-0',
    });
    expect(
      within(details).getByText('Back up running version'),
    ).toBeInTheDocument();
    expect(api.getDeployment).toHaveBeenCalledWith('DEP-0-0');
  });

  it('opens any queued deployment', async () => {
    const api = fakeApi();
    await renderQueue(deploymentsResponse({ queue: [called, queued] }), {
      api,
    });
    await userEvent.click(screen.getByRole('button', { name: 'Show DEP-2-0' }));
    expect(
      await screen.findByRole('region', { name: 'Deployment DEP-2-0' }),
    ).toHaveTextContent('The pipeline has not started yet.');
  });

  it('opens the deployment a link names (?token=), finished or not in the queue', async () => {
    const api = fakeApi();
    await renderQueue(deploymentsResponse({ queue: [called] }), {
      api,
      location: '/?token=DEP-1795963330750-000007',
    });
    expect(
      await screen.findByRole('region', {
        name: 'Deployment DEP-1795963330750-000007',
      }),
    ).toBeInTheDocument();
    expect(api.getDeployment).toHaveBeenCalledWith('DEP-1795963330750-000007');
  });

  it('ignores a link whose token is not one', async () => {
    const api = fakeApi();
    await renderQueue(deploymentsResponse({ queue: [called] }), {
      api,
      location: '/?token=../../etc',
    });
    expect(screen.queryByRole('region', { name: /Deployment / })).toBeNull();
  });
});
