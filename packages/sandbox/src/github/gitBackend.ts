/*
 * Git over smart HTTP for the repositories created through the sandbox GitHub's API: each has a
 * bare repository in a temporary folder of its server, served by the machine's
 * `git http-backend` (CGI), so isomorphic-git (what `publish:github` pushes with) and the `git`
 * CLI clone from and push to it as they would to github.com. Seeded repositories have no git
 * repository: their commits exist only in the model (GitHubState), so they cannot be cloned.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, mkdir, rm, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A commit as `git log` shows it. */
export interface GitCommit {
  sha: string;
  parents: string[];
  authorName: string;
  authorEmail: string;
  /** Author date, ISO (UTC). */
  date: string;
  message: string;
}

/** The paths git's smart HTTP protocol uses under `/{owner}/{repo}[.git]/`. */
const GIT_PATH =
  /^\/([^/]+)\/([^/]+?)(?:\.git)?\/(info\/refs|git-upload-pack|git-receive-pack)$/;

/** A smart HTTP request: whose repository, and which service (`upload` reads, `receive` pushes). */
export interface GitRequest {
  owner: string;
  repo: string;
  /** `info/refs`, `git-upload-pack` or `git-receive-pack`. */
  path: string;
  service: 'upload' | 'receive';
}

/** The smart HTTP request a URL path and query are, or undefined. */
export function parseGitRequest(
  pathname: string,
  query: URLSearchParams,
): GitRequest | undefined {
  const match = GIT_PATH.exec(pathname);
  if (!match) return undefined;
  let owner: string;
  let repo: string;
  try {
    owner = decodeURIComponent(match[1]);
    repo = decodeURIComponent(match[2]);
  } catch {
    return undefined;
  }
  const path = match[3];
  let service: string | null = path;
  if (path === 'info/refs') service = query.get('service');
  if (service === 'git-upload-pack')
    return { owner, repo, path, service: 'upload' };
  if (service === 'git-receive-pack') {
    return { owner, repo, path, service: 'receive' };
  }
  // `info/refs` without a service is the dumb protocol, which GitHub does not serve either.
  return undefined;
}

/** The environment git commands run in: the caller's, without what points git elsewhere. */
function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of [
    'GIT_DIR',
    'GIT_WORK_TREE',
    'GIT_INDEX_FILE',
    'GIT_OBJECT_DIRECTORY',
    'GIT_ALTERNATE_OBJECT_DIRECTORIES',
    'GIT_NAMESPACE',
  ]) {
    delete env[name];
  }
  return { ...env, ...extra };
}

/** A git command's stdout as bytes (file contents). */
function gitBuffer(args: string[], cwd: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      args,
      {
        cwd,
        env: gitEnv(),
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'buffer',
      },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`git ${args.join(' ')} failed: ${String(stderr)}`));
        } else {
          resolve(stdout);
        }
      },
    );
  });
}

function git(args: string[], cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      args,
      { cwd, env: gitEnv(), maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          reject(
            new Error(
              `git ${args.join(' ')} failed: ${stderr || error.message}`,
            ),
          );
        } else {
          resolve(stdout);
        }
      },
    );
  });
}

/** The bare repositories of one server, in a temporary folder removed by `close()`. */
export class GitRepositories {
  readonly root: string;

  private constructor(root: string) {
    this.root = root;
  }

  static async create(): Promise<GitRepositories> {
    return new GitRepositories(
      await mkdtemp(join(tmpdir(), 'sandbox-github-git-')),
    );
  }

  /** The path below the root (GitHub's names are case-insensitive: stored lower case). */
  relativePath(owner: string, repo: string): string {
    return `${owner.toLowerCase()}/${repo.toLowerCase()}.git`;
  }

  dir(owner: string, repo: string): string {
    return join(this.root, this.relativePath(owner, repo));
  }

  async exists(owner: string, repo: string): Promise<boolean> {
    try {
      return (await stat(this.dir(owner, repo))).isDirectory();
    } catch {
      return false;
    }
  }

  /** `git init --bare` with `defaultBranch` as HEAD, pushes allowed over HTTP. */
  async init(
    owner: string,
    repo: string,
    defaultBranch: string,
  ): Promise<void> {
    const dir = this.dir(owner, repo);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    await git([
      'init',
      '--quiet',
      '--bare',
      `--initial-branch=${defaultBranch}`,
      dir,
    ]);
    await git(['config', 'http.receivepack', 'true'], dir);
  }

  async remove(owner: string, repo: string): Promise<void> {
    await rm(this.dir(owner, repo), { recursive: true, force: true });
  }

  /** Points HEAD (what a clone checks out) at `branch`. */
  async setHead(owner: string, repo: string, branch: string): Promise<void> {
    await git(
      ['symbolic-ref', 'HEAD', `refs/heads/${branch}`],
      this.dir(owner, repo),
    );
  }

  /** Moves (or with `sha` null deletes) a branch, as the git refs API does. */
  async updateRef(
    owner: string,
    repo: string,
    branch: string,
    sha: string | null,
  ): Promise<void> {
    const ref = `refs/heads/${branch}`;
    await git(
      sha === null ? ['update-ref', '-d', ref] : ['update-ref', ref, sha],
      this.dir(owner, repo),
    );
  }

  /** Branch → head sha. */
  async branches(owner: string, repo: string): Promise<Map<string, string>> {
    const out = await git(
      ['for-each-ref', '--format=%(refname)%00%(objectname)', 'refs/heads'],
      this.dir(owner, repo),
    );
    const result = new Map<string, string>();
    for (const line of out.split('\n')) {
      if (!line) continue;
      const [ref, sha] = line.split('\0');
      result.set(ref.replace(/^refs\/heads\//, ''), sha);
    }
    return result;
  }

  /** Commits reachable from any branch, except from `known` (shas), parents first. */
  async commits(
    owner: string,
    repo: string,
    known: Iterable<string> = [],
  ): Promise<GitCommit[]> {
    const dir = this.dir(owner, repo);
    const exclude = [...new Set(known)];
    const existing: string[] = [];
    if (exclude.length > 0) {
      // Only shas the repository has can be excluded (git refuses unknown ones).
      for (const sha of exclude) {
        const type = await git(['cat-file', '-t', sha], dir).catch(() => '');
        if (type.trim() === 'commit') existing.push(sha);
      }
    }
    const out = await git(
      [
        'log',
        '--branches',
        '--topo-order',
        '--reverse',
        '--format=%x01%H%x00%P%x00%an%x00%ae%x00%aI%x00%B',
        ...(existing.length > 0 ? ['--not', ...existing] : []),
      ],
      dir,
    );
    return out
      .split('\x01')
      .filter(record => record.length > 0)
      .map(record => {
        const [sha, parents, authorName, authorEmail, date, ...message] =
          record.split('\0');
        return {
          sha,
          parents: parents.split(' ').filter(Boolean),
          authorName,
          authorEmail,
          date: new Date(date).toISOString(),
          message: message.join('\0').replace(/\s+$/, ''),
        };
      });
  }

  /**
   * What a path holds at a commit: a file's bytes, a directory's entries, or undefined when the
   * path is not there (`git cat-file` and `git ls-tree` on the bare repository).
   */
  async read(
    owner: string,
    repo: string,
    sha: string,
    path: string,
  ): Promise<
    | { type: 'file'; sha: string; content: Buffer }
    | {
        type: 'dir';
        entries: Array<{
          type: 'file' | 'dir';
          name: string;
          sha: string;
          size: number;
        }>;
      }
    | undefined
  > {
    const dir = this.dir(owner, repo);
    const clean = path.replace(/^\/+|\/+$/g, '');
    const spec = `${sha}:${clean}`;
    const type = (
      await git(['cat-file', '-t', spec], dir).catch(() => '')
    ).trim();
    if (type === 'blob') {
      const objectSha = (await git(['rev-parse', spec], dir)).trim();
      const content = await gitBuffer(['cat-file', 'blob', objectSha], dir);
      return { type: 'file', sha: objectSha, content };
    }
    if (type === 'tree') {
      const out = await git(['ls-tree', '-l', '-z', spec], dir);
      return {
        type: 'dir',
        entries: out
          .split('\0')
          .filter(Boolean)
          .map(line => {
            const [meta, name] = line.split('\t');
            const [, kind, objectSha, size] = meta.split(/\s+/);
            return {
              type: kind === 'tree' ? ('dir' as const) : ('file' as const),
              name,
              sha: objectSha,
              size: Number(size) || 0,
            };
          }),
      };
    }
    return undefined;
  }

  async close(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}

/**
 * Answers a smart HTTP request with `git http-backend` (CGI): the request body is streamed to
 * it, its CGI headers become the response's, its output is streamed back. Resolves with the
 * status once the backend exited and its output was written; the response is left open, so
 * the caller can record a push before the client sees the end of it.
 */
export function runHttpBackend(
  req: IncomingMessage,
  res: ServerResponse,
  options: {
    projectRoot: string;
    /** `/{owner}/{repo}.git/{info/refs|git-upload-pack|git-receive-pack}` below the root. */
    pathInfo: string;
    query: string;
    remoteUser: string;
  },
): Promise<number> {
  const header = (name: string) => {
    const value = req.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  };
  const env: Record<string, string> = {
    GIT_PROJECT_ROOT: options.projectRoot,
    GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: options.pathInfo,
    QUERY_STRING: options.query,
    REQUEST_METHOD: (req.method ?? 'GET').toUpperCase(),
    CONTENT_TYPE: header('content-type') ?? '',
    REMOTE_USER: options.remoteUser,
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_PROTOCOL: `HTTP/${req.httpVersion}`,
  };
  // Without a length (chunked), http-backend reads the body to its end.
  const length = header('content-length');
  if (length !== undefined) env.CONTENT_LENGTH = length;
  const encoding = header('content-encoding');
  if (encoding) env.HTTP_CONTENT_ENCODING = encoding;
  const protocol = header('git-protocol');
  if (protocol) env.GIT_PROTOCOL = protocol;

  return new Promise(resolve => {
    const child = spawn('git', ['http-backend'], {
      env: gitEnv(env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let status = 500;
    let headersSent = false;
    let pending = Buffer.alloc(0);
    let stderr = '';
    const sendHeaders = (block: string) => {
      const headers: Record<string, string> = {};
      status = 200;
      for (const line of block.split(/\r?\n/)) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') {
          status = Number.parseInt(value, 10) || 500;
        } else {
          headers[name] = value;
        }
      }
      res.writeHead(status, headers);
      headersSent = true;
    };
    child.stdout.on('data', (chunk: Buffer) => {
      if (headersSent) {
        res.write(chunk);
        return;
      }
      pending = Buffer.concat([pending, chunk]);
      const text = pending.toString('latin1');
      const crlf = text.indexOf('\r\n\r\n');
      const lf = text.indexOf('\n\n');
      let end = -1;
      let sep = 0;
      if (crlf >= 0 && (lf < 0 || crlf < lf)) {
        end = crlf;
        sep = 4;
      } else if (lf >= 0) {
        end = lf;
        sep = 2;
      }
      if (end < 0) return;
      sendHeaders(text.slice(0, end));
      const rest = pending.subarray(end + sep);
      pending = Buffer.alloc(0);
      if (rest.length > 0) res.write(rest);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.stdin.on('error', () => {
      // The backend may exit before reading everything (it refused the request).
    });
    req.pipe(child.stdin);
    const finish = () => {
      if (!headersSent) {
        status = 500;
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.write(`git http-backend failed: ${stderr.trim()}\n`);
      }
      resolve(status);
    };
    child.on('error', error => {
      stderr += error.message;
    });
    child.on('close', finish);
  });
}
