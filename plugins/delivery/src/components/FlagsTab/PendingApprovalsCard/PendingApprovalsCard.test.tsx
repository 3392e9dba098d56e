import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { PendingApprovalsCard } from './PendingApprovalsCard';
import {
  ADA,
  GRACE,
  fakeFlagsApi,
  flagPermissions,
  flagsResponse,
  pendingChange,
  renderInFlagsContext,
  responseError,
} from '../__testUtils__/fixtures';
import { DeliveryApi } from '../../../api';
import { FlagPermissions } from '../../../hooks/useFlagPermissions';

jest.setTimeout(30_000);

async function renderApprovals({
  api = fakeFlagsApi(),
  user = ADA,
  granted = flagPermissions(),
}: { api?: DeliveryApi; user?: string; granted?: FlagPermissions } = {}) {
  const { refresh } = await renderInFlagsContext(
    <PendingApprovalsCard />,
    api,
    {
      user,
      granted,
      flags: flagsResponse({ pending: [pendingChange()] }),
    },
  );
  return { api, refresh };
}

const approve = () =>
  screen.getByRole('button', { name: 'Approve new-checkout in production' });

describe('PendingApprovalsCard', () => {
  it('lists the waiting change: flag, environment, what, who and why', async () => {
    await renderApprovals();
    const table = screen.getByRole('table', { name: 'Pending approvals' });
    const row = within(table).getAllByRole('row')[1];
    expect(row).toHaveTextContent('new-checkout');
    expect(row).toHaveTextContent('production');
    expect(row).toHaveTextContent('on for 10 % of users');
    expect(row).toHaveTextContent('off → 10 %');
    expect(row).toHaveTextContent('grace, 1h ago');
    expect(row).toHaveTextContent('Canary looks healthy');
  });

  it('does not let the requester approve their own change, and says so', async () => {
    const { api } = await renderApprovals({ user: GRACE });
    expect(approve()).toBeDisabled();
    expect(
      screen.getByText(
        'You requested this change: someone else must approve it.',
      ),
    ).toBeInTheDocument();
    await userEvent.hover(approve().parentElement!);
    expect(await screen.findByRole('tooltip')).toHaveTextContent(
      'You requested this change: someone else must approve it.',
    );
    expect(
      screen.queryByRole('button', { name: /^Reject/ }),
    ).not.toBeInTheDocument();
    // but they may withdraw it
    await userEvent.click(
      screen.getByRole('button', {
        name: 'Withdraw new-checkout in production',
      }),
    );
    expect(api.rejectFlagChange).toHaveBeenCalledWith(
      'chg-1',
      'Withdrawn by the requester',
    );
    expect(api.approveFlagChange).not.toHaveBeenCalled();
  });

  it('compares user refs without regard to case', async () => {
    await renderApprovals({ user: 'User:default/Grace' });
    expect(approve()).toBeDisabled();
  });

  it('lets someone else approve, applying the change', async () => {
    const { api, refresh } = await renderApprovals({ user: ADA });
    await userEvent.click(approve());
    expect(api.approveFlagChange).toHaveBeenCalledWith('chg-1', undefined);
    expect(
      await screen.findByText('Approved: new-checkout in production'),
    ).toBeInTheDocument();
    expect(refresh).toHaveBeenCalled();
  });

  it('rejects with a reason', async () => {
    const { api } = await renderApprovals({ user: ADA });
    await userEvent.click(
      screen.getByRole('button', { name: 'Reject new-checkout in production' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Reject new-checkout in production',
    });
    const reject = within(dialog).getByRole('button', { name: 'Reject' });
    expect(reject).toBeDisabled();
    await userEvent.type(
      within(dialog).getByRole('textbox', { name: /Reason/ }),
      'Not during the sale',
    );
    await userEvent.click(reject);
    expect(api.rejectFlagChange).toHaveBeenCalledWith(
      'chg-1',
      'Not during the sale',
    );
    await waitFor(() =>
      expect(
        screen.getByText('Rejected: new-checkout in production'),
      ).toBeInTheDocument(),
    );
  });

  it('says why without the approve permission', async () => {
    await renderApprovals({
      user: ADA,
      granted: flagPermissions({ approve: false }),
    });
    expect(approve()).toBeDisabled();
    expect(
      screen.getByRole('button', { name: 'Reject new-checkout in production' }),
    ).toBeDisabled();
    expect(
      screen.getByText(
        'You do not have permission to approve flag changes of this service.',
      ),
    ).toBeInTheDocument();
  });

  it("shows the backend's refusal", async () => {
    const api = fakeFlagsApi({
      approveFlagChange: jest.fn(async () => {
        throw await responseError(
          409,
          'The change was superseded by a kill at 10:02',
        );
      }),
    });
    await renderApprovals({ api, user: ADA });
    await userEvent.click(approve());
    expect(
      await screen.findByText('The change was superseded by a kill at 10:02'),
    ).toBeInTheDocument();
  });

  it('shows nothing while nothing waits', async () => {
    await renderInFlagsContext(<PendingApprovalsCard />, fakeFlagsApi());
    expect(screen.queryByText('Pending approvals')).not.toBeInTheDocument();
  });
});
