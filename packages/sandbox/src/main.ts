/*
 * Starts the sandbox until SIGINT/SIGTERM, on the demo ports (DEFAULT_SANDBOX_PORTS) unless
 * SANDBOX_PORTS says otherwise (JSON, see parseSandboxPorts in ports.ts; 0 picks a free port).
 * SANDBOX_HOST overrides the listen address (default 127.0.0.1). With SANDBOX_URLS_FILE, the
 * servers' URLs are written there as JSON ({ githubUrl, clusterUrls, trafficUrl, jenkinsUrl,
 * pagerdutyUrl }) once all of them listen, so a caller that asked for free ports learns which
 * ones it got.
 * SANDBOX_FLAGS_PORT (and SANDBOX_FLAGS_HOST, default 127.0.0.1) points the simulated services at
 * the portal's flagd sync server: the demo's bad commit then hurts only the users its flag is
 * rolled out to. Without it, the bad commit is unhealthy for every request.
 * SANDBOX_GITHUB_WEBHOOK_URL and SANDBOX_GITHUB_WEBHOOK_SECRET (both, or neither) make the sandbox
 * GitHub send signed webhooks there (the portal's /api/events/http/github): at start the demo's
 * DORA history (unless SANDBOX_GITHUB_WEBHOOK_HISTORY=false) and the create and push of the demo's
 * deploy/faster-checkout branch, then pushes, branches created and deleted, issues, merged pull
 * requests and deployment statuses as they happen; each is retried until the portal takes it.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { startSandbox } from './index';
import { parseFlagsAddress, parseSandboxPorts } from './ports';

async function main() {
  const flags = parseFlagsAddress(
    process.env.SANDBOX_FLAGS_PORT,
    process.env.SANDBOX_FLAGS_HOST,
  );
  const webhookUrl = process.env.SANDBOX_GITHUB_WEBHOOK_URL?.trim();
  const webhookSecret = process.env.SANDBOX_GITHUB_WEBHOOK_SECRET;
  if (!webhookUrl !== !webhookSecret) {
    throw new Error(
      'Set both SANDBOX_GITHUB_WEBHOOK_URL and SANDBOX_GITHUB_WEBHOOK_SECRET, or neither',
    );
  }
  const sandbox = await startSandbox({
    ports: parseSandboxPorts(process.env.SANDBOX_PORTS),
    host: process.env.SANDBOX_HOST,
    flags,
    ...(webhookUrl && webhookSecret
      ? {
          webhooks: {
            url: webhookUrl,
            secret: webhookSecret,
            history: process.env.SANDBOX_GITHUB_WEBHOOK_HISTORY !== 'false',
            log: (line: string) => process.stdout.write(`sandbox: ${line}\n`),
          },
        }
      : {}),
  });
  process.stdout.write(
    `sandbox: GitHub API at ${sandbox.githubUrl} (repositories created through it are served over git at ${sandbox.githubUrl}/<owner>/<repo>.git)\n`,
  );
  for (const [name, url] of Object.entries(sandbox.clusterUrls)) {
    process.stdout.write(`sandbox: Kubernetes cluster ${name} at ${url}\n`);
  }
  process.stdout.write(
    `sandbox: simulated traffic at ${sandbox.trafficUrl} (/metrics, /health, /analysis, /series, /_sandbox/faults)\n`,
  );
  process.stdout.write(
    `sandbox: Jenkins at ${sandbox.jenkinsUrl} (user ${sandbox.jenkinsCredentials.username})\n`,
  );
  process.stdout.write(
    `sandbox: PagerDuty Events API v2 at ${sandbox.pagerdutyUrl} (routing key ${sandbox.pagerdutyRoutingKey}; incidents at /_sandbox/incidents)\n`,
  );
  if (flags) {
    process.stdout.write(
      `sandbox: services read their flags from the flag sync server at ${
        flags.host
      }:${flags.port} (${Object.keys(sandbox.flagDomains).join(', ')})\n`,
    );
  }
  let stopping = false;
  const webhooks = sandbox.webhooks;
  if (webhooks) {
    process.stdout.write(
      `sandbox: GitHub webhooks to ${webhooks.url} (signed), starting with ${sandbox.historyDeliveries} deliveries of DORA history and ${sandbox.pushDeliveries} of the demo's deploy/faster-checkout branch (create, push)\n`,
    );
    const history = sandbox.historyDeliveries;
    webhooks.idle().then(() => {
      const { delivered, dropped } = webhooks.stats();
      if (history > 0 && !stopping) {
        process.stdout.write(
          `sandbox: DORA history sent: ${delivered} deliveries taken, ${dropped} dropped\n`,
        );
      }
    });
  }
  const urlsFile = process.env.SANDBOX_URLS_FILE;
  if (urlsFile) {
    // Written whole, then renamed, so a reader never sees half a file.
    writeFileSync(
      `${urlsFile}.tmp`,
      JSON.stringify({
        githubUrl: sandbox.githubUrl,
        clusterUrls: sandbox.clusterUrls,
        trafficUrl: sandbox.trafficUrl,
        jenkinsUrl: sandbox.jenkinsUrl,
        pagerdutyUrl: sandbox.pagerdutyUrl,
      }),
    );
    renameSync(`${urlsFile}.tmp`, urlsFile);
  }
  const stop = async () => {
    stopping = true;
    await sandbox.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch(error => {
  process.stderr.write(`sandbox: ${error?.stack ?? error}\n`);
  process.exit(1);
});
