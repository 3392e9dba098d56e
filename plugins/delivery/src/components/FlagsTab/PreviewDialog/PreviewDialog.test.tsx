import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { FlagPreviewRequest } from '@internal/plugin-delivery-common';
import { PreviewDialog } from './PreviewDialog';
import {
  fakeFlagsApi,
  newCheckout,
  renderInFlagsContext,
} from '../__testUtils__/fixtures';

jest.setTimeout(30_000);

async function renderPreview(api = fakeFlagsApi()) {
  await renderInFlagsContext(
    <PreviewDialog flag={newCheckout()} onClose={jest.fn()} />,
    api,
  );
  return screen.getByRole('dialog', { name: 'Preview new-checkout' });
}

describe('PreviewDialog', () => {
  it('shows what one user with attributes gets: variant, value, reason', async () => {
    const api = fakeFlagsApi({
      previewFlag: jest.fn(async () => [
        {
          targetingKey: 'user-42',
          variant: 'on',
          value: true,
          reason: 'TARGETING_MATCH',
        },
      ]),
    });
    const dialog = await renderPreview(api);
    await userEvent.selectOptions(
      within(dialog).getByRole('combobox', { name: 'Environment' }),
      'canary',
    );
    const key = within(dialog).getByRole('textbox', { name: 'Targeting key' });
    await userEvent.clear(key);
    await userEvent.type(key, 'user-42');
    const attributes = within(dialog).getByRole('textbox', {
      name: 'Attributes (JSON)',
    });
    await userEvent.clear(attributes);
    await userEvent.click(attributes);
    await userEvent.paste('{"country": "NL"}');
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Evaluate' }),
    );
    expect(api.previewFlag).toHaveBeenCalledWith(
      { kind: 'Component', namespace: 'default', name: 'payments-api' },
      'new-checkout',
      {
        environment: 'canary',
        contexts: [{ country: 'NL', targetingKey: 'user-42' }],
      },
    );
    const row = within(
      await within(dialog).findByRole('table', { name: 'Evaluation' }),
    ).getAllByRole('row')[1];
    expect(
      within(row)
        .getAllByRole('cell')
        .map(c => c.textContent),
    ).toEqual(['user-42', 'on', 'true', 'TARGETING_MATCH']);
  });

  it('refuses attributes that are not a JSON object, saying where', async () => {
    const dialog = await renderPreview();
    const attributes = within(dialog).getByRole('textbox', {
      name: 'Attributes (JSON)',
    });
    await userEvent.clear(attributes);
    await userEvent.click(attributes);
    await userEvent.paste('["NL"]');
    expect(
      within(dialog).getByRole('alert', { name: 'Problems' }),
    ).toHaveTextContent('attributes: attributes are an object');
    expect(
      within(dialog).getByRole('button', { name: 'Evaluate' }),
    ).toBeDisabled();
  });

  it('shows the distribution over 1,000 sample users as a bar', async () => {
    const previewFlag = jest.fn(
      async (_entity: unknown, _key: string, request: FlagPreviewRequest) =>
        request.contexts.map((c, i) => ({
          targetingKey: String(c.targetingKey),
          variant: i % 10 === 0 ? 'on' : 'off',
          value: i % 10 === 0,
          reason: 'SPLIT',
        })),
    );
    const dialog = await renderPreview(fakeFlagsApi({ previewFlag }));
    await userEvent.click(
      within(dialog).getByRole('button', {
        name: 'Distribution over 1,000 sample users',
      }),
    );
    const request = previewFlag.mock.calls[0][2];
    // the first environment where the flag is on
    expect(request.environment).toBe('uat');
    expect(request.contexts).toHaveLength(1000);
    expect(new Set(request.contexts.map(c => c.targetingKey)).size).toBe(1000);
    expect(
      await within(dialog).findByRole('img', {
        name: 'Distribution over 1,000 sample users: off 90 %, on 10 %',
      }),
    ).toBeInTheDocument();
    expect(within(dialog).getByText('on: 100 (10 %)')).toBeInTheDocument();
    expect(within(dialog).getByText('off: 900 (90 %)')).toBeInTheDocument();
  });
});
