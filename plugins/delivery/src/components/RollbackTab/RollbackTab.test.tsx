import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Rollback } from '@internal/plugin-delivery-common';
import {
  decisionRecord,
  entity,
  fakeRollbackApi,
  fakeSignals,
  healthy,
  incident,
  renderRollbackTab,
  responseError,
  rollback,
  stage,
} from './__testUtils__/fixtures';

jest.setTimeout(30_000);

// usePermission caches decisions per permission and resource in a module-wide SWR cache, so
// tests that change the user's permissions look at a service of their own.
const service = (name: string) => ({
  ...entity,
  metadata: { ...entity.metadata, name },
});

const card = (environment: string) =>
  screen.getByTestId(`health-${environment}`);
const levelButton = (environment: string, name: RegExp) =>
  within(
    within(card(environment)).getByRole('group', {
      name: `Rollback levels in ${environment}`,
    }),
  ).getByRole('button', { name });

async function waitForHealth() {
  await screen.findByTestId('decision-production');
}

describe('RollbackTab', () => {
  it('shows each environment’s figures against the thresholds and the recommendation', async () => {
    const api = fakeRollbackApi();
    await renderRollbackTab(api);
    await waitForHealth();

    // One card per environment, in pipeline order.
    const titles = screen
      .getAllByTestId(/^health-/)
      .map(el => el.getAttribute('data-testid'));
    expect(titles).toEqual([
      'health-uat',
      'health-canary',
      'health-production',
    ]);

    const production = card('production');
    const errorRate = within(production).getByTestId(
      'figure-production-errorRate',
    );
    expect(errorRate).toHaveTextContent('4.00 %');
    expect(errorRate).toHaveAttribute('data-breach', 'true');
    expect(
      within(errorRate).getByTitle('threshold breached'),
    ).toBeInTheDocument();
    expect(
      within(production).getByTestId('figure-production-p95'),
    ).toHaveAttribute('data-breach', 'true');
    expect(
      within(production).getByTestId('figure-production-cpu'),
    ).toHaveAttribute('data-breach', 'false');
    expect(
      within(production).getByTestId('figure-production-business'),
    ).toHaveTextContent('0.6 vs 0.9 baseline (−33.3 %)');
    // Error rate, p95 and the business metric; the subheader counts them.
    expect(screen.getByText('3 thresholds breached')).toBeInTheDocument();
    expect(
      within(card('uat')).getByTestId('figure-uat-errorRate'),
    ).toHaveAttribute('data-breach', 'false');

    // The last hour's charts with their limits (1 % and 2 s).
    const errorChart = within(production).getByRole('figure', {
      name: 'Error rate, last hour',
    });
    expect(
      await within(errorChart).findByText('limit 1 %'),
    ).toBeInTheDocument();
    const p95Chart = within(production).getByRole('figure', {
      name: 'p95 latency, last hour',
    });
    expect(within(p95Chart).getByText('limit 2 s')).toBeInTheDocument();

    // The endpoints, the flag's highlighted and most errors first.
    const endpoints = within(production).getByRole('table', {
      name: 'Errors per endpoint in production',
    });
    const rows = within(endpoints).getAllByRole('row').slice(1);
    expect(rows.map(r => r.getAttribute('data-flagged'))).toEqual([
      'true',
      'false',
    ]);
    expect(rows[0]).toHaveTextContent('/checkout');
    expect(rows[0]).toHaveTextContent('flag new-checkout');
    expect(rows[0]).toHaveTextContent('9.00 %');

    // The recommendation with its severity and every reason, and the automation.
    const decision = within(production).getByTestId('decision-production');
    expect(decision).toHaveTextContent(
      'Recommendation: Level 1 · Turn flags off',
    );
    expect(decision).toHaveTextContent(
      'Turn off the flag “new-checkout” (level 1).',
    );
    expect(within(decision).getByTestId('severity')).toHaveTextContent(
      'critical',
    );
    expect(
      within(
        within(decision).getByRole('list', { name: 'Reasons in production' }),
      )
        .getAllByRole('listitem')
        .map(li => li.textContent),
    ).toEqual([
      'Error rate 4.00 % is over 1.00 %',
      '90.0 % of the errors are on /checkout, served by new-checkout',
    ]);
    expect(
      within(production).getByTestId('automation-production'),
    ).toHaveTextContent(
      /Automation active until .*: Watching the deployment of ccccccc/,
    );
    expect(within(card('uat')).getByTestId('automation-uat')).toHaveTextContent(
      'Automation off: No deployment is being watched',
    );

    // The recommended level is emphasised and names the flag it turns off.
    const recommended = levelButton('production', /^1 · Turn off new-checkout/);
    expect(recommended).toHaveAttribute('data-recommended', 'true');
    expect(recommended).toHaveTextContent('(recommended)');
    expect(recommended).toBeEnabled();
    expect(levelButton('production', /^6 · Escalate/)).not.toHaveAttribute(
      'data-recommended',
    );
    expect(api.getServiceHealth).toHaveBeenCalledWith(
      { kind: 'Component', namespace: 'default', name: 'payments-api' },
      'production',
    );
  });

  it('says why a level cannot be used', async () => {
    await renderRollbackTab(fakeRollbackApi());
    await waitForHealth();
    // uat has no stable version and no flag on.
    const stable = levelButton('uat', /^2 · Roll back to stable/);
    expect(stable).toBeDisabled();
    await userEvent.hover(stable.parentElement!);
    expect(await screen.findByRole('tooltip')).toHaveTextContent(
      'No stable version is recorded in uat to return to.',
    );
    await userEvent.unhover(stable.parentElement!);
    await waitFor(() =>
      expect(screen.queryByRole('tooltip')).not.toBeInTheDocument(),
    );
    const flagOff = levelButton('uat', /^1 · Turn flags off/);
    expect(flagOff).toBeDisabled();
    await userEvent.hover(flagOff.parentElement!);
    expect(await screen.findByRole('tooltip')).toHaveTextContent(
      'No flag of the newest change is on in uat.',
    );
    // Escalating needs neither.
    expect(levelButton('uat', /^6 · Escalate/)).toBeEnabled();
  });

  it('disables every level for someone who is neither an owner nor on call', async () => {
    await renderRollbackTab(fakeRollbackApi(), {
      allow: [],
      entity: service('no-rollback-api'),
    });
    await waitForHealth();
    const escalate = levelButton('production', /^6 · Escalate/);
    await waitFor(() => expect(escalate).toBeDisabled());
    expect(screen.getByTestId('levels-blocker-production')).toHaveTextContent(
      'Only the service’s owners and the on-call group may roll it back.',
    );
    await userEvent.hover(escalate.parentElement!);
    expect(await screen.findByRole('tooltip')).toHaveTextContent(
      'Only the service’s owners and the on-call group may roll it back.',
    );
  });

  it('confirms what a level will do, sends the reason and shows the progress', async () => {
    let finish: (r: Rollback) => void = () => undefined;
    const started = rollback({ reason: 'x INC-42' });
    const api = fakeRollbackApi({
      startRollback: jest.fn(
        () => new Promise<Rollback>(resolve => (finish = resolve)),
      ),
      getRollback: jest.fn(async () => started),
    });
    await renderRollbackTab(api);
    await waitForHealth();
    await userEvent.click(
      levelButton('production', /^1 · Turn off new-checkout/),
    );
    const dialog = screen.getByRole('dialog', {
      name: 'Level 1 · Turn flags off in production',
    });
    expect(
      within(within(dialog).getByTestId('consequences'))
        .getAllByRole('listitem')
        .map(li => li.textContent),
    ).toEqual([
      'Turns off the flag “new-checkout” in production (cluster prod-eu, namespace payments), within seconds.',
      'The version stays as it is (ccccccc).',
      'The service’s deployment queue is locked and an incident is opened.',
    ]);
    const start = within(dialog).getByRole('button', { name: 'Start level 1' });
    expect(start).toBeDisabled();
    await userEvent.type(
      within(dialog).getByRole('textbox', { name: /Reason/ }),
      'x ',
    );
    expect(start).toBeDisabled();
    expect(within(dialog).getByTestId('rollback-blocker')).toHaveTextContent(
      'A reason is required (at least 3 characters).',
    );
    await userEvent.type(
      within(dialog).getByRole('textbox', { name: /Reason/ }),
      'INC-42',
    );
    await userEvent.click(start);
    expect(api.startRollback).toHaveBeenCalledWith(
      { kind: 'Component', namespace: 'default', name: 'payments-api' },
      {
        environment: 'production',
        level: 1,
        reason: 'x INC-42',
        flags: ['new-checkout'],
      },
    );
    expect(within(dialog).getByRole('progressbar')).toBeInTheDocument();
    expect(start).toBeDisabled();

    await act(async () => finish(started));
    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );
    const running = await screen.findByTestId('running-rollback');
    expect(
      screen.getByText('Rollback running in production'),
    ).toBeInTheDocument();
    expect(running).toHaveTextContent('x INC-42');
    expect(within(running).getByText('Turn flags off')).toBeInTheDocument();
    expect(within(running).getByText('Verify health')).toBeInTheDocument();
  });

  it('names the versions of a stable-version rollback, canary first', async () => {
    const api = fakeRollbackApi();
    await renderRollbackTab(api);
    await waitForHealth();
    await userEvent.click(
      levelButton('production', /^2 · Roll back to stable/),
    );
    const dialog = screen.getByRole('dialog', {
      name: 'Level 2 · Roll back to stable in production',
    });
    expect(within(dialog).getByTestId('consequences')).toHaveTextContent(
      'First returns canary from ccccccc to the stable version bbbbbbb.' +
        'Then returns production from ccccccc to the stable version bbbbbbb.',
    );
    await userEvent.type(
      within(dialog).getByRole('textbox', { name: /Reason/ }),
      'p95 too high',
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Start level 2' }),
    );
    expect(api.startRollback).toHaveBeenCalledWith(expect.anything(), {
      environment: 'production',
      level: 2,
      reason: 'p95 too high',
    });
  });

  it('shows the backend’s refusal while another rollback runs', async () => {
    const api = fakeRollbackApi({
      startRollback: jest.fn(async () => {
        throw await responseError(
          409,
          'Rollback RB-1700000000000-000009 of component:default/payments-api is running',
        );
      }),
    });
    await renderRollbackTab(api);
    await waitForHealth();
    await userEvent.click(levelButton('production', /^6 · Escalate/));
    const dialog = screen.getByRole('dialog', {
      name: 'Level 6 · Escalate in production',
    });
    await userEvent.type(
      within(dialog).getByRole('textbox', { name: /Reason/ }),
      'Nobody answers',
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Start level 6' }),
    );
    expect(
      await within(dialog).findByText(
        'Rollback RB-1700000000000-000009 of component:default/payments-api is running',
      ),
    ).toBeInTheDocument();
    expect(screen.getByRole('dialog')).toBeInTheDocument();
  });

  it('follows a running rollback and blocks new ones until it finishes', async () => {
    const signals = fakeSignals();
    let current = rollback({ requestedBy: 'user:default/grace' });
    const api = fakeRollbackApi({
      getRollbacks: jest.fn(async () => [current]),
      getRollback: jest.fn(async () => current),
    });
    await renderRollbackTab(api, { signalApi: signals.api });
    const running = await screen.findByTestId('running-rollback');
    expect(running).toHaveTextContent('grace');
    expect(
      within(running).getByLabelText('Rollback in progress'),
    ).toBeInTheDocument();
    await waitForHealth();
    expect(levelButton('production', /^6 · Escalate/)).toBeDisabled();
    expect(screen.getByTestId('levels-blocker-canary')).toHaveTextContent(
      'Rollback RB-1700000000000-000001 (level 1 in production) is running; wait until it finishes.',
    );

    current = rollback({
      status: 'succeeded',
      finishedAt: new Date().toISOString(),
      outcomeReason: 'Health restored',
      stages: [
        stage(0, 'production.flags-off', 'succeeded'),
        stage(1, 'production.verify', 'succeeded'),
      ],
    });
    const channel = 'delivery-rollback:component:default/payments-api';
    expect(signals.subscribers.has(channel)).toBe(true);
    act(() =>
      signals.subscribers.get(channel)!({
        entityRef: 'component:default/payments-api',
        environment: 'production',
        type: 'rollback',
        id: current.id,
      }),
    );
    await waitFor(() =>
      expect(screen.queryByTestId('running-rollback')).not.toBeInTheDocument(),
    );
    await waitFor(() =>
      expect(levelButton('production', /^6 · Escalate/)).toBeEnabled(),
    );
  });

  it('shows an environment whose metrics cannot be read without hiding the others', async () => {
    const api = fakeRollbackApi({
      getServiceHealth: jest.fn(async (_entity, environment: string) => {
        if (environment === 'canary') {
          throw await responseError(503, 'Prometheus did not answer');
        }
        return healthy(environment);
      }),
    });
    await renderRollbackTab(api);
    const canary = await screen.findByTestId('health-canary');
    expect(
      await within(canary).findByText('Prometheus did not answer'),
    ).toBeInTheDocument();
    expect(canary).toHaveTextContent(
      'The metrics of canary could not be read (503)',
    );
    expect(screen.getByTestId('decision-production')).toBeInTheDocument();
    expect(screen.getByTestId('decision-uat')).toBeInTheDocument();
    // Escalation needs no metrics; flags off needs the change's flags.
    expect(levelButton('canary', /^6 · Escalate/)).toBeEnabled();
    expect(levelButton('canary', /^1 · Turn flags off/)).toBeDisabled();

    (api.getServiceHealth as jest.Mock).mockImplementation(
      async (_entity, environment: string) => healthy(environment),
    );
    await userEvent.click(
      within(canary).getByRole('button', { name: 'Retry' }),
    );
    await waitFor(() =>
      expect(screen.getByTestId('decision-canary')).toBeInTheDocument(),
    );
    expect(
      within(canary).queryByText('Prometheus did not answer'),
    ).not.toBeInTheDocument();
  });

  it('lists the rollbacks, incidents and decisions', async () => {
    const api = fakeRollbackApi({
      getRollbacks: jest.fn(async () => [
        rollback({
          id: 'RB-1699999999999-000002',
          level: 2,
          automated: true,
          requestedBy: 'delivery',
          status: 'failed',
          outcomeReason: 'canary did not become ready',
          createdAt: '2026-01-01T10:00:00.000Z',
          finishedAt: '2026-01-01T10:04:05.000Z',
        }),
      ]),
      getIncidents: jest.fn(async () => [incident()]),
      getRollbackDecisions: jest.fn(async () => [decisionRecord()]),
    });
    await renderRollbackTab(api);

    const rollbacks = await screen.findByRole('region', { name: 'Rollbacks' });
    const rollbackRow = within(rollbacks).getAllByRole('row')[1];
    expect(rollbackRow).toHaveTextContent('2 · Roll back to stable');
    expect(rollbackRow).toHaveTextContent('automated (engine)');
    expect(rollbackRow).toHaveTextContent(
      'failed: canary did not become ready',
    );
    expect(rollbackRow).toHaveTextContent('4m 05s');

    const incidents = screen.getByRole('region', { name: 'Incidents' });
    const incidentRow = within(incidents).getAllByRole('row')[1];
    expect(incidentRow).toHaveTextContent('4m 05s');
    expect(incidentRow).toHaveTextContent('delivery');
    expect(
      within(incidentRow).getByRole('link', { name: 'GitHub issue' }),
    ).toHaveAttribute(
      'href',
      'https://github.local/acme/payments-api/issues/7',
    );

    const decisions = screen.getByRole('region', { name: 'Recent decisions' });
    const decisionRow = within(decisions).getAllByRole('row')[1];
    expect(decisionRow).toHaveTextContent('Level 2 · Roll back to stable');
    expect(decisionRow).toHaveTextContent('critical');
    expect(decisionRow).toHaveTextContent('p95 latency 3.10 s is over 2.00 s');
    expect(decisionRow).toHaveTextContent('p95 latency 3.10 s ⚠');
    expect(decisionRow).toHaveTextContent('RB-1699999999999-000002');
  });

  it('says when there is no history yet, and offers a retry when a list fails', async () => {
    const api = fakeRollbackApi({
      getIncidents: jest.fn(async () => {
        throw await responseError(500, 'Database is gone');
      }),
    });
    await renderRollbackTab(api);
    expect(
      await screen.findByText('No rollbacks of this service yet.'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'The decision engine has not decided anything for this service yet.',
      ),
    ).toBeInTheDocument();
    expect(await screen.findByText('Database is gone')).toBeInTheDocument();
    (api.getIncidents as jest.Mock).mockResolvedValue([]);
    await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(
      await screen.findByText('No incidents recorded for this service.'),
    ).toBeInTheDocument();
  });
});
