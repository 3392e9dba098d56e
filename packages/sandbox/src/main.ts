/*
 * Starts the sandbox on the demo ports (see DEFAULT_SANDBOX_PORTS) until SIGINT/SIGTERM.
 * SANDBOX_HOST overrides the listen address (default 127.0.0.1).
 */
import { DEFAULT_SANDBOX_PORTS, startSandbox } from './index';

async function main() {
  const sandbox = await startSandbox({
    ports: DEFAULT_SANDBOX_PORTS,
    host: process.env.SANDBOX_HOST,
  });
  process.stdout.write(`sandbox: GitHub API at ${sandbox.githubUrl}\n`);
  for (const [name, url] of Object.entries(sandbox.clusterUrls)) {
    process.stdout.write(`sandbox: Kubernetes cluster ${name} at ${url}\n`);
  }
  process.stdout.write(
    `sandbox: simulated traffic at ${sandbox.trafficUrl} (/metrics, /health)\n`,
  );
  process.stdout.write(
    `sandbox: Jenkins at ${sandbox.jenkinsUrl} (user ${sandbox.jenkinsCredentials.username})\n`,
  );
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
