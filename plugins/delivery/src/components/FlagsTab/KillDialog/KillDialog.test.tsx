import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { KillDialog } from './KillDialog';
import {
  fakeFlagsApi,
  flagPermissions,
  newCheckout,
  renderInFlagsContext,
  responseError,
} from '../__testUtils__/fixtures';
import { DeliveryApi } from '../../../api';
import { FlagPermissions } from '../../../hooks/useFlagPermissions';

jest.setTimeout(30_000);

async function renderKill({
  api = fakeFlagsApi(),
  granted = flagPermissions(),
}: { api?: DeliveryApi; granted?: FlagPermissions } = {}) {
  const onDone = jest.fn();
  await renderInFlagsContext(
    <KillDialog flag={newCheckout()} onClose={jest.fn()} onDone={onDone} />,
    api,
    { granted },
  );
  const dialog = screen.getByRole('dialog', { name: 'Kill new-checkout' });
  return { api, onDone, dialog };
}

const reasonBox = (dialog: HTMLElement) =>
  within(dialog).getByRole('textbox', { name: /Reason/ });

describe('KillDialog', () => {
  it('requires a reason before it kills', async () => {
    const { dialog, api } = await renderKill();
    const kill = within(dialog).getByRole('button', {
      name: 'Kill in every environment',
    });
    expect(kill).toBeDisabled();
    expect(within(dialog).getByTestId('kill-blocker')).toHaveTextContent(
      'A reason is required (at least 3 characters).',
    );
    await userEvent.type(reasonBox(dialog), '  x ');
    expect(kill).toBeDisabled();
    await userEvent.click(kill).catch(() => undefined);
    expect(api.killFlag).not.toHaveBeenCalled();
  });

  it('kills in every environment, naming no environment', async () => {
    const { dialog, api, onDone } = await renderKill();
    await userEvent.type(reasonBox(dialog), 'INC-42: checkout errors at 4 %');
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Kill in every environment' }),
    );
    expect(api.killFlag).toHaveBeenCalledWith(
      { kind: 'Component', namespace: 'default', name: 'payments-api' },
      'new-checkout',
      { reason: 'INC-42: checkout errors at 4 %' },
    );
    expect(onDone).toHaveBeenCalledWith(
      expect.objectContaining({
        title: 'Killed new-checkout in every environment',
      }),
    );
  });

  it('kills in one environment, listing which are on', async () => {
    const { dialog, api } = await renderKill();
    const where = within(dialog).getByRole('combobox', { name: 'Where' });
    expect(
      within(where)
        .getAllByRole('option')
        .map(o => o.textContent),
    ).toEqual([
      'All environments',
      'uat (on)',
      'canary (on)',
      'production (off)',
    ]);
    await userEvent.selectOptions(where, 'canary');
    await userEvent.type(reasonBox(dialog), 'Errors in canary');
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Kill in canary' }),
    );
    expect(api.killFlag).toHaveBeenCalledWith(
      expect.anything(),
      'new-checkout',
      { environment: 'canary', reason: 'Errors in canary' },
    );
  });

  it('tells an on-call engineer why they may, and shows a refusal', async () => {
    const api = fakeFlagsApi({
      killFlag: jest.fn(async () => {
        throw await responseError(403, 'Not on call any more');
      }),
    });
    const { dialog, onDone } = await renderKill({
      api,
      granted: flagPermissions({
        update: false,
        kill: true,
        killAsOnCall: true,
      }),
    });
    expect(
      within(dialog).getByText(
        'You may kill it as a member of the on-call group.',
      ),
    ).toBeInTheDocument();
    await userEvent.type(reasonBox(dialog), 'Paged for errors');
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Kill in every environment' }),
    );
    expect(
      await within(dialog).findByText('Not on call any more'),
    ).toBeInTheDocument();
    expect(onDone).not.toHaveBeenCalled();
  });
});
