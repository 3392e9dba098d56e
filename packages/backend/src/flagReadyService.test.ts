import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import catalogModuleScaffolderEntityModel from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import scaffolderModuleGithub from '@backstage/plugin-scaffolder-backend-module-github';
import deliveryPlugin from '@internal/plugin-delivery-backend';
import scaffolderModuleDelivery from '@internal/plugin-scaffolder-backend-module-delivery';
import { Sandbox, startSandbox } from '@internal/sandbox';
import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import request from 'supertest';
import { parse as parseYaml } from 'yaml';

/*
 * The "Flag-ready service" template (examples/templates/flag-ready-service) run through the
 * scaffolder's real task runner, with the real catalog, the real publish:github (isomorphic-git
 * over smart HTTP), our delivery actions and the delivery backend, against the sandbox's GitHub
 * and its three clusters. The repository is cloned back with the git CLI.
 */

jest.setTimeout(240_000);

const ROOT = resolve(__dirname, '../../..');
const TEMPLATE_DIR = join(ROOT, 'examples/templates/flag-ready-service');
const GUEST = 'user:default/guest';
const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';

function run(
  file: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
) {
  return new Promise<{ code: number; stdout: string; stderr: string }>(done => {
    execFile(
      file,
      args,
      { ...options, timeout: 60_000 },
      (error, stdout, stderr) =>
        done({
          code: error ? Number((error as any).code) || 1 : 0,
          stdout: String(stdout),
          stderr: String(stderr),
        }),
    );
  });
}

describe('the Flag-ready service template', () => {
  let sandbox: Sandbox;
  let server: Awaited<ReturnType<typeof startTestBackend>>['server'];
  let work: string;
  let host: string;

  beforeAll(async () => {
    sandbox = await startSandbox({ rolloutStepMs: 20 });
    host = new URL(sandbox.githubUrl).host;
    work = mkdtempSync(join(tmpdir(), 'flag-ready-service-'));
    // The template as the demo registers it, pointed at this test's sandbox GitHub instead of
    // the demo's (localhost:7010).
    const template = join(work, 'template');
    cpSync(TEMPLATE_DIR, template, { recursive: true });
    const yamlPath = join(template, 'template.yaml');
    const text = readFileSync(yamlPath, 'utf8');
    if (!text.includes('localhost:7010?owner=acme')) {
      throw new Error(`${yamlPath} no longer publishes to localhost:7010`);
    }
    writeFileSync(yamlPath, text.replaceAll('localhost:7010', host));
    writeFileSync(join(work, 'kubeconfig'), '');

    const integration = {
      host,
      apiBaseUrl: sandbox.githubUrl,
      token: sandbox.githubToken,
    };
    ({ server } = await startTestBackend({
      features: [
        catalogPlugin,
        catalogModuleScaffolderEntityModel,
        scaffolderPlugin,
        scaffolderModuleGithub,
        scaffolderModuleDelivery,
        deliveryPlugin,
        // Who the guest is, as the auth backend resolves it from examples/org.yaml.
        mockServices.userInfo.mock({
          getUserInfo: async credentials => {
            const ref = (credentials.principal as { userEntityRef: string })
              .userEntityRef;
            return {
              userEntityRef: ref,
              ownershipEntityRefs:
                ref === GUEST
                  ? [
                      GUEST,
                      'group:default/team-payments',
                      'group:default/oncall',
                    ]
                  : [ref],
            };
          },
        }).factory,
        mockServices.rootConfig.factory({
          data: {
            app: { baseUrl: 'http://localhost:3000' },
            integrations: { github: [integration] },
            catalog: {
              rules: [
                {
                  allow: [
                    'Component',
                    'System',
                    'API',
                    'Resource',
                    'Location',
                    'Group',
                    'User',
                    'Template',
                  ],
                },
              ],
              locations: [
                { type: 'file', target: join(ROOT, 'examples/org.yaml') },
                { type: 'file', target: yamlPath },
              ],
            },
            kubernetes: {
              clusterLocatorMethods: [
                {
                  type: 'config',
                  clusters: Object.entries(sandbox.clusterUrls).map(
                    ([name, url]) => ({
                      name,
                      url,
                      authProvider: 'serviceAccount',
                      serviceAccountToken: 'sandbox',
                      skipTLSVerify: true,
                    }),
                  ),
                },
              ],
            },
            delivery: {
              github: { host },
              environments: ['uat', 'canary', 'production'].map(name => ({
                name,
                cluster: name,
              })),
              requestTimeout: { seconds: 5 },
              flags: { sync: { grpc: { host: '127.0.0.1', port: 0 } } },
            },
          },
        }),
      ],
    }));
    // The template and the owners are in the catalog before anyone creates a task.
    await eventually(async () => {
      const found = await request(server)
        .get(
          '/api/catalog/entities/by-name/template/default/flag-ready-service',
        )
        .set('Authorization', mockCredentials.user.header(GUEST));
      if (found.status !== 200) throw new Error('no template yet');
      const team = await request(server)
        .get('/api/catalog/entities/by-name/group/default/team-payments')
        .set('Authorization', mockCredentials.user.header(GUEST));
      if (team.status !== 200) throw new Error('no team-payments yet');
    });
  });

  afterAll(async () => {
    await sandbox?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  async function eventually<T>(
    check: () => Promise<T>,
    timeoutMs = 60_000,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await check();
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise(r => setTimeout(r, 250));
      }
    }
  }

  const values = (overrides: Record<string, unknown> = {}) => ({
    name: 'greeting-service',
    owner: 'group:default/team-payments',
    description: 'Says hello, behind a flag',
    flagKey: 'friendly-greeting',
    regulated: true,
    ...overrides,
  });

  const createTask = (taskValues: Record<string, unknown>) =>
    request(server)
      .post('/api/scaffolder/v2/tasks')
      .set('Authorization', mockCredentials.user.header(GUEST))
      .send({
        templateRef: 'template:default/flag-ready-service',
        values: taskValues,
      });

  /** The task once it has finished, with its log. */
  async function finished(id: string) {
    const task = await eventually(async () => {
      const response = await request(server)
        .get(`/api/scaffolder/v2/tasks/${id}`)
        .set('Authorization', mockCredentials.user.header(GUEST));
      expect(['completed', 'failed', 'cancelled']).toContain(
        response.body.status,
      );
      return response.body;
    }, 180_000);
    const events = await request(server)
      .get(`/api/scaffolder/v2/tasks/${id}/events`)
      .set('Authorization', mockCredentials.user.header(GUEST));
    const log = (events.body as any[])
      .map(e => e.body?.message)
      .filter(Boolean)
      .join('\n');
    return { status: task.status as string, log };
  }

  const repository = (name: string) =>
    request(sandbox.githubUrl)
      .get(`/repos/acme/${name}`)
      .set('Authorization', `token ${sandbox.githubToken}`);

  const kubectl = (cluster: string, ...args: string[]) =>
    run(
      KUBECTL,
      [
        '--server',
        sandbox.clusterUrls[cluster],
        '--token',
        'sandbox',
        '--insecure-skip-tls-verify',
        '--cache-dir',
        join(work, 'kube-cache'),
        ...args,
      ],
      {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: work,
          KUBECONFIG: join(work, 'kubeconfig'),
        },
      },
    );

  it('creates the repository, the catalog entry, the flag (off everywhere) and the environments', async () => {
    const created = await createTask(values());
    expect(created.status).toBe(201);
    const { status, log } = await finished(created.body.id);
    if (status !== 'completed') throw new Error(`Task ${status}:\n${log}`);

    // The repository, cloned back with git: the rendered files.
    const clone = join(work, 'clone');
    const cloned = await run('git', [
      'clone',
      `${sandbox.githubUrl.replace(
        '://',
        `://x-access-token:${sandbox.githubToken}@`,
      )}/acme/greeting-service.git`,
      clone,
    ]);
    expect(cloned.stderr).not.toMatch(/fatal/);
    expect(cloned.code).toBe(0);
    const info = parseYaml(
      readFileSync(join(clone, 'catalog-info.yaml'), 'utf8'),
    );
    expect(info.metadata.name).toBe('greeting-service');
    expect(info.spec.owner).toBe('group:default/team-payments');
    expect(info.metadata.annotations).toMatchObject({
      'github.com/project-slug': 'acme/greeting-service',
      'backstage.io/kubernetes-id': 'greeting-service',
      'delivery.backstage.io/regulated': 'true',
    });
    for (const file of [
      'src/server.ts',
      'k8s/deployment.yaml',
      'k8s/service.yaml',
      '.github/workflows/ci.yaml',
      'README.md',
      'package.json',
    ]) {
      expect(existsSync(join(clone, file))).toBe(true);
    }
    expect(
      readFileSync(join(clone, 'src/config.ts'), 'utf8') +
        readFileSync(join(clone, 'src/server.ts'), 'utf8'),
    ).toContain('friendly-greeting');

    // The new repository: topics, and its pushed commit with CI checks.
    const repo = await repository('greeting-service');
    expect(repo.status).toBe(200);
    expect(repo.body.default_branch).toBe('main');

    // The catalog has the component, owned by the chosen team.
    const entity = await eventually(async () => {
      const response = await request(server)
        .get('/api/catalog/entities/by-name/component/default/greeting-service')
        .set('Authorization', mockCredentials.user.header(GUEST));
      expect(response.status).toBe(200);
      return response.body;
    });
    expect(entity.spec.owner).toBe('group:default/team-payments');

    // Its flag exists, off in every environment.
    const flags = await request(server)
      .get('/api/delivery/entities/default/component/greeting-service/flags')
      .set('Authorization', mockCredentials.user.header(GUEST));
    expect(flags.status).toBe(200);
    const flag = flags.body.flags.find(
      (f: any) => f.key === 'friendly-greeting',
    );
    expect(flag.environments.map((e: any) => [e.environment, e.on])).toEqual([
      ['uat', false],
      ['canary', false],
      ['production', false],
    ]);

    // Its workload is in every environment, where kubectl finds it.
    for (const cluster of ['uat', 'canary', 'production']) {
      const found = await kubectl(
        cluster,
        'get',
        'deployments',
        '-n',
        'greeting-service',
        '-l',
        'backstage.io/kubernetes-id=greeting-service',
        '-o',
        'name',
      );
      expect(found.stdout.trim()).toBe('deployment.apps/greeting-service');
    }

    // The Deployments tab: the pushed commit, with green checks once CI has run.
    await eventually(async () => {
      const commits = await request(server)
        .get(
          '/api/delivery/entities/default/component/greeting-service/commits',
        )
        .set('Authorization', mockCredentials.user.header(GUEST));
      expect(commits.status).toBe(200);
      expect(commits.body.commits[0].ci.state).toBe('success');
    });
  });

  it('refuses a name that is not DNS-safe, and creates nothing', async () => {
    // The scaffolder checks the values against the template's parameter schema: no task at all.
    const created = await createTask(values({ name: 'Greeting_Service' }));
    expect(created.status).toBe(400);
    expect(JSON.stringify(created.body)).toContain('does not match pattern');
    expect((await repository('Greeting_Service')).status).toBe(404);
  });

  it("refuses an owner that is not in the catalog, or not the person's team, before anything is made", async () => {
    const unknown = await createTask(
      values({ name: 'orphan-service', owner: 'group:default/nobody' }),
    );
    expect(unknown.status).toBe(201);
    const first = await finished(unknown.body.id);
    expect(first.status).toBe('failed');
    expect(first.log).toContain(
      'The owner group:default/nobody is not a group in the catalog',
    );
    expect((await repository('orphan-service')).status).toBe(404);

    // The guest is not in team-storefront: its flags and workload would be refused half-way.
    const foreign = await createTask(
      values({
        name: 'foreign-service',
        owner: 'group:default/team-storefront',
      }),
    );
    const second = await finished(foreign.body.id);
    expect(second.status).toBe('failed');
    expect(second.log).toContain(
      'user:default/guest is not a member of group:default/team-storefront',
    );
    expect((await repository('foreign-service')).status).toBe(404);
  });

  it('refuses a repository that exists, and a retry finishes once it is out of the way', async () => {
    // Someone made acme/taken-service by hand.
    const taken = await request(sandbox.githubUrl)
      .post('/orgs/acme/repos')
      .set('Authorization', `token ${sandbox.githubToken}`)
      .send({ name: 'taken-service' });
    expect(taken.status).toBe(201);

    const created = await createTask(values({ name: 'taken-service' }));
    expect(created.status).toBe(201);
    const first = await finished(created.body.id);
    expect(first.status).toBe('failed');
    expect(first.log).toContain('name already exists on this account');
    const entity = await request(server)
      .get('/api/catalog/entities/by-name/component/default/taken-service')
      .set('Authorization', mockCredentials.user.header(GUEST));
    expect(entity.status).toBe(404);

    // The hand-made repository is removed; the same task, retried, finishes.
    const removed = await request(sandbox.githubUrl)
      .delete('/repos/acme/taken-service')
      .set('Authorization', `token ${sandbox.githubToken}`);
    expect(removed.status).toBe(204);
    const retried = await request(server)
      .post(`/api/scaffolder/v2/tasks/${created.body.id}/retry`)
      .set('Authorization', mockCredentials.user.header(GUEST))
      .send({});
    expect(retried.status).toBe(201);
    const second = await eventually(async () => {
      const response = await request(server)
        .get(`/api/scaffolder/v2/tasks/${created.body.id}`)
        .set('Authorization', mockCredentials.user.header(GUEST));
      expect(response.body.status).toBe('completed');
      return response.body;
    }, 180_000);
    expect(second.status).toBe('completed');
    const flags = await request(server)
      .get('/api/delivery/entities/default/component/taken-service/flags')
      .set('Authorization', mockCredentials.user.header(GUEST));
    expect(flags.body.flags.map((f: any) => f.key)).toEqual([
      'friendly-greeting',
    ]);
  });
});
