import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The machine's kubectl: the independent client tests read the sandbox's clusters with. */
export const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';

/** What a kubectl run printed, and its exit code. */
export interface KubectlRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * kubectl against the sandbox's clusters, with an empty kubeconfig and its own cache directory
 * (never the user's `~/.kube`). `close()` removes the directory.
 */
export function sandboxKubectl() {
  const dir = mkdtempSync(join(tmpdir(), 'delivery-kubectl-'));
  writeFileSync(join(dir, 'kubeconfig'), '');
  const run = (server: string, ...args: string[]) =>
    new Promise<KubectlRun>(resolve => {
      execFile(
        KUBECTL,
        [
          '--server',
          server,
          '--token',
          'sandbox',
          '--insecure-skip-tls-verify',
          '--request-timeout=10s',
          '--cache-dir',
          join(dir, 'cache'),
          ...args,
        ],
        {
          env: {
            PATH: process.env.PATH ?? '/usr/bin:/bin',
            HOME: dir,
            KUBECONFIG: join(dir, 'kubeconfig'),
          },
          timeout: 45_000,
        },
        (error, stdout, stderr) =>
          resolve({
            code: error ? Number((error as any).code) || 1 : 0,
            stdout: String(stdout),
            stderr: String(stderr),
          }),
      );
    });
  return {
    run,
    /** `-o json` of a successful run, parsed. */
    async json(server: string, ...args: string[]): Promise<any> {
      const result = await run(server, ...args, '-o', 'json');
      if (result.code !== 0) {
        throw new Error(
          `kubectl ${args.join(' ')} exited ${result.code}: ${result.stderr}`,
        );
      }
      return JSON.parse(result.stdout);
    },
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}
