import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { DoraTab } from './DoraTab';
import {
  deploymentDetails,
  doraResponse,
  emptyDoraResponse,
  fakeDoraApi,
  renderDora,
  responseError,
} from './__testUtils__/fixtures';

jest.setTimeout(30_000);

const card = (key: string) => screen.getByTestId(`dora-${key}`);

async function renderTab(api = fakeDoraApi()) {
  await renderDora(<DoraTab />, api);
  await screen.findByTestId('dora-metrics');
  return api;
}

describe('DoraTab', () => {
  it('shows each metric with its value for people, tier, target and sample', async () => {
    const api = await renderTab();

    const frequency = card('deploymentFrequency');
    expect(within(frequency).getByTestId('value')).toHaveTextContent(
      '4.2 / day',
    );
    expect(within(frequency).getByTestId('detail')).toHaveTextContent(
      '29.4 / week · DORA: on demand (several a day)',
    );
    expect(within(frequency).getByTestId('tier')).toHaveTextContent('elite');
    expect(within(frequency).getByTestId('sample')).toHaveTextContent(
      'from 352 deployments',
    );
    // A service's frequency is not judged against the per-team target: no verdict, the note.
    expect(within(frequency).getByTestId('target')).toHaveAttribute(
      'data-met',
      'n/a',
    );
    expect(within(frequency).getByTestId('target')).toHaveTextContent(
      'Target ≥ 5 / day per team',
    );
    expect(within(frequency).getByTestId('target-note')).toHaveTextContent(
      'The target is per team: see the owner’s page.',
    );

    const lead = card('leadTime');
    expect(within(lead).getByTestId('value')).toHaveTextContent('1 h 35 min');
    expect(within(lead).getByTestId('detail')).toHaveTextContent(
      'p90 5 h 10 min',
    );
    expect(within(lead).getByTestId('sample')).toHaveTextContent(
      'from 1,234 commits',
    );
    expect(within(lead).getByTestId('target')).toHaveTextContent(
      '✓ Target < 2 h',
    );
    expect(within(lead).getByTestId('target')).toHaveAttribute(
      'data-met',
      'true',
    );

    const cfr = card('changeFailureRate');
    expect(within(cfr).getByTestId('value')).toHaveTextContent('3.1 %');
    expect(within(cfr).getByTestId('sample')).toHaveTextContent(
      '11 failed of 352 deployments',
    );
    expect(within(cfr).getByTestId('target')).toHaveTextContent(
      '✓ Target < 5 %',
    );

    const recovery = card('recoveryTime');
    expect(within(recovery).getByTestId('value')).toHaveTextContent('12 min');
    expect(within(recovery).getByTestId('tier')).toHaveAttribute(
      'data-tier',
      'elite',
    );
    expect(within(recovery).getByTestId('target')).toHaveTextContent(
      '✗ Target < 5 min',
    );
    expect(within(recovery).getByTestId('target')).toHaveAttribute(
      'data-met',
      'false',
    );
    expect(within(recovery).getByTestId('sample')).toHaveTextContent(
      'from 9 resolved incidents (10 started)',
    );

    const success = card('successRate');
    expect(within(success).getByTestId('value')).toHaveTextContent('96.7 %');
    expect(within(success).getByTestId('target')).toHaveTextContent(
      '✓ Target ≥ 95 %',
    );
    // DORA does not tier success or rework rates.
    expect(within(success).queryByTestId('tier')).not.toBeInTheDocument();
    const rework = card('reworkRate');
    expect(within(rework).getByTestId('value')).toHaveTextContent('1.4 %');
    expect(within(rework).getByTestId('sample')).toHaveTextContent(
      '5 rework of 352 deployments',
    );
    expect(within(rework).queryByTestId('target')).not.toBeInTheDocument();

    // A trend chart per card, drawn by interval.
    expect(
      within(lead).getByRole('figure', {
        name: 'Lead time for changes, by week',
      }),
    ).toBeInTheDocument();
    expect(screen.getAllByTestId('trend')).toHaveLength(6);
    expect(screen.getByTestId('dora-scope')).toHaveTextContent(
      'payments-api ·',
    );

    expect(api.getDora).toHaveBeenCalledTimes(1);
    expect(api.getDora).toHaveBeenCalledWith({
      entity: 'component:default/payments-api',
      from: expect.stringMatching(/T00:00:00[+-]\d\d:\d\d$/),
      interval: 'week',
    });
  });

  it('colours tiers and marks a low one', async () => {
    const dora = doraResponse();
    dora.metrics.changeFailureRate = {
      ...dora.metrics.changeFailureRate,
      value: 0.32,
      numerator: 113,
      tier: 'low',
      target: { value: 0.05, comparison: 'atMost', met: false },
    };
    await renderTab(fakeDoraApi({ getDora: jest.fn(async () => dora) }));
    const cfr = card('changeFailureRate');
    expect(within(cfr).getByTestId('value')).toHaveTextContent('32 %');
    expect(within(cfr).getByTestId('tier')).toHaveAttribute('data-tier', 'low');
    expect(within(cfr).getByTestId('target')).toHaveTextContent(
      '✗ Target < 5 %',
    );
  });

  it('asks for the chosen period from a local midnight, by day for the shortest', async () => {
    const api = await renderTab();
    const midnightsAgo = (days: number) => {
      const now = new Date();
      return new Date(
        now.getFullYear(),
        now.getMonth(),
        now.getDate() - days,
      ).getTime();
    };
    const lastQuery = () =>
      (api.getDora as jest.Mock).mock.calls.at(-1)[0] as {
        from: string;
        interval: string;
      };
    expect(
      screen.getByRole('button', { name: 'Last 12 weeks' }),
    ).toHaveAttribute('aria-pressed', 'true');
    expect(Date.parse(lastQuery().from)).toBe(midnightsAgo(83));

    await userEvent.click(
      screen.getByRole('button', { name: 'Last 26 weeks' }),
    );
    await waitFor(() => expect(api.getDora).toHaveBeenCalledTimes(2));
    expect(lastQuery()).toEqual({
      entity: 'component:default/payments-api',
      from: expect.stringMatching(/T00:00:00[+-]\d\d:\d\d$/),
      interval: 'week',
    });
    expect(Date.parse(lastQuery().from)).toBe(midnightsAgo(181));
    expect(
      screen.getByRole('heading', { name: 'DORA metrics, last 26 weeks' }),
    ).toBeInTheDocument();

    await userEvent.click(
      screen.getByRole('button', { name: 'Last 4 weeks, by day' }),
    );
    await waitFor(() => expect(api.getDora).toHaveBeenCalledTimes(3));
    expect(lastQuery().interval).toBe('day');
    expect(Date.parse(lastQuery().from)).toBe(midnightsAgo(27));
  });

  it('says why when nothing happened in the period, and per metric', async () => {
    await renderTab(
      fakeDoraApi({ getDora: jest.fn(async () => emptyDoraResponse()) }),
    );
    expect(
      screen.getByText('No deployments in the last 12 weeks'),
    ).toBeInTheDocument();
    expect(screen.queryByTestId('dora-leadTime')).not.toBeInTheDocument();
  });

  it('explains a metric without a value: no incidents is nothing to recover from', async () => {
    const dora = doraResponse();
    dora.metrics.recoveryTime = {
      unit: 'milliseconds',
      count: 0,
      numerator: 0,
      target: { value: 300_000, comparison: 'atMost' },
    };
    dora.metrics.leadTime = {
      unit: 'milliseconds',
      count: 0,
      target: { value: 7_200_000, comparison: 'atMost' },
    };
    await renderTab(fakeDoraApi({ getDora: jest.fn(async () => dora) }));
    const recovery = card('recoveryTime');
    expect(within(recovery).getByTestId('value')).toHaveTextContent('—');
    expect(within(recovery).getByTestId('empty')).toHaveTextContent(
      'No incidents in the period: nothing to recover from.',
    );
    expect(within(recovery).queryByTestId('tier')).not.toBeInTheDocument();
    // Without a value the target has no verdict.
    expect(within(recovery).getByTestId('target')).toHaveTextContent(
      /^Target < 5 min$/,
    );
    expect(within(card('leadTime')).getByTestId('empty')).toHaveTextContent(
      'No commits reached production in the period.',
    );
  });

  it('shows the backend’s message when the read fails, and retries', async () => {
    const getDora = jest
      .fn()
      .mockRejectedValueOnce(
        await responseError(404, 'No entity component:default/payments-api'),
      )
      .mockResolvedValue(doraResponse());
    await renderDora(<DoraTab />, fakeDoraApi({ getDora }));
    expect(
      await screen.findByText(
        'Could not read the DORA metrics of payments-api (404)',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText('No entity component:default/payments-api'),
    ).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(await screen.findByTestId('dora-leadTime')).toBeInTheDocument();
  });

  describe('drill-down', () => {
    let click: jest.SpyInstance;
    const createObjectURL = jest.fn(() => 'blob:dora');
    const revokeObjectURL = jest.fn();
    beforeEach(() => {
      click = jest
        .spyOn(HTMLAnchorElement.prototype, 'click')
        .mockImplementation(() => {});
      Object.assign(URL, { createObjectURL, revokeObjectURL });
    });
    afterEach(() => click.mockRestore());

    it('lists the deployments behind a card, linking tokens and GitHub, marking failed and rework', async () => {
      const api = await renderTab();
      await userEvent.click(
        screen.getByRole('button', {
          name: 'Show the deployments behind Deployment frequency',
        }),
      );
      const dialog = await screen.findByRole('dialog', {
        name: 'Deployment frequency: the deployments behind it',
      });
      await within(dialog).findByText('DEP-1764150000000-000001');
      expect(api.getDoraDetails).toHaveBeenCalledWith({
        entity: 'component:default/payments-api',
        from: '2026-09-03T22:00:00.000Z',
        to: '2026-11-26T10:00:00.000Z',
        kind: 'deployments',
        limit: 20,
        offset: 0,
      });
      expect(dialog).toHaveTextContent('352 deployments, newest first');
      const token = within(dialog).getByRole('link', {
        name: 'Open DEP-1764150000000-000001',
      });
      expect(token).toHaveAttribute(
        'href',
        '/catalog/default/component/payments-api/deployments?token=DEP-1764150000000-000001',
      );
      expect(
        within(dialog).getByRole('link', { name: 'GitHub ↗' }),
      ).toHaveAttribute(
        'href',
        'https://github.local/acme/payments-api/deployments/9001',
      );
      const rows = within(dialog).getAllByRole('row').slice(1);
      expect(rows).toHaveLength(3);
      expect(within(rows[1]).getByText('failed')).toBeInTheDocument();
      expect(within(rows[2]).getByText('rework')).toBeInTheDocument();
      expect(within(rows[0]).queryByText('failed')).not.toBeInTheDocument();
      // A service's own list has no Service column.
      expect(
        within(dialog).queryByRole('columnheader', { name: 'Service' }),
      ).not.toBeInTheDocument();

      // The next page.
      await userEvent.click(
        within(dialog).getByRole('button', { name: 'Next page' }),
      );
      await waitFor(() =>
        expect(api.getDoraDetails).toHaveBeenLastCalledWith(
          expect.objectContaining({ offset: 20, limit: 20 }),
        ),
      );

      // The CSV, through the API (authenticated), saved as a file.
      await userEvent.click(
        within(dialog).getByRole('button', { name: 'Export CSV' }),
      );
      await waitFor(() => expect(click).toHaveBeenCalledTimes(1));
      expect(api.getDoraDetailsCsv).toHaveBeenCalledWith({
        entity: 'component:default/payments-api',
        from: '2026-09-03T22:00:00.000Z',
        to: '2026-11-26T10:00:00.000Z',
        kind: 'deployments',
      });
      expect(createObjectURL).toHaveBeenCalledWith(expect.any(Blob));
      const link = click.mock.instances[0] as unknown as HTMLAnchorElement;
      // Named in the user's local dates.
      const localDay = (iso: string) => {
        const d = new Date(iso);
        const pad = (n: number) => String(n).padStart(2, '0');
        return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(
          d.getDate(),
        )}`;
      };
      expect(link.download).toBe(
        `dora-deployments-payments-api-${localDay(
          '2026-09-03T22:00:00.000Z',
        )}-${localDay('2026-11-26T10:00:00.000Z')}.csv`,
      );
      expect(link.href).toBe('blob:dora');

      await userEvent.click(
        within(dialog).getByRole('button', { name: 'Close' }),
      );
      await waitFor(() =>
        expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
      );
    });

    it('lists the commits behind lead time, with their lead times', async () => {
      const api = await renderTab();
      await userEvent.click(
        screen.getByRole('button', {
          name: 'Show the commits behind Lead time for changes',
        }),
      );
      const dialog = await screen.findByRole('dialog');
      await within(dialog).findByText('ddddddd');
      expect(api.getDoraDetails).toHaveBeenCalledWith(
        expect.objectContaining({ kind: 'commits' }),
      );
      const rows = within(dialog).getAllByRole('row').slice(1);
      expect(rows[0]).toHaveTextContent('1 h 35 min');
      expect(
        within(rows[0]).getByRole('link', {
          name: 'Open DEP-1764150000000-000001',
        }),
      ).toBeInTheDocument();
      expect(rows[1]).toHaveTextContent('1 d');
      // A GitHub deployment without a token: its number, the whole id as the title.
      expect(within(rows[1]).getByTitle('github:9001')).toHaveTextContent(
        'GitHub 9001',
      );
    });

    it('says why a list is empty and the export failed', async () => {
      const api = fakeDoraApi({
        getDoraDetails: jest.fn(async () => ({
          kind: 'incidents' as const,
          total: 0,
          incidents: [],
        })),
      });
      const dora = doraResponse();
      dora.metrics.recoveryTime = {
        unit: 'milliseconds',
        count: 0,
        numerator: 0,
      };
      (api.getDora as jest.Mock).mockResolvedValue(dora);
      await renderTab(api);
      await userEvent.click(
        screen.getByRole('button', {
          name: 'Show the incidents behind Failed-deployment recovery time',
        }),
      );
      const dialog = await screen.findByRole('dialog');
      expect(
        await within(dialog).findByTestId('details-empty'),
      ).toHaveTextContent(
        'No incidents in the period: nothing to recover from.',
      );
      expect(
        within(dialog).getByRole('button', { name: 'Export CSV' }),
      ).toBeDisabled();
    });

    it('shows the backend’s message when the export fails', async () => {
      const api = fakeDoraApi({
        getDoraDetails: jest.fn(async () => deploymentDetails(3)),
        getDoraDetailsCsv: jest.fn(async () => {
          throw await responseError(400, 'from is after to');
        }),
      });
      await renderTab(api);
      await userEvent.click(
        screen.getByRole('button', {
          name: 'Show the deployments behind Rework rate',
        }),
      );
      const dialog = await screen.findByRole('dialog');
      await within(dialog).findByText('DEP-1764150000000-000001');
      expect(dialog).toHaveTextContent('3 deployments');
      expect(dialog).not.toHaveTextContent('newest first');
      await userEvent.click(
        within(dialog).getByRole('button', { name: 'Export CSV' }),
      );
      expect(
        await within(dialog).findByText(
          'Could not export the CSV: from is after to',
        ),
      ).toBeInTheDocument();
      expect(click).not.toHaveBeenCalled();
    });
  });
});
