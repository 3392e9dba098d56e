// A portal of the browser tests' own, isolated from the demo that `scripts/start.sh` runs: its
// own sandbox on free ports (SANDBOX_PORTS, all 0), its own backend and frontend on free ports,
// and SQLite in a fresh directory under the OS temp dir. It is configured with app-config.yaml
// plus one more file written to that temp dir (`--config` twice; later files win, and arrays
// such as integrations.github and kubernetes.clusterLocatorMethods are replaced whole, so they
// are restated here with the sandbox's addresses). Nothing here reads or writes `.data/`, and it
// runs while the demo runs. Logs go to test-results/sandbox.log and test-results/portal.log.
import { spawn } from 'node:child_process';
import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const resultsDir = join(root, 'test-results');

/** The demo's GitHub webhook secret (app-config.yaml's delivery.dora.github.webhookSecret). */
export const WEBHOOK_SECRET = 'sandbox-demo-webhook-secret';

/** Process groups started here and not yet stopped, and temp dirs not yet removed. */
const groups = new Set();
const tempDirs = new Set();

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function groupAlive(pid) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

// Whatever way this process ends, nothing it started outlives it.
process.on('exit', () => {
  for (const pid of groups) killGroup(pid, 'SIGKILL');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
]) {
  process.once(signal, () => process.exit(code));
}

/** Whether `port` can be bound on `host` right now (hosts without that address family count as free). */
function canListen(port, host) {
  return new Promise(resolve => {
    const server = createServer();
    server.once('error', error =>
      resolve(['EADDRNOTAVAIL', 'EAFNOSUPPORT'].includes(error.code)),
    );
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/**
 * A port free on both loopback addresses (the frontend dev server listens on `localhost`) and not
 * in `taken`. Another process could take it before the portal binds it; the portal then fails to
 * start and says so in its log.
 */
export async function freePort(taken) {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port: p } = server.address();
        server.close(() => resolve(p));
      });
    });
    if (!taken.includes(port) && (await canListen(port, '::1'))) return port;
  }
  throw new Error('no free port found');
}

/**
 * Starts `command` in a process group of its own (in `cwd`, the repository by default), output to
 * `logName` under test-results/.
 */
export function startGroup(name, command, args, env, logName, cwd = root) {
  const log = openSync(join(resultsDir, logName), 'w');
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const started = { name, child, logName, error: undefined };
  // E.g. `yarn` not on the PATH (source scripts/bootstrap.sh first).
  child.once('error', error => {
    started.error = error;
  });
  if (child.pid !== undefined) groups.add(child.pid);
  return started;
}

export async function waitFor(what, check, timeoutMs, processes) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await check().catch(() => undefined);
    if (result) return result;
    for (const p of processes) {
      if (p.error) {
        throw new Error(`${p.name} did not start: ${p.error.message}`);
      }
      if (p.child.exitCode !== null || p.child.signalCode !== null) {
        throw new Error(
          `${p.name} exited (${
            p.child.exitCode ?? p.child.signalCode
          }) before ${what}; see test-results/${p.logName}`,
        );
      }
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${what} did not happen within ${timeoutMs} ms; see ${processes
          .map(p => `test-results/${p.logName}`)
          .join(', ')}`,
      );
    }
    await new Promise(r => setTimeout(r, 300));
  }
}

export async function answers(url) {
  const res = await fetch(url);
  return res.ok ? res : undefined;
}

/** Stops a process group: SIGTERM, then SIGKILL after `graceMs`; resolves when all of it is gone. */
export async function stopGroup({ child }, graceMs = 10_000) {
  const pid = child.pid;
  if (pid === undefined) return;
  killGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (groupAlive(pid) && Date.now() < deadline) {
    await new Promise(r => setTimeout(r, 200));
  }
  if (groupAlive(pid)) killGroup(pid, 'SIGKILL');
  while (groupAlive(pid)) await new Promise(r => setTimeout(r, 100));
  groups.delete(pid);
}

/**
 * Starts a sandbox of its own on free ports (its process added to `started`), writing its URLs to
 * a file in `tmp`; resolves with them once it listens. With `webhookUrl`, its GitHub sends signed
 * webhooks there (the DORA history, then what changes), retrying until the portal is up.
 */
export async function startSandbox(
  tmp,
  started,
  logName = 'sandbox.log',
  { flagsPort, webhookUrl } = {},
) {
  const urlsFile = join(tmp, 'sandbox-urls.json');
  const sandboxProcess = startGroup(
    'the sandbox',
    'yarn',
    ['workspace', '@internal/sandbox', 'start'],
    {
      SANDBOX_PORTS: JSON.stringify({
        github: 0,
        clusters: { uat: 0, canary: 0, production: 0 },
        traffic: 0,
        jenkins: 0,
        pagerduty: 0,
      }),
      SANDBOX_URLS_FILE: urlsFile,
      // The portal's flagd gRPC sync, which the simulated services read their flags from.
      ...(flagsPort ? { SANDBOX_FLAGS_PORT: String(flagsPort) } : {}),
      ...(webhookUrl
        ? {
            SANDBOX_GITHUB_WEBHOOK_URL: webhookUrl,
            SANDBOX_GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET,
          }
        : {}),
    },
    logName,
  );
  started.push(sandboxProcess);
  const sandbox = await waitFor(
    'the sandbox listened',
    async () =>
      existsSync(urlsFile)
        ? JSON.parse(readFileSync(urlsFile, 'utf8'))
        : undefined,
    60_000,
    [sandboxProcess],
  );
  const sandboxPorts = [
    sandbox.githubUrl,
    sandbox.trafficUrl,
    sandbox.jenkinsUrl,
    sandbox.pagerdutyUrl,
    ...Object.values(sandbox.clusterUrls),
  ].map(u => Number(new URL(u).port));
  return { sandboxProcess, sandbox, sandboxPorts };
}

/**
 * The configuration layered over app-config.yaml: the demo's settings with the sandbox's
 * addresses, the portal's own ports and a temporary SQLite directory.
 */
function portalConfig({
  sandbox,
  appUrl,
  backendUrl,
  backendPort,
  sqliteDir,
  flagsPort,
  templateFile,
}) {
  const githubHost = new URL(sandbox.githubUrl).host.replace(
    '127.0.0.1',
    'localhost',
  );
  return {
    app: { baseUrl: appUrl },
    backend: {
      baseUrl: backendUrl,
      listen: { port: backendPort },
      cors: { origin: appUrl },
      database: { connection: { directory: sqliteDir } },
    },
    integrations: {
      github: [
        {
          host: githubHost,
          apiBaseUrl: sandbox.githubUrl,
          token: 'sandbox-token',
        },
        // The sandbox's links (html_url, clone_url): where publish:github pushes and
        // catalog:register reads, as in app-config.yaml.
        {
          host: new URL(sandbox.githubUrl).host,
          apiBaseUrl: sandbox.githubUrl,
          token: 'sandbox-token',
        },
      ],
    },
    // The demo's catalog, with the Flag-ready service template pointed at this portal's sandbox
    // GitHub instead of the demo's (localhost:7010).
    catalog: {
      locations: [
        { type: 'file', target: join(root, 'examples/entities.yaml') },
        {
          type: 'file',
          target: join(root, 'examples/org.yaml'),
          rules: [{ allow: ['User', 'Group'] }],
        },
        {
          type: 'file',
          target: templateFile,
          rules: [{ allow: ['Template'] }],
        },
      ],
    },
    kubernetes: {
      clusterLocatorMethods: [
        {
          type: 'config',
          clusters: Object.entries(sandbox.clusterUrls).map(([name, url]) => ({
            name,
            url,
            authProvider: 'serviceAccount',
            serviceAccountToken: 'sandbox',
            skipTLSVerify: true,
          })),
        },
      ],
    },
    delivery: {
      github: { host: githubHost },
      metrics: { sandbox: { baseUrl: sandbox.trafficUrl } },
      jenkins: { baseUrl: sandbox.jenkinsUrl },
      flags: { sync: { grpc: { host: '127.0.0.1', port: flagsPort } } },
      // Escalations page this portal's own sandbox, never the demo's.
      pagerduty: { baseUrl: sandbox.pagerdutyUrl },
      // The secret this portal's sandbox signs its GitHub webhooks with.
      dora: { github: { webhookSecret: WEBHOOK_SECRET } },
      // Environment links open this portal's own sandbox pages; environments live 45 s unless
      // extended and are swept every 5 s, so the browser test sees one expire and go.
      ephemeral: {
        ttl: { seconds: 45 },
        sweepInterval: { seconds: 5 },
        appUrlTemplate: `${sandbox.clusterUrls.uat}/_sandbox/apps/{{namespace}}`,
        dashboardUrlTemplate: `${sandbox.clusterUrls.uat}/_sandbox/dashboards/{{namespace}}`,
      },
      // Only the rollback engine may catch a bad change here: the pipeline's own verification
      // needs more unhealthy samples in a row than a test lasts, so the browser test shows what
      // the engine decided and did, not whichever of the two was first.
      pipeline: { consecutiveBreaches: 1000 },
    },
  };
}

/**
 * A copy of examples/templates/flag-ready-service in `tmp` whose repository host is `githubHost`
 * (this portal's sandbox GitHub) instead of the demo's; returns its template.yaml.
 */
function copyTemplate(tmp, githubHost) {
  const dir = join(tmp, 'flag-ready-service');
  cpSync(join(root, 'examples/templates/flag-ready-service'), dir, {
    recursive: true,
  });
  const file = join(dir, 'template.yaml');
  const text = readFileSync(file, 'utf8');
  if (!text.includes('localhost:7010')) {
    throw new Error(`${file} no longer names the demo's GitHub localhost:7010`);
  }
  writeFileSync(file, text.replaceAll('localhost:7010', githubHost));
  return file;
}

/** The frontend configuration the dev server put into its index.html, merged in order. */
function servedBackendBaseUrl(html) {
  const match = html.match(
    /<script type="backstage\.io\/config">([\s\S]*?)<\/script>/,
  );
  if (!match) return undefined;
  let baseUrl;
  for (const { data } of JSON.parse(match[1])) {
    baseUrl = data?.backend?.baseUrl ?? baseUrl;
  }
  return baseUrl;
}

/**
 * Starts the isolated portal and resolves once the backend and the frontend answer. Returns its
 * URLs (`appUrl` for the browser; `backendUrl` on 127.0.0.1 for API calls; the sandbox's
 * `clusterUrls`, `githubUrl`, `trafficUrl`, `jenkinsUrl`) and `stop()`, which ends every process
 * it started and removes its temporary directory.
 */
export async function startPortal({ timeoutMs = 240_000 } = {}) {
  mkdirSync(resultsDir, { recursive: true });
  const tmp = mkdtempSync(join(tmpdir(), 'delivery-e2e-'));
  tempDirs.add(tmp);
  const started = [];
  const stop = async () => {
    // The portal first (it polls the sandbox), then the sandbox.
    for (const p of [...started].reverse()) await stopGroup(p);
    rmSync(tmp, { recursive: true, force: true });
    tempDirs.delete(tmp);
  };
  try {
    // The portal's flagd gRPC sync port and backend port, chosen first: the sandbox connects to
    // the first and sends its GitHub webhooks to the second (retrying until the portal is up).
    const flagsPort = await freePort([]);
    const backendPort = await freePort([flagsPort]);
    const { sandboxProcess, sandbox, sandboxPorts } = await startSandbox(
      tmp,
      started,
      'sandbox.log',
      {
        flagsPort,
        webhookUrl: `http://127.0.0.1:${backendPort}/api/events/http/github`,
      },
    );
    if (sandboxPorts.includes(backendPort)) {
      throw new Error(
        `the sandbox took port ${backendPort}, chosen for the backend; run the test again`,
      );
    }

    const appPort = await freePort([...sandboxPorts, backendPort, flagsPort]);
    const appUrl = `http://localhost:${appPort}`;
    const backendUrl = `http://localhost:${backendPort}`;
    const sqliteDir = join(tmp, 'sqlite');
    mkdirSync(sqliteDir);
    const configFile = join(tmp, 'app-config.e2e.yaml');
    const templateFile = copyTemplate(
      tmp,
      new URL(sandbox.githubUrl).host.replace('127.0.0.1', 'localhost'),
    );
    // JSON is YAML.
    writeFileSync(
      configFile,
      JSON.stringify(
        portalConfig({
          sandbox,
          appUrl,
          backendUrl,
          backendPort,
          sqliteDir,
          flagsPort,
          templateFile,
        }),
        null,
        2,
      ),
    );

    // What scripts/start.sh runs after the sandbox, with the two config files instead of the
    // default app-config.yaml (--config replaces the default list; backend and frontend both get it).
    const portalProcess = startGroup(
      'the portal',
      'yarn',
      [
        'backstage-cli',
        'repo',
        'start',
        '--config',
        join(root, 'app-config.yaml'),
        '--config',
        configFile,
      ],
      { NODE_ENV: 'development', BROWSER: 'none' },
      'portal.log',
    );
    started.push(portalProcess);
    const processes = [sandboxProcess, portalProcess];
    const apiUrl = `http://127.0.0.1:${backendPort}`;
    await waitFor(
      `${apiUrl}/api/delivery/health answered`,
      () => answers(`${apiUrl}/api/delivery/health`),
      timeoutMs,
      processes,
    );
    const index = await waitFor(
      `${appUrl}/ answered`,
      () => answers(`${appUrl}/`).then(res => res?.text()),
      timeoutMs,
      processes,
    );

    // The processes started here are the ones answering: the backend keeps its databases in the
    // temporary directory, and the frontend calls this backend.
    if (!readdirSync(sqliteDir).some(f => f.endsWith('.sqlite'))) {
      throw new Error(
        `the backend wrote no database into ${sqliteDir}; see test-results/portal.log`,
      );
    }
    const served = servedBackendBaseUrl(index);
    if (served !== backendUrl) {
      throw new Error(
        `the frontend at ${appUrl} calls ${served}, not ${backendUrl}`,
      );
    }
    return {
      appUrl,
      backendUrl: apiUrl,
      githubUrl: sandbox.githubUrl,
      clusterUrls: sandbox.clusterUrls,
      trafficUrl: sandbox.trafficUrl,
      jenkinsUrl: sandbox.jenkinsUrl,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
