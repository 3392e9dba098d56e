import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { TargetingDialog } from './TargetingDialog';
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

async function renderEditor({
  api = fakeFlagsApi(),
  granted = flagPermissions(),
}: { api?: DeliveryApi; granted?: FlagPermissions } = {}) {
  const onDone = jest.fn();
  const { refresh } = await renderInFlagsContext(
    <TargetingDialog
      flag={newCheckout()}
      onClose={jest.fn()}
      onDone={onDone}
    />,
    api,
    { granted },
  );
  const dialog = screen.getByRole('dialog', {
    name: 'Targeting of new-checkout',
  });
  return { api, onDone, refresh, dialog };
}

const rule = (dialog: HTMLElement) =>
  within(dialog).getByRole('textbox', { name: 'Rule (JsonLogic)' });

async function typeRule(dialog: HTMLElement, value: unknown) {
  const editor = rule(dialog);
  await userEvent.clear(editor);
  await userEvent.click(editor);
  await userEvent.paste(
    typeof value === 'string' ? value : JSON.stringify(value),
  );
}

const saveButton = (dialog: HTMLElement) =>
  within(dialog).getByRole('button', { name: 'Save' });

describe('TargetingDialog', () => {
  it('opens on the environment with a rule, showing it', async () => {
    const { dialog } = await renderEditor();
    expect(
      within(dialog).getByRole('combobox', { name: 'Environment' }),
    ).toHaveValue('canary');
    expect(JSON.parse((rule(dialog) as HTMLTextAreaElement).value)).toEqual({
      fractional: [
        ['on', 10],
        ['off', 90],
      ],
    });
    expect(saveButton(dialog)).toBeDisabled();
    expect(within(dialog).getByTestId('save-blocker')).toHaveTextContent(
      'Nothing changed yet.',
    );
  });

  it('shows each problem with its path as you type and keeps Save disabled, saying why', async () => {
    const { dialog, api } = await renderEditor();
    await typeRule(dialog, {
      fractional: [
        ['onn', 20],
        ['off', 80],
      ],
    });
    const problems = within(dialog).getByRole('alert', {
      name: 'Problems in this rule',
    });
    expect(problems).toHaveTextContent(
      'environments.canary.targeting.fractional[0][0]: "onn" is not a variant of this flag (variants: on, off)',
    );
    expect(saveButton(dialog)).toBeDisabled();
    expect(within(dialog).getByTestId('save-blocker')).toHaveTextContent(
      'The rule has a problem: fix it first.',
    );

    await typeRule(dialog, '{"if": [');
    expect(
      within(dialog).getByRole('alert', { name: 'Problems in this rule' }),
    ).toHaveTextContent(/environments\.canary\.targeting: not valid JSON/);

    await typeRule(dialog, { starts: [1] });
    expect(
      within(dialog).getByRole('alert', { name: 'Problems in this rule' }),
    ).toHaveTextContent(
      'environments.canary.targeting.starts: unknown operator "starts"',
    );
    expect(api.changeFlag).not.toHaveBeenCalled();
  });

  it('saves a valid rule and default variant as a targeting change', async () => {
    const { dialog, api, onDone, refresh } = await renderEditor();
    const next = {
      if: [{ in: [{ var: 'email' }, ['ada@example.com']] }, 'on', 'off'],
    };
    await typeRule(dialog, next);
    expect(
      within(dialog).queryByRole('alert', { name: 'Problems in this rule' }),
    ).not.toBeInTheDocument();
    await userEvent.type(
      within(dialog).getByRole('textbox', { name: 'Reason (optional)' }),
      'Ada tries it first',
    );
    await userEvent.click(saveButton(dialog));
    expect(api.changeFlag).toHaveBeenCalledWith(
      { kind: 'Component', namespace: 'default', name: 'payments-api' },
      'new-checkout',
      'canary',
      {
        action: 'targeting',
        targeting: next,
        defaultVariant: 'off',
        reason: 'Ada tries it first',
      },
    );
    expect(refresh).toHaveBeenCalled();
    expect(onDone).toHaveBeenCalledWith(
      expect.objectContaining({ severity: 'success' }),
    );
  });

  it('starts a percentage rollout from the template, in another environment', async () => {
    const { dialog, api } = await renderEditor();
    await userEvent.selectOptions(
      within(dialog).getByRole('combobox', { name: 'Environment' }),
      'production',
    );
    expect(
      within(dialog).getByText(
        /In production a change that turns anything on waits/,
      ),
    ).toBeInTheDocument();
    await userEvent.click(
      within(dialog).getByRole('button', { name: '10 % rollout' }),
    );
    await userEvent.click(saveButton(dialog));
    expect(api.changeFlag).toHaveBeenCalledWith(
      expect.anything(),
      'new-checkout',
      'production',
      {
        action: 'targeting',
        targeting: {
          fractional: [
            ['on', 10],
            ['off', 90],
          ],
        },
        defaultVariant: 'off',
      },
    );
  });

  it("stays open with the backend's message when the change is refused", async () => {
    const api = fakeFlagsApi({
      changeFlag: jest.fn(async () => {
        throw await responseError(
          422,
          'environments.canary.targeting.sem_ver[1]: not a version',
        );
      }),
    });
    const { dialog, onDone } = await renderEditor({ api });
    await typeRule(dialog, { sem_ver: [{ var: 'version' }, '>=', 'x'] });
    await userEvent.click(saveButton(dialog));
    expect(
      await within(dialog).findByText(
        'environments.canary.targeting.sem_ver[1]: not a version',
      ),
    ).toBeInTheDocument();
    expect(onDone).not.toHaveBeenCalled();
  });

  it('says why Save is disabled without the permission', async () => {
    const { dialog } = await renderEditor({
      granted: flagPermissions({ update: false }),
    });
    await typeRule(dialog, {});
    expect(saveButton(dialog)).toBeDisabled();
    expect(within(dialog).getByTestId('save-blocker')).toHaveTextContent(
      "You do not have permission to change this service's flags (its owners do).",
    );
  });
});
