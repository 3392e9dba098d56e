/*
 * Test helpers for the sandbox GitHub's git side: the `git` CLI in an isolated environment and
 * a webhook receiver.
 */
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listen } from '../http.ts';

/** A temporary folder and its removal. */
export async function tempDir(
  prefix: string,
): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/**
 * Runs `git` with no user or system configuration and no prompts (a missing credential fails
 * at once); resolves with its exit code and output, never rejects.
 */
export function runGit(
  args: string[],
  options: { cwd?: string; home: string; env?: Record<string, string> },
): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) {
    if (name.startsWith('GIT_')) delete env[name];
  }
  Object.assign(env, {
    HOME: options.home,
    XDG_CONFIG_HOME: join(options.home, '.config'),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '',
    SSH_ASKPASS: '',
    GIT_AUTHOR_NAME: 'Test Author',
    GIT_AUTHOR_EMAIL: 'test-author@example.com',
    GIT_COMMITTER_NAME: 'Test Author',
    GIT_COMMITTER_EMAIL: 'test-author@example.com',
    ...options.env,
  });
  return new Promise(resolve => {
    execFile(
      'git',
      ['-c', 'credential.helper=', '-c', 'init.defaultBranch=main', ...args],
      { cwd: options.cwd, env },
      (error, stdout, stderr) => {
        let code = 0;
        if (error) {
          const exit = (error as { code?: unknown }).code;
          code = typeof exit === 'number' ? exit : 1;
        }
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

export interface ReceivedWebhook {
  event: string;
  deliveryId: string;
  signature: string;
  body: string;
  payload: any;
}

/** A webhook receiver that takes every delivery (202) and verifies nothing itself. */
export async function startWebhookReceiver(): Promise<{
  url: string;
  received: ReceivedWebhook[];
  close(): Promise<void>;
}> {
  const received: ReceivedWebhook[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({
        event: String(req.headers['x-github-event']),
        deliveryId: String(req.headers['x-github-delivery']),
        signature: String(req.headers['x-hub-signature-256']),
        body,
        payload: JSON.parse(body),
      });
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end('{"status":"accepted"}');
    });
  });
  const { url, close } = await listen(server, 0, '127.0.0.1');
  return { url: `${url}/api/events/http/github`, received, close };
}

/** Whether a delivery carries GitHub's signature of its body with `secret`. */
export function signedWith(delivery: ReceivedWebhook, secret: string): boolean {
  return (
    delivery.signature ===
    `sha256=${createHmac('sha256', secret).update(delivery.body).digest('hex')}`
  );
}

/** Polls `check` until it returns a value other than undefined (or the time is up). */
export async function eventually<T>(
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise(resolve => setTimeout(resolve, 25));
  }
}
