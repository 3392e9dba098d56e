import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { Entity } from '@backstage/catalog-model';
import { Sandbox, buildSeed, startSandbox } from '@internal/sandbox';
import request from 'supertest';
import deliveryPlugin from './index';
import { createTestBackendDatabase } from './__testUtils__/databases';
import { sandboxConfig, seedComponent } from '../dev/replicas';

/*
 * What the Deployments tab costs GitHub, through HTTP: the routes the tab calls on open, against
 * the sandbox's GitHub (which counts calls the way GitHub charges them), and the per-user limit
 * of eligibility checks.
 */

jest.setTimeout(60_000);

const database = createTestBackendDatabase();
const ADA = 'user:default/ada';
const GRACE = 'user:default/grace';
const HOPPER = 'user:default/hopper';
const ENTITY = '/api/delivery/entities/default/component/payments-api';

function component(name: string): Entity {
  return seedComponent(
    buildSeed(Date.now()).services.find(x => x.name === name)!,
  );
}

describe('the GitHub budget of the Deployments tab', () => {
  let sandbox: Sandbox;
  let server: Awaited<ReturnType<typeof startTestBackend>>['server'];

  beforeAll(async () => {
    sandbox = await startSandbox({
      traffic: { tickMs: 1000, rps: 10, seed: 3 },
    });
    ({ server } = await startTestBackend({
      features: [
        await database(),
        deliveryPlugin,
        mockServices.httpAuth.factory({
          defaultCredentials: mockCredentials.none(),
        }),
        catalogServiceMock.factory({ entities: [component('payments-api')] }),
        mockServices.rootConfig.factory({
          data: sandboxConfig(sandbox, {
            github: {
              host: 'sandbox.github',
              eligibilityRateLimit: { requests: 3, per: { minutes: 10 } },
            },
          }),
        }),
      ],
    }));
  });

  afterAll(async () => {
    await sandbox?.close();
  });

  const get = (path: string, user: string) =>
    request(server)
      .get(path)
      .set('Authorization', mockCredentials.user.header(user));

  /** The GitHub-backed routes the tab calls on open: commits, then their eligibility. */
  async function tabView(user: string) {
    const commits = await get(`${ENTITY}/commits`, user);
    expect(commits.status).toBe(200);
    const shas: string[] = commits.body.commits.map((c: any) => c.sha);
    const query = shas.map(s => `commit=${s}`).join('&');
    return {
      shas,
      eligibility: await get(`${ENTITY}/eligibility?${query}`, user),
    };
  }

  it('costs GitHub no rate-limited call when the tab is opened again', async () => {
    sandbox.github.resetCalls();
    const cold = await tabView(GRACE);
    expect(cold.eligibility.status).toBe(200);
    expect(cold.shas).toHaveLength(20);
    // Cold: CI of each of the 20 commits (check runs and statuses) at least.
    expect(sandbox.github.calls().rateLimited).toBeGreaterThanOrEqual(40);

    sandbox.github.resetCalls();
    const warm = await tabView(GRACE);
    expect(warm.eligibility.body).toEqual(cold.eligibility.body);
    expect(sandbox.github.calls()).toMatchObject({ rateLimited: 0 });
  });

  it('answers 429 with Retry-After to a user past the eligibility limit, and still serves another', async () => {
    const sha = (await get(`${ENTITY}/commits`, ADA)).body.commits[0].sha;
    const ask = (user: string) =>
      get(`${ENTITY}/eligibility?commit=${sha}`, user);
    for (let i = 0; i < 3; i++) expect((await ask(ADA)).status).toBe(200);

    const refused = await ask(ADA);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(200);
    expect(refused.body.error.message).toMatch(
      /Too many eligibility checks by user:default\/ada: at most 3 every 10 min.*try again in \d+ s/,
    );

    // Another user is served meanwhile, and does not refill Ada's bucket.
    expect((await ask(HOPPER)).status).toBe(200);
    expect((await ask(ADA)).status).toBe(429);
  });
});
