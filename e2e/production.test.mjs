// Production mode, end to end: the backend built with `yarn build:backend` is unpacked into a
// temporary directory the way packages/backend/Dockerfile unpacks it (the skeleton, `yarn
// workspaces focus --all --production`, the bundle, app-config*.yaml), started with the
// Dockerfile's command (app-config.yaml + app-config.production.yaml) plus one test file, with
// NODE_ENV=production and the variables app-config.production.yaml names, on a fresh set of
// PostgreSQL databases, against a sandbox of its own. It serves the production build of the app
// and performs one deployment through the HTTP API.
//
// What the test file changes from production, and why:
// - the sandbox's addresses for GitHub (apiBaseUrl) and the clusters (plain http, so
//   skipTLSVerify), the sandbox metrics provider instead of Prometheus, short health windows;
// - the demo catalog (examples/), and a database name prefix so the run owns its databases;
// - sign-in: production has no sign-in provider of ours (you add your organisation's), and the
//   delivery routes take only user principals (a deployment has a requester who must own the
//   service), so a static service token cannot request one. The test enables the guest provider
//   with `dangerouslyAllowOutsideDevelopment: true`, the switch that provider requires outside
//   development, and acts as the demo's guest user, a member of the owning team.
//
// PostgreSQL: DELIVERY_TEST_POSTGRES_URL (scripts/test.sh sets it from --postgres), else
// postgresql://postgres@127.0.0.1:5432. Logs: test-results/production-*.log.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import {
  answers,
  freePort,
  resultsDir,
  root,
  startGroup,
  startSandbox,
  stopGroup,
  waitFor,
} from './portal.mjs';

const dockerfile = readFileSync(
  join(root, 'packages/backend/Dockerfile'),
  'utf8',
);
const productionYaml = readFileSync(
  join(root, 'app-config.production.yaml'),
  'utf8',
);

/** The variables app-config.production.yaml reads, in order of appearance. */
const productionVariables = [
  ...new Set([...productionYaml.matchAll(/\$\{(\w+)\}/g)].map(m => m[1])),
];

/** Whole seconds since `start` (a Date.now()). */
const since = start => Math.round((Date.now() - start) / 1000);

/** Runs a command to completion, output to test-results/<logName>; resolves with its seconds. */
function run(command, args, { cwd = root, env = {}, logName }) {
  const started = Date.now();
  const log = openSync(join(resultsDir, logName), 'w');
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', code => {
      if (code === 0) resolve(since(started));
      else
        reject(
          new Error(
            `${command} ${args.join(
              ' ',
            )} exited ${code}; see test-results/${logName}`,
          ),
        );
    });
  });
}

describe('the production configuration', () => {
  test('app-config.production.yaml over app-config.yaml keeps none of the demo sandbox settings', async () => {
    // Every variable set, each to a value of its own, as an operator would.
    const env = Object.fromEntries(
      productionVariables.map(name => [
        name,
        name.endsWith('_URL')
          ? `https://${name.toLowerCase().replace(/_/g, '-')}.example.com`
          : `${name.toLowerCase()}-value`,
      ]),
    );
    await run(
      'yarn',
      [
        'backstage-cli',
        'config:print',
        '--config',
        join(root, 'app-config.yaml'),
        '--config',
        join(root, 'app-config.production.yaml'),
        '--with-secrets',
        '--format',
        'json',
      ],
      { env, logName: 'production-config.log' },
    );
    const printed = readFileSync(
      join(resultsDir, 'production-config.log'),
      'utf8',
    );
    const config = JSON.parse(printed.slice(printed.indexOf('{')));

    const demoValues = [];
    (function walk(value, path) {
      if (typeof value === 'string') {
        if (/127\.0\.0\.1|localhost|sandbox/.test(value)) {
          demoValues.push(`${path}: ${value}`);
        }
      } else if (value && typeof value === 'object') {
        for (const [key, v] of Object.entries(value)) walk(v, `${path}.${key}`);
      }
    })(config, '');
    assert.deepEqual(demoValues, [], 'demo settings carried into production');

    assert.deepEqual(config.delivery.metrics, {
      provider: 'prometheus',
      window: '1m',
      prometheus: { baseUrl: env.PROMETHEUS_URL },
    });
    assert.equal(config.delivery.onCall.group, env.DELIVERY_ONCALL_GROUP);
    // The demo's short health windows and its Jenkins are gone: the pipeline's defaults apply.
    assert.equal(config.delivery.pipeline, undefined);
    assert.equal(config.delivery.jenkins, undefined);
    assert.equal(config.backend.database.client, 'pg');
    assert.equal(config.backend.baseUrl, env.BACKEND_BASE_URL);
    assert.equal(config.app.baseUrl, env.APP_BASE_URL);
  });

  test('the README names every variable app-config.production.yaml reads', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const start = readme.indexOf('## Pointing the portal at real systems');
    assert.ok(start >= 0, 'README has the section');
    const end = readme.indexOf('\n## ', start + 1);
    const section = readme.slice(start, end < 0 ? undefined : end);
    assert.ok(productionVariables.length > 10);
    const missing = productionVariables.filter(
      name => !section.includes(`\`${name}\``),
    );
    assert.deepEqual(missing, []);
  });
});

describe('the built backend', () => {
  const postgresUrl = new URL(
    process.env.DELIVERY_TEST_POSTGRES_URL ??
      'postgresql://postgres@127.0.0.1:5432',
  );
  // The backend creates one database per plugin, named <prefix><plugin id>.
  const prefix = `delivery_prod_test_${Date.now()}_${process.pid}_`;
  const started = [];
  const timings = {};
  let tmp;
  let backendUrl;
  let backendProcess;
  let sandbox;

  async function adminQuery(sql, params, database = 'postgres') {
    const url = new URL(postgresUrl);
    url.pathname = `/${database}`;
    const client = new pg.Client({
      connectionString: url.href,
      connectionTimeoutMillis: 5_000,
    });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows;
    } finally {
      await client.end();
    }
  }

  async function dropDatabases() {
    const rows = await adminQuery(
      'select datname from pg_database where starts_with(datname, $1)',
      [prefix],
    );
    for (const { datname } of rows) {
      await adminQuery(`drop database "${datname}" with (force)`);
    }
  }

  before(
    async () => {
      try {
        await adminQuery('select 1');
      } catch (error) {
        throw new Error(
          `the production test needs PostgreSQL at ${postgresUrl.href} (set DELIVERY_TEST_POSTGRES_URL or pass --postgres to scripts/test.sh): ${error.message}`,
        );
      }
      const beforeStart = Date.now();
      tmp = mkdtempSync(join(tmpdir(), 'delivery-production-'));

      // The two archives the Dockerfile copies.
      timings.buildSeconds = await run('yarn', ['build:backend'], {
        logName: 'production-build.log',
      });

      // The Dockerfile's steps, in its order, in the temporary directory.
      for (const file of [
        '.yarnrc.yml',
        'backstage.json',
        'yarn.lock',
        'package.json',
      ]) {
        assert.ok(dockerfile.includes(file), `the Dockerfile copies ${file}`);
        copyFileSync(join(root, file), join(tmp, file));
      }
      await run(
        'tar',
        ['xzf', join(root, 'packages/backend/dist/skeleton.tar.gz')],
        { cwd: tmp, logName: 'production-unpack.log' },
      );
      const install = ['workspaces', 'focus', '--all', '--production'];
      assert.ok(dockerfile.includes(`yarn ${install.join(' ')}`));
      // Offline: from the cache the repository's own install filled.
      timings.installSeconds = await run('yarn', install, {
        cwd: tmp,
        env: { NODE_ENV: 'production', YARN_ENABLE_OFFLINE_MODE: '1' },
        logName: 'production-install.log',
      });
      await run(
        'tar',
        ['xzf', join(root, 'packages/backend/dist/bundle.tar.gz')],
        { cwd: tmp, logName: 'production-unpack.log' },
      );
      for (const file of readdirSync(root).filter(f =>
        /^app-config.*\.yaml$/.test(f),
      )) {
        copyFileSync(join(root, file), join(tmp, file));
      }

      const sandboxStart = Date.now();
      ({ sandbox } = await startSandbox(
        tmp,
        started,
        'production-sandbox.log',
      ));
      timings.sandboxSeconds = since(sandboxStart);
      const sandboxPorts = [
        sandbox.githubUrl,
        sandbox.trafficUrl,
        sandbox.jenkinsUrl,
        sandbox.pagerdutyUrl,
        ...Object.values(sandbox.clusterUrls),
      ].map(u => Number(new URL(u).port));
      const port = await freePort(sandboxPorts);
      backendUrl = `http://127.0.0.1:${port}`;

      const overrideFile = join(tmp, 'app-config.test.yaml');
      // JSON is YAML.
      writeFileSync(
        overrideFile,
        JSON.stringify(
          {
            backend: { listen: `:${port}`, database: { prefix } },
            auth: {
              providers: {
                guest: {
                  userEntityRef: 'user:default/guest',
                  dangerouslyAllowOutsideDevelopment: true,
                },
              },
            },
            integrations: {
              github: [
                {
                  host: 'github.com',
                  apiBaseUrl: sandbox.githubUrl,
                  token: 'sandbox-token',
                },
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
            catalog: {
              locations: [
                { type: 'file', target: join(root, 'examples/entities.yaml') },
                {
                  type: 'file',
                  target: join(root, 'examples/org.yaml'),
                  rules: [{ allow: ['User', 'Group'] }],
                },
              ],
            },
            delivery: {
              // Any free port for flagd's gRPC sync: the demo portal may hold 8015.
              flags: { sync: { grpc: { host: '127.0.0.1', port: 0 } } },
              // An escalation pages this test's sandbox, never PagerDuty itself.
              pagerduty: { baseUrl: sandbox.pagerdutyUrl },
              metrics: {
                provider: 'sandbox',
                window: '15s',
                sandbox: { baseUrl: sandbox.trafficUrl },
              },
              pipeline: {
                tick: '1s',
                pollInterval: '1s',
                verification: Object.fromEntries(
                  ['uat', 'canary', 'production'].map(env => [
                    env,
                    { window: '5s', interval: '1s' },
                  ]),
                ),
              },
            },
          },
          null,
          2,
        ),
      );

      // The Dockerfile's command, plus the test file.
      const cmd = JSON.parse(dockerfile.match(/^CMD (\[.*\])$/m)[1]);
      assert.equal(cmd[0], 'node');
      const env = {
        NODE_ENV: 'production',
        APP_BASE_URL: backendUrl,
        BACKEND_BASE_URL: backendUrl,
        POSTGRES_HOST: postgresUrl.hostname,
        POSTGRES_PORT: postgresUrl.port || '5432',
        POSTGRES_USER: decodeURIComponent(postgresUrl.username || 'postgres'),
        // Ignored by a server that trusts local connections.
        POSTGRES_PASSWORD: decodeURIComponent(postgresUrl.password) || 'unused',
        GITHUB_TOKEN: 'sandbox-token',
        // Unused: the test file picks the sandbox metrics provider.
        PROMETHEUS_URL: 'http://127.0.0.1:9',
        DELIVERY_ONCALL_GROUP: 'group:default/oncall',
        FLAGD_SYNC_TOKEN: 'sandbox-flagd-token',
        PAGERDUTY_ROUTING_KEY: 'sandboxpagerdutyroutingkey000001',
        GITHUB_WEBHOOK_SECRET: 'production-test-webhook-secret',
        EPHEMERAL_APP_URL_TEMPLATE: 'https://{{namespace}}.preview.example.com',
        EPHEMERAL_DASHBOARD_URL_TEMPLATE:
          'https://grafana.example.com/d/ns?var-namespace={{namespace}}',
        ...Object.fromEntries(
          Object.entries(sandbox.clusterUrls).flatMap(([name, url]) => [
            [`K8S_${name.toUpperCase()}_URL`, url],
            [`K8S_${name.toUpperCase()}_TOKEN`, 'sandbox'],
          ]),
        ),
      };
      const unset = productionVariables.filter(
        name => env[name] === undefined && !name.endsWith('_CA_DATA'),
      );
      assert.deepEqual(unset, [], 'every variable production reads is set');

      const startedAt = Date.now();
      backendProcess = startGroup(
        'the built backend',
        process.execPath,
        [...cmd.slice(1), '--config', overrideFile],
        env,
        'production-backend.log',
        tmp,
      );
      started.push(backendProcess);
      await waitFor(
        `${backendUrl}/api/delivery/health answered`,
        () => answers(`${backendUrl}/api/delivery/health`),
        180_000,
        [backendProcess],
      );
      timings.startSeconds = since(startedAt);
      timings.setupSeconds = since(beforeStart);
    },
    { timeout: 900_000 },
  );

  after(async () => {
    let start = Date.now();
    for (const p of [...started].reverse()) await stopGroup(p);
    timings.stopSeconds = since(start);
    start = Date.now();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    timings.removeSeconds = since(start);
    await dropDatabases().catch(error => {
      // Reported by before() when PostgreSQL is unreachable.
      console.error(`could not drop the test databases: ${error.message}`);
    });
    writeFileSync(
      join(resultsDir, 'production-timings.json'),
      `${JSON.stringify(timings, null, 2)}\n`,
    );
  });

  test('serves the production build of the app from the bundle', async t => {
    t.diagnostic(
      `set-up ${timings.setupSeconds} s: yarn build:backend ${timings.buildSeconds} s, yarn workspaces focus --all --production ${timings.installSeconds} s, sandbox ${timings.sandboxSeconds} s, backend ready ${timings.startSeconds} s (test-results/production-timings.json)`,
    );
    const log = readFileSync(
      join(resultsDir, 'production-backend.log'),
      'utf8',
    );
    assert.ok(
      log.includes(
        `Serving static app content from ${join(tmp, 'packages/app/dist')}`,
      ),
      'the app comes from the unpacked bundle',
    );

    for (const path of ['/', '/catalog/default/component/payments-api']) {
      const res = await fetch(`${backendUrl}${path}`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type'), /^text\/html/);
      const html = await res.text();
      assert.match(html, /<div id="root"><\/div>/);
      // The app's configuration, injected by the backend at runtime.
      const injected = JSON.parse(
        html.match(
          /<script type="backstage\.io\/config">([\s\S]*?)<\/script>/,
        )[1],
      );
      assert.ok(
        injected.some(({ data }) => data?.backend?.baseUrl === backendUrl),
      );
      // The bundled scripts it loads are there.
      const scripts = [...html.matchAll(/<script[^>]+src="([^"]+\.js)"/g)].map(
        m => m[1],
      );
      assert.ok(scripts.length > 0, 'the page loads scripts');
      for (const src of scripts) {
        const js = await fetch(new URL(src, backendUrl));
        assert.equal(js.status, 200, src);
        assert.match(js.headers.get('content-type'), /javascript/);
      }
    }
  });

  test('performs a deployment on PostgreSQL: request, start, succeeded in every environment', async () => {
    // Signed in as the catalog's guest user once the catalog has read examples/org.yaml: only
    // then does the token carry the membership of team-payments, payments-api's owner.
    const backstageIdentity = await waitFor(
      'the guest signs in as a member of team-payments',
      async () => {
        const refresh = await fetch(`${backendUrl}/api/auth/guest/refresh`);
        assert.equal(refresh.status, 200);
        const identity = (await refresh.json()).backstageIdentity;
        return identity.identity.ownershipEntityRefs.includes(
          'group:default/team-payments',
        )
          ? identity
          : undefined;
      },
      120_000,
      [backendProcess],
    );
    const api = async (path, init = {}) => {
      const res = await fetch(`${backendUrl}/api/delivery${path}`, {
        ...init,
        headers: {
          Authorization: `Bearer ${backstageIdentity.token}`,
          'Content-Type': 'application/json',
        },
      });
      return { status: res.status, body: await res.json() };
    };
    const service = '/entities/default/component/payments-api';

    // The catalog reads the demo entities in the background.
    const commits = await waitFor(
      'payments-api is in the catalog',
      async () => {
        const res = await api(`${service}/commits`);
        return res.status === 200 ? res.body.commits : undefined;
      },
      120_000,
      [backendProcess],
    );
    const commit = commits.find(c => c.message === 'Document the public API');
    assert.ok(commit, 'the demo commit is there');

    const requested = await api(`${service}/deployments`, {
      method: 'POST',
      body: JSON.stringify({ commitSha: commit.sha }),
    });
    assert.equal(requested.status, 201, JSON.stringify(requested.body));
    const { token, status } = requested.body.deployment;
    assert.equal(status, 'called');

    const start = await api(`/deployments/${token}/start`, { method: 'POST' });
    assert.equal(start.status, 200, JSON.stringify(start.body));

    const finished = await waitFor(
      `${token} finished`,
      async () => {
        const { body } = await api(`/deployments/${token}`);
        return ['succeeded', 'rolled_back', 'failed', 'cancelled'].includes(
          body.status,
        )
          ? body
          : undefined;
      },
      240_000,
      [backendProcess],
    );
    assert.equal(finished.status, 'succeeded', finished.reason);
    assert.deepEqual(
      finished.stages.filter(s => s.status !== 'succeeded').map(s => s.name),
      [],
    );

    // Every cluster runs the commit, asked independently of the portal.
    for (const [name, url] of Object.entries(sandbox.clusterUrls)) {
      const res = await fetch(
        `${url}/apis/apps/v1/namespaces/payments/deployments/payments-api`,
      );
      const deployment = await res.json();
      assert.equal(
        deployment.metadata.annotations['delivery.backstage.io/commit-sha'],
        commit.sha,
        name,
      );
    }

    // The run is in this test's PostgreSQL database.
    const rows = await adminQuery(
      'select status, commit_sha from delivery_deployments where token = $1',
      [token],
      `${prefix}delivery`,
    );
    assert.deepEqual(rows, [{ status: 'succeeded', commit_sha: commit.sha }]);
  });
});
