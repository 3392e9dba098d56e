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
});
