import { screen, within } from '@testing-library/react';
import { HistoryDialog } from './HistoryDialog';
import {
  ADA,
  GRACE,
  fakeFlagsApi,
  newCheckout,
  renderInFlagsContext,
  settings,
} from '../__testUtils__/fixtures';

jest.setTimeout(30_000);

describe('HistoryDialog', () => {
  it('lists who changed what where, newest first, with before → after', async () => {
    const api = fakeFlagsApi({
      getFlagHistory: jest.fn(async () => [
        {
          id: 'h1',
          flagKey: 'new-checkout',
          action: 'created' as const,
          actor: ADA,
          at: '2024-05-01T09:00:00Z',
        },
        {
          id: 'h3',
          flagKey: 'new-checkout',
          environment: 'canary',
          action: 'killed' as const,
          actor: GRACE,
          at: '2024-05-03T09:00:00Z',
          reason: 'INC-42',
          before: { ...settings('canary', { on: true, rolloutPercent: 10 }) },
          after: { ...settings('canary') },
        },
        {
          id: 'h2',
          flagKey: 'new-checkout',
          environment: 'canary',
          action: 'rollout' as const,
          actor: ADA,
          at: '2024-05-02T09:00:00Z',
          deployment: 'DEP-1714640400000-0',
          before: { ...settings('canary') },
          after: { ...settings('canary', { on: true, rolloutPercent: 10 }) },
        },
      ]),
    });
    await renderInFlagsContext(
      <HistoryDialog flag={newCheckout()} onClose={jest.fn()} />,
      api,
    );
    const table = await screen.findByRole('table', {
      name: 'History of new-checkout',
    });
    const rows = within(table).getAllByRole('row').slice(1);
    const cells = rows.map(r =>
      within(r)
        .getAllByRole('cell')
        .slice(1)
        .map(c => c.textContent),
    );
    expect(cells).toEqual([
      ['grace', 'canary', 'killed', '10 % → off', 'INC-42'],
      ['ada', 'canary', 'rolloutby DEP-1714640400000-0', 'off → 10 %', ''],
      ['ada', 'all', 'created', '— → —', ''],
    ]);
    expect(api.getFlagHistory).toHaveBeenCalledWith(
      { kind: 'Component', namespace: 'default', name: 'payments-api' },
      'new-checkout',
    );
  });
});
