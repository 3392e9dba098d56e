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
 */
import { renameSync, writeFileSync } from 'node:fs';
import { startSandbox } from './index';
import { parseFlagsAddress, parseSandboxPorts } from './ports';

async function main() {
  const flags = parseFlagsAddress(
    process.env.SANDBOX_FLAGS_PORT,
    process.env.SANDBOX_FLAGS_HOST,
  );
  const sandbox = await startSandbox({
    ports: parseSandboxPorts(process.env.SANDBOX_PORTS),
    host: process.env.SANDBOX_HOST,
    flags,
  });
  process.stdout.write(`sandbox: GitHub API at ${sandbox.githubUrl}\n`);
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
