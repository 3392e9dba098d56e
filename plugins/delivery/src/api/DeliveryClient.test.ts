import { DeliveryClient } from './DeliveryClient';

describe('DeliveryClient', () => {
  const discoveryApi = {
    getBaseUrl: async () => 'http://backend/api/delivery',
  };

  it('calls the entity route through the app fetch', async () => {
    const fetch = jest.fn<
      Promise<Response>,
      Parameters<typeof globalThis.fetch>
    >(
      async () =>
        new Response(JSON.stringify({ entityRef: 'x', environments: [] })),
    );
    const client = new DeliveryClient({
      discoveryApi,
      fetchApi: { fetch },
    });
    await expect(
      client.getEnvironments({
        kind: 'Component',
        namespace: 'default',
        name: 'payments-api',
      }),
    ).resolves.toEqual({
      entityRef: 'x',
      environments: [],
    });
    expect(fetch).toHaveBeenCalledWith(
      'http://backend/api/delivery/entities/default/component/payments-api/environments',
      expect.objectContaining({ method: 'GET' }),
    );
  });

  it('sends bodies as JSON and repeats array query parameters', async () => {
    const fetch = jest.fn<
      Promise<Response>,
      Parameters<typeof globalThis.fetch>
    >(async () => new Response(JSON.stringify({ eligibility: [] })));
    const client = new DeliveryClient({
      discoveryApi,
      fetchApi: { fetch },
    });
    const entity = { kind: 'Component', namespace: 'default', name: 'api' };
    await client.getEligibility(entity, ['a'.repeat(40), 'b'.repeat(40)]);
    expect(fetch.mock.calls[0][0]).toBe(
      `http://backend/api/delivery/entities/default/component/api/eligibility?commit=${'a'.repeat(
        40,
      )}&commit=${'b'.repeat(40)}`,
    );
    fetch.mockResolvedValueOnce(new Response(JSON.stringify({})));
    await client.lockQueue(entity, 'Incident 42');
    expect(fetch.mock.calls[1][1]).toMatchObject({
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ reason: 'Incident 42' }),
    });
    fetch.mockResolvedValueOnce(new Response(JSON.stringify({})));
    await client.cancelDeployment('DEP-1-0', 'Freeze for the sale');
    expect(fetch.mock.calls[2][0]).toBe(
      'http://backend/api/delivery/deployments/DEP-1-0/cancel',
    );
    expect(fetch.mock.calls[2][1]).toMatchObject({
      method: 'POST',
      body: JSON.stringify({ reason: 'Freeze for the sale' }),
    });
  });

  it('throws a ResponseError carrying the backend message', async () => {
    const body = {
      error: {
        name: 'NotFoundError',
        message: 'No entity component:default/x in the catalog',
      },
      response: { statusCode: 404 },
    };
    const fetch = jest.fn<
      Promise<Response>,
      Parameters<typeof globalThis.fetch>
    >(
      async () =>
        new Response(JSON.stringify(body), {
          status: 404,
          headers: { 'Content-Type': 'application/json' },
        }),
    );
    const client = new DeliveryClient({
      discoveryApi,
      fetchApi: { fetch },
    });
    await expect(
      client.getCommits({ kind: 'component', namespace: 'default', name: 'x' }),
    ).rejects.toMatchObject({
      name: 'ResponseError',
      statusCode: 404,
      body: {
        error: { message: 'No entity component:default/x in the catalog' },
      },
    });
  });

  describe('flags', () => {
    const entity = {
      kind: 'Component',
      namespace: 'Default',
      name: 'Payments-API',
    };
    const base =
      'http://backend/api/delivery/entities/default/component/payments-api/flags';

    function client(...responses: Response[]) {
      const fetch = jest.fn<
        Promise<Response>,
        Parameters<typeof globalThis.fetch>
      >();
      for (const r of responses) fetch.mockResolvedValueOnce(r);
      return {
        fetch,
        client: new DeliveryClient({ discoveryApi, fetchApi: { fetch } }),
      };
    }
    const json = (value: unknown, status = 200) =>
      new Response(JSON.stringify(value), {
        status,
        headers: { 'Content-Type': 'application/json' },
      });

    it('reads the flags, with archived ones only when asked', async () => {
      const flags = {
        entityRef: 'component:default/payments-api',
        environments: ['uat', 'production'],
        approvalRequired: ['production'],
        flags: [],
        pending: [],
      };
      const { fetch, client: c } = client(json(flags), json(flags));
      await expect(c.getFlags(entity)).resolves.toEqual(flags);
      await c.getFlags(entity, { archived: true });
      expect(fetch.mock.calls[0][0]).toBe(base);
      expect(fetch.mock.calls[0][1]).toMatchObject({ method: 'GET' });
      expect(fetch.mock.calls[1][0]).toBe(`${base}?archived=true`);
    });

    it('creates a flag and reads one', async () => {
      const flag = { key: 'new-checkout' };
      const { fetch, client: c } = client(json(flag, 201), json(flag));
      const request = {
        key: 'new-checkout',
        type: 'boolean' as const,
        change: 'PAY-142',
      };
      await expect(c.createFlag(entity, request)).resolves.toEqual(flag);
      expect(fetch.mock.calls[0][0]).toBe(base);
      expect(fetch.mock.calls[0][1]).toMatchObject({
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(request),
      });
      await c.getFlag(entity, 'new-checkout');
      expect(fetch.mock.calls[1][0]).toBe(`${base}/new-checkout`);
    });

    it('tells an applied change (200) from one waiting for approval (202)', async () => {
      const applied = { flag: { key: 'new-checkout' } };
      const waiting = {
        flag: { key: 'new-checkout' },
        pending: { id: 'chg-1', status: 'pending' },
      };
      const { fetch, client: c } = client(json(applied), json(waiting, 202));
      await expect(
        c.changeFlag(entity, 'new-checkout', 'uat', {
          action: 'rollout',
          percent: 10,
        }),
      ).resolves.toEqual({ result: applied, pending: false });
      expect(fetch.mock.calls[0][0]).toBe(
        `${base}/new-checkout/environments/uat`,
      );
      expect(fetch.mock.calls[0][1]).toMatchObject({
        method: 'POST',
        body: JSON.stringify({ action: 'rollout', percent: 10 }),
      });
      await expect(
        c.changeFlag(entity, 'new-checkout', 'production', {
          action: 'toggle',
          enabled: true,
          reason: 'Launch',
        }),
      ).resolves.toEqual({ result: waiting, pending: true });
    });

    it('throws the 422 of a change with the problem the backend named', async () => {
      const problem =
        'environments.uat.targeting.fractional[0][0]: "onn" is not a variant of this flag';
      const { client: c } = client(
        json(
          {
            error: { name: 'InputError', message: problem },
            response: { statusCode: 422 },
          },
          422,
        ),
      );
      await expect(
        c.changeFlag(entity, 'new-checkout', 'uat', {
          action: 'targeting',
          targeting: { fractional: [['onn', 10]] },
        }),
      ).rejects.toMatchObject({
        name: 'ResponseError',
        statusCode: 422,
        body: { error: { message: problem } },
      });
    });

    it('kills, archives, reads the history and previews', async () => {
      const history = [{ id: 'h2' }, { id: 'h1' }];
      const results = [{ targetingKey: 'u1', variant: 'on', reason: 'SPLIT' }];
      const { fetch, client: c } = client(
        json({ key: 'new-checkout' }),
        json({ key: 'new-checkout' }),
        json({ key: 'new-checkout' }),
        json({ history }),
        json({ results }),
      );
      await c.killFlag(entity, 'new-checkout', {
        reason: 'INC-42 errors',
      });
      expect(fetch.mock.calls[0][0]).toBe(`${base}/new-checkout/kill`);
      expect(fetch.mock.calls[0][1]).toMatchObject({
        method: 'POST',
        body: JSON.stringify({ reason: 'INC-42 errors' }),
      });
      await c.archiveFlag(entity, 'new-checkout');
      expect(fetch.mock.calls[1][0]).toBe(`${base}/new-checkout/archive`);
      expect(fetch.mock.calls[1][1]?.body).toBeUndefined();
      await c.archiveFlag(entity, 'new-checkout', 'Shipped');
      expect(fetch.mock.calls[2][1]?.body).toBe(
        JSON.stringify({ reason: 'Shipped' }),
      );
      await expect(c.getFlagHistory(entity, 'new-checkout')).resolves.toEqual(
        history,
      );
      expect(fetch.mock.calls[3][0]).toBe(`${base}/new-checkout/history`);
      const request = {
        environment: 'uat',
        contexts: [{ targetingKey: 'u1', country: 'NL' }],
      };
      await expect(
        c.previewFlag(entity, 'new-checkout', request),
      ).resolves.toEqual(results);
      expect(fetch.mock.calls[4][0]).toBe(`${base}/new-checkout/preview`);
      expect(fetch.mock.calls[4][1]?.body).toBe(JSON.stringify(request));
    });

    it('approves and rejects pending changes by id', async () => {
      const { fetch, client: c } = client(
        json({ id: 'chg 1', status: 'approved' }),
        json({ id: 'chg 1', status: 'rejected' }),
      );
      await expect(c.approveFlagChange('chg 1')).resolves.toMatchObject({
        status: 'approved',
      });
      expect(fetch.mock.calls[0][0]).toBe(
        'http://backend/api/delivery/flag-changes/chg%201/approve',
      );
      await c.rejectFlagChange('chg 1', 'Not during the sale');
      expect(fetch.mock.calls[1][0]).toBe(
        'http://backend/api/delivery/flag-changes/chg%201/reject',
      );
      expect(fetch.mock.calls[1][1]?.body).toBe(
        JSON.stringify({ reason: 'Not during the sale' }),
      );
    });

    it('throws the 403 of a requester approving their own change', async () => {
      const { client: c } = client(
        json(
          {
            error: {
              name: 'NotAllowedError',
              message:
                'You requested this change; someone else must approve it',
            },
            response: { statusCode: 403 },
          },
          403,
        ),
      );
      await expect(c.approveFlagChange('chg-1')).rejects.toMatchObject({
        statusCode: 403,
      });
    });
  });

  describe('rollbacks', () => {
    const entity = {
      kind: 'Component',
      namespace: 'default',
      name: 'Payments-API',
    };
    const base =
      'http://backend/api/delivery/entities/default/component/payments-api';
    const json = (value: unknown, status = 200) =>
      new Response(JSON.stringify(value), {
        status,
        headers: { 'Content-Type': 'application/json' },
      });
    function client(...responses: Response[]) {
      const fetch = jest.fn<
        Promise<Response>,
        Parameters<typeof globalThis.fetch>
      >();
      for (const r of responses) fetch.mockResolvedValueOnce(r);
      return {
        fetch,
        client: new DeliveryClient({ discoveryApi, fetchApi: { fetch } }),
      };
    }

    it('reads the health of one environment and the lists', async () => {
      const { fetch, client: c } = client(
        json({ environment: 'canary' }),
        json({ items: [{ id: 'RB-1' }] }),
        json({ items: [{ id: 'inc-1' }] }),
        json({ items: [{ id: 'd-1' }] }),
        json({ items: [] }),
        json({ id: 'RB-1' }),
      );
      await expect(c.getServiceHealth(entity, 'canary')).resolves.toEqual({
        environment: 'canary',
      });
      expect(fetch.mock.calls[0][0]).toBe(`${base}/health?environment=canary`);
      await expect(c.getRollbacks(entity)).resolves.toEqual([{ id: 'RB-1' }]);
      expect(fetch.mock.calls[1][0]).toBe(`${base}/rollbacks`);
      await expect(c.getIncidents(entity)).resolves.toEqual([{ id: 'inc-1' }]);
      expect(fetch.mock.calls[2][0]).toBe(`${base}/incidents`);
      await expect(c.getRollbackDecisions(entity)).resolves.toEqual([
        { id: 'd-1' },
      ]);
      expect(fetch.mock.calls[3][0]).toBe(`${base}/rollback-decisions`);
      await c.getRollbackDecisions(entity, 'production');
      expect(fetch.mock.calls[4][0]).toBe(
        `${base}/rollback-decisions?environment=production`,
      );
      await c.getRollback('RB-1');
      expect(fetch.mock.calls[5][0]).toBe(
        'http://backend/api/delivery/rollbacks/RB-1',
      );
    });

    it('starts a rollback and throws the 409 while another runs', async () => {
      const request = {
        environment: 'production',
        level: 1 as const,
        reason: 'Errors on checkout',
        flags: ['new-checkout'],
      };
      const { fetch, client: c } = client(
        json({ rollback: { id: 'RB-1', status: 'running' } }, 202),
        json(
          {
            error: { name: 'ConflictError', message: 'RB-1 is running' },
            response: { statusCode: 409 },
          },
          409,
        ),
      );
      await expect(c.startRollback(entity, request)).resolves.toEqual({
        id: 'RB-1',
        status: 'running',
      });
      expect(fetch.mock.calls[0][0]).toBe(`${base}/rollbacks`);
      expect(fetch.mock.calls[0][1]).toMatchObject({
        method: 'POST',
        body: JSON.stringify(request),
      });
      await expect(c.startRollback(entity, request)).rejects.toMatchObject({
        statusCode: 409,
      });
    });
  });

  describe('DORA', () => {
    const base = 'http://backend/api/delivery/dora';
    function client(...responses: Response[]) {
      const fetch = jest.fn<
        Promise<Response>,
        Parameters<typeof globalThis.fetch>
      >();
      for (const r of responses) fetch.mockResolvedValueOnce(r);
      return {
        fetch,
        client: new DeliveryClient({ discoveryApi, fetchApi: { fetch } }),
      };
    }
    const from = '2026-09-04T00:00:00+02:00';

    it('reads the metrics of a service or a group with the period', async () => {
      const { fetch, client: c } = client(
        new Response(JSON.stringify({ scope: { kind: 'entity' } })),
        new Response(JSON.stringify({ scope: { kind: 'group' } })),
      );
      await expect(
        c.getDora({
          entity: 'component:default/payments-api',
          from,
          interval: 'day',
        }),
      ).resolves.toEqual({ scope: { kind: 'entity' } });
      // The offset's + is encoded, or it would arrive as a space.
      expect(fetch.mock.calls[0][0]).toBe(
        `${base}?entity=component%3Adefault%2Fpayments-api&from=2026-09-04T00%3A00%3A00%2B02%3A00&interval=day`,
      );
      expect(fetch.mock.calls[0][1]).toMatchObject({ method: 'GET' });
      await c.getDora({ group: 'group:default/acme' });
      expect(fetch.mock.calls[1][0]).toBe(
        `${base}?group=group%3Adefault%2Facme`,
      );
    });

    it('reads a page of the details as JSON', async () => {
      const { fetch, client: c } = client(
        new Response(JSON.stringify({ kind: 'commits', total: 0 })),
      );
      await expect(
        c.getDoraDetails({
          group: 'group:default/acme',
          from: '2026-09-03T22:00:00.000Z',
          to: '2026-11-26T10:00:00.000Z',
          kind: 'commits',
          limit: 20,
          offset: 40,
        }),
      ).resolves.toEqual({ kind: 'commits', total: 0 });
      expect(fetch.mock.calls[0][0]).toBe(
        `${base}/details?group=group%3Adefault%2Facme&from=2026-09-03T22%3A00%3A00.000Z&to=2026-11-26T10%3A00%3A00.000Z&kind=commits&limit=20&offset=40`,
      );
    });

    it('downloads the CSV through the authenticated fetch, with the backend’s file name', async () => {
      const csv = 'deployedAt,entityRef\r\n2026-11-26T09:00:00.000Z,x\r\n';
      const { fetch, client: c } = client(
        new Response(csv, {
          headers: {
            'Content-Type': 'text/csv; charset=utf-8',
            'Content-Disposition':
              'attachment; filename="dora-deployments-payments-api.csv"',
          },
        }),
        new Response(csv, { headers: { 'Content-Type': 'text/csv' } }),
        new Response(
          JSON.stringify({
            error: { name: 'InputError', message: 'from is after to' },
            response: { statusCode: 400 },
          }),
          { status: 400, headers: { 'Content-Type': 'application/json' } },
        ),
      );
      const query = {
        entity: 'component:default/payments-api',
        kind: 'deployments' as const,
      };
      const file = await c.getDoraDetailsCsv(query);
      expect(fetch.mock.calls[0][0]).toBe(
        `${base}/details?entity=component%3Adefault%2Fpayments-api&kind=deployments&format=csv`,
      );
      expect(file.filename).toBe('dora-deployments-payments-api.csv');
      expect(await file.blob.text()).toBe(csv);
      await expect(c.getDoraDetailsCsv(query)).resolves.not.toHaveProperty(
        'filename',
      );
      await expect(c.getDoraDetailsCsv(query)).rejects.toMatchObject({
        name: 'ResponseError',
        statusCode: 400,
      });
    });
  });

  describe('ephemeral environments', () => {
    const entity = {
      kind: 'Component',
      namespace: 'Default',
      name: 'Payments-API',
    };
    const root = 'http://backend/api/delivery';
    const id = 'ENV-1700000000000-000001';
    function client(...responses: Response[]) {
      const fetch = jest.fn<
        Promise<Response>,
        Parameters<typeof globalThis.fetch>
      >();
      for (const r of responses) fetch.mockResolvedValueOnce(r);
      return {
        fetch,
        client: new DeliveryClient({ discoveryApi, fetchApi: { fetch } }),
      };
    }
    const json = (value: unknown, status = 200) =>
      new Response(JSON.stringify(value), {
        status,
        headers: { 'Content-Type': 'application/json' },
      });

    it('lists the service’s environments and creates one from a branch', async () => {
      const list = { items: [], settings: { enabled: true } };
      const created = { id, branch: 'deploy/try-this', status: 'creating' };
      const { fetch, client: c } = client(json(list), json(created, 202));
      await expect(c.getEphemeralEnvironments(entity)).resolves.toEqual(list);
      expect(fetch.mock.calls[0][0]).toBe(
        `${root}/entities/default/component/payments-api/ephemeral-environments`,
      );
      expect(fetch.mock.calls[0][1]).toMatchObject({ method: 'GET' });

      const request = { branch: 'deploy/try-this', ttlMinutes: 240 };
      await expect(
        c.createEphemeralEnvironment(entity, request),
      ).resolves.toEqual(created);
      expect(fetch.mock.calls[1][0]).toBe(
        `${root}/entities/default/component/payments-api/ephemeral-environments`,
      );
      expect(fetch.mock.calls[1][1]).toMatchObject({
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(request),
      });
    });

    it('reads, extends, deletes and pins one environment by id', async () => {
      const env = { id, status: 'ready' };
      const { fetch, client: c } = client(
        json(env),
        json(env),
        json(env),
        json(env),
      );
      await c.getEphemeralEnvironment(id);
      expect(fetch.mock.calls[0][0]).toBe(
        `${root}/ephemeral-environments/${id}`,
      );
      expect(fetch.mock.calls[0][1]).toMatchObject({ method: 'GET' });

      await c.extendEphemeralEnvironment(id, 60);
      expect(fetch.mock.calls[1][0]).toBe(
        `${root}/ephemeral-environments/${id}/extend`,
      );
      expect(fetch.mock.calls[1][1]).toMatchObject({
        method: 'POST',
        body: JSON.stringify({ minutes: 60 }),
      });

      await c.deleteEphemeralEnvironment(id);
      expect(fetch.mock.calls[2][0]).toBe(
        `${root}/ephemeral-environments/${id}`,
      );
      expect(fetch.mock.calls[2][1]).toMatchObject({ method: 'DELETE' });

      await c.setEphemeralPersistence(id, true);
      expect(fetch.mock.calls[3][0]).toBe(
        `${root}/ephemeral-environments/${id}/persistent`,
      );
      expect(fetch.mock.calls[3][1]).toMatchObject({
        method: 'PUT',
        body: JSON.stringify({ persistent: true }),
      });
    });

    it('runs the sweep and throws the 409 of a branch that has one', async () => {
      const sweep = { deleted: ['payments-api-old-0123456789'], failed: [] };
      const { fetch, client: c } = client(
        json({ ...sweep, durationMs: 12 }),
        json(
          {
            error: {
              name: 'ConflictError',
              message: 'deploy/try-this already has an environment',
            },
            response: { statusCode: 409 },
          },
          409,
        ),
      );
      await expect(c.sweepEphemeralEnvironments()).resolves.toMatchObject(
        sweep,
      );
      expect(fetch.mock.calls[0][0]).toBe(
        `${root}/ephemeral-environments/sweep`,
      );
      expect(fetch.mock.calls[0][1]).toMatchObject({ method: 'POST' });
      await expect(
        c.createEphemeralEnvironment(entity, { branch: 'deploy/try-this' }),
      ).rejects.toMatchObject({
        name: 'ResponseError',
        statusCode: 409,
        body: {
          error: { message: 'deploy/try-this already has an environment' },
        },
      });
    });
  });
});
