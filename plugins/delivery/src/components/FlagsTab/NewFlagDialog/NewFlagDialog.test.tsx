import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { NewFlagDialog } from './NewFlagDialog';
import {
  fakeFlagsApi,
  flagPermissions,
  renderInFlagsContext,
  responseError,
} from '../__testUtils__/fixtures';
import { DeliveryApi } from '../../../api';
import { FlagPermissions } from '../../../hooks/useFlagPermissions';

jest.setTimeout(30_000);

async function renderNewFlag({
  api = fakeFlagsApi(),
  granted = flagPermissions(),
}: { api?: DeliveryApi; granted?: FlagPermissions } = {}) {
  const onCreated = jest.fn();
  await renderInFlagsContext(
    <NewFlagDialog open onClose={jest.fn()} onCreated={onCreated} />,
    api,
    { granted },
  );
  const dialog = screen.getByRole('dialog', { name: 'New flag' });
  const field = (name: string | RegExp) =>
    within(dialog).getByRole('textbox', { name });
  const select = (name: string) =>
    within(dialog).getByRole('combobox', { name });
  const create = () => within(dialog).getByRole('button', { name: 'Create' });
  const blocker = () => within(dialog).getByTestId('create-blocker');
  return { api, onCreated, dialog, field, select, create, blocker };
}

async function replace(element: HTMLElement, text: string) {
  await userEvent.clear(element);
  await userEvent.click(element);
  await userEvent.paste(text);
}

describe('NewFlagDialog', () => {
  it('starts as a boolean flag with on/off variants, asking for a key', async () => {
    const { field, select, create, blocker } = await renderNewFlag();
    expect(select('Type')).toHaveValue('boolean');
    expect(
      JSON.parse((field('Variants (JSON)') as HTMLTextAreaElement).value),
    ).toEqual({ on: true, off: false });
    expect(select('Off variant')).toHaveValue('off');
    expect(select('On variant')).toHaveValue('on');
    expect(create()).toBeDisabled();
    expect(blocker()).toHaveTextContent('Give the flag a key.');
  });

  it('checks as you type, naming each problem with its path', async () => {
    const { dialog, field, create, blocker } = await renderNewFlag();
    await userEvent.type(field(/^Key/), '1-click');
    const problems = within(dialog).getByRole('alert', { name: 'Problems' });
    expect(problems).toHaveTextContent(
      'key: a flag key starts with a letter and has up to 100 letters, digits, ".", "_" and "-"',
    );
    expect(create()).toBeDisabled();
    expect(blocker()).toHaveTextContent('Fix the problem above first.');

    await replace(field(/^Key/), 'one-click');
    await replace(field('Variants (JSON)'), '{"on": "yes", "off": false}');
    expect(
      within(dialog).getByRole('alert', { name: 'Problems' }),
    ).toHaveTextContent(
      "variants.on: a boolean flag's variants are booleans, this one is a string",
    );
    expect(create()).toBeDisabled();
  });

  it('refuses a key the service already has', async () => {
    const { field, create, blocker } = await renderNewFlag();
    await userEvent.type(field(/^Key/), 'new-checkout');
    expect(create()).toBeDisabled();
    expect(blocker()).toHaveTextContent(
      'The service already has a flag new-checkout.',
    );
  });

  it('creates the flag with its variants, off and on variants and ticket', async () => {
    const { api, onCreated, field, create } = await renderNewFlag();
    await userEvent.type(field(/^Key/), 'dark-mode');
    await userEvent.type(field('Description'), 'Dark theme');
    await userEvent.type(field('Change or ticket'), 'WEB-7');
    await userEvent.click(create());
    expect(api.createFlag).toHaveBeenCalledWith(
      { kind: 'Component', namespace: 'default', name: 'payments-api' },
      {
        key: 'dark-mode',
        type: 'boolean',
        variants: { on: true, off: false },
        offVariant: 'off',
        onVariant: 'on',
        description: 'Dark theme',
        change: 'WEB-7',
      },
    );
    expect(onCreated).toHaveBeenCalledWith(
      expect.objectContaining({ key: 'dark-mode' }),
    );
  });

  it('brings the variants of another type, and picks off and on among them', async () => {
    const { api, field, select, create } = await renderNewFlag();
    await userEvent.type(field(/^Key/), 'checkout-layout');
    await userEvent.selectOptions(select('Type'), 'string');
    expect(
      JSON.parse((field('Variants (JSON)') as HTMLTextAreaElement).value),
    ).toEqual({ off: 'control', on: 'treatment' });
    await replace(
      field('Variants (JSON)'),
      '{"classic": "classic", "compact": "compact", "wide": "wide"}',
    );
    expect(select('Off variant')).toHaveValue('classic');
    expect(select('On variant')).toHaveValue('compact');
    await userEvent.selectOptions(select('On variant'), 'wide');
    await userEvent.click(create());
    expect(api.createFlag).toHaveBeenCalledWith(expect.anything(), {
      key: 'checkout-layout',
      type: 'string',
      variants: { classic: 'classic', compact: 'compact', wide: 'wide' },
      offVariant: 'classic',
      onVariant: 'wide',
    });
  });

  it("stays open with the backend's message when creation is refused", async () => {
    const api = fakeFlagsApi({
      createFlag: jest.fn(async () => {
        throw await responseError(409, 'payments-api has a flag dark-mode');
      }),
    });
    const { dialog, onCreated, field, create } = await renderNewFlag({ api });
    await userEvent.type(field(/^Key/), 'dark-mode');
    await userEvent.click(create());
    expect(
      await within(dialog).findByText('payments-api has a flag dark-mode'),
    ).toBeInTheDocument();
    expect(onCreated).not.toHaveBeenCalled();
  });

  it('says why without the create permission', async () => {
    const { create, blocker } = await renderNewFlag({
      granted: flagPermissions({ create: false }),
    });
    expect(create()).toBeDisabled();
    expect(blocker()).toHaveTextContent(
      'You do not have permission to create flags for this service (its owners do).',
    );
  });
});
