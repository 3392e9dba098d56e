/*
 * A Jenkins REST API subset over node:http, enough for a client that triggers parameterized
 * builds and follows them: basic auth with an API token, the crumb issuer (POSTs without a
 * valid `Jenkins-Crumb` are refused with 403), `buildWithParameters` on jobs in folders
 * (`/job/a/job/b/...`), queue items, the queue (`/queue/api/json`), builds, console text and
 * stop; every `api/json` honours the `tree` parameter (with the job's `builds` and the queue
 * items' `task` as detailed as Jenkins gives them under a tree). Sandbox extension:
 * `/_sandbox/jobs/<full name>/outcome` sets what the next builds of a job do.
 */
import http from 'node:http';
import {
  HeldResponse,
  ResponseHolds,
  listen,
  readBody as readBodyBytes,
} from '../http';
import { Tree, TreeSyntaxError, parseTree, pruneTree } from './tree';
import {
  BuildView,
  JenkinsOutcome,
  JenkinsState,
  JenkinsStateError,
  QueueItemRecord,
  normalizeJobName,
} from './JenkinsState';

export interface JenkinsServerOptions {
  /** Port to listen on; 0 or undefined picks a free one. */
  port?: number;
  /** Interface to listen on; defaults to 127.0.0.1. */
  host?: string;
  /** The only user; requests must authenticate as it with basic auth. */
  user: string;
  /** The user's API token (the basic auth password). */
  apiToken: string;
  /** Jobs by full name, folders separated by `/`, e.g. `acme/inventory-service/acceptance`. */
  jobs: Array<{ fullName: string }>;
  /** Jenkins root URL used in links (`url`, `Location`); defaults to the listening address. */
  publicUrl?: string;
  /** Clock in milliseconds since the epoch; defaults to `Date.now`. */
  now?: () => number;
}

/** A request whose response is held back (see {@link JenkinsServer.holdResponses}). */
export type HeldJenkinsResponse = HeldResponse;

export interface JenkinsServer {
  /** Base URL, e.g. `http://127.0.0.1:7015` (no trailing slash). */
  url: string;
  state: JenkinsState;
  /**
   * For tests of clients that die or stall mid-call: the next request matching `match` is
   * carried out at once (a build is queued), but its response is sent only on `release()`.
   */
  holdResponses(
    match: (request: { method: string; path: string }) => boolean,
  ): HeldJenkinsResponse;
  close(): Promise<void>;
}

const JENKINS_VERSION = '2.462.3';
const MAX_BODY_BYTES = 1024 * 1024;
/** Jenkins lists at most this many of a job's newest builds under `builds` (`allBuilds` has all). */
const MAX_LISTED_BUILDS = 100;
/** Parameters Jenkins itself interprets; they are not build parameters. */
const RESERVED_PARAMETERS = new Set([
  'token',
  'delay',
  'cause',
  'json',
  'Jenkins-Crumb',
]);

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

interface Reply {
  status: number;
  json?: unknown;
  text?: string;
  headers?: Record<string, string>;
}

function htmlError(status: number, message: string): string {
  const escaped = message.replace(
    /[&<>"]/g,
    c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]!),
  );
  return `<html>\n<head><title>Error ${status} ${escaped}</title></head>\n<body><h2>HTTP ERROR ${status} ${escaped}</h2>\n</body>\n</html>\n`;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return readBodyBytes(
    req,
    MAX_BODY_BYTES,
    () => new HttpError(413, 'Request body too large'),
  ).then(body => body.toString('utf8'));
}

function parseBasicAuth(
  header: string | undefined,
): { user: string; password: string } | undefined {
  const match = /^Basic\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Splits `/job/a/job/b/rest...` into the job path and the rest. */
function splitJobPath(
  segments: string[],
): { names: string[]; rest: string[] } | undefined {
  const names: string[] = [];
  let i = 0;
  while (segments[i] === 'job' && i + 1 < segments.length) {
    names.push(segments[i + 1]);
    i += 2;
  }
  if (names.length === 0) return undefined;
  return { names, rest: segments.slice(i) };
}

class Router {
  constructor(
    private readonly state: JenkinsState,
    /** Root URL with a trailing slash. */
    private readonly root: string,
    private readonly user: string,
    private readonly now: () => number,
  ) {}

  jobUrl(fullName: string): string {
    return `${this.root}${fullName
      .split('/')
      .map(n => `job/${encodeURIComponent(n)}/`)
      .join('')}`;
  }

  buildUrl(fullName: string, number: number): string {
    return `${this.jobUrl(fullName)}${number}/`;
  }

  /** Child items (jobs and folders) directly under a folder path ('' for the root). */
  children(folder: string): Array<Record<string, unknown>> {
    const prefix = folder ? `${folder}/` : '';
    const names = new Map<string, boolean>();
    for (const job of this.state.jobNames()) {
      if (!job.startsWith(prefix)) continue;
      const [head, ...more] = job.slice(prefix.length).split('/');
      names.set(head, (names.get(head) ?? false) || more.length > 0);
    }
    return [...names].map(([name, isFolder]) =>
      isFolder
        ? {
            _class: 'com.cloudbees.hudson.plugins.folder.Folder',
            name,
            url: this.jobUrl(`${prefix}${name}`),
          }
        : {
            _class: 'hudson.model.FreeStyleProject',
            name,
            url: this.jobUrl(`${prefix}${name}`),
            color: this.color(`${prefix}${name}`),
          },
    );
  }

  color(job: string): string {
    const last = this.state.builds(job)[0];
    if (!last) return 'notbuilt';
    if (last.building) return 'blue_anime';
    const colors: Record<string, string> = {
      SUCCESS: 'blue',
      FAILURE: 'red',
      UNSTABLE: 'yellow',
      ABORTED: 'aborted',
      NOT_BUILT: 'notbuilt',
    };
    return colors[last.result ?? ''] ?? 'blue';
  }

  parametersAction(parameters: Record<string, string>) {
    return {
      _class: 'hudson.model.ParametersAction',
      parameters: Object.entries(parameters).map(([name, value]) => ({
        _class: 'hudson.model.StringParameterValue',
        name,
        value,
      })),
    };
  }

  causeAction() {
    return {
      _class: 'hudson.model.CauseAction',
      causes: [
        {
          _class: 'hudson.model.Cause$UserIdCause',
          shortDescription: `Started by user ${this.user}`,
          userId: this.user,
          userName: this.user,
        },
      ],
    };
  }

  /** `detailed`: as under a `tree`, which reaches the task's properties beyond the default few. */
  queueItemJson(item: QueueItemRecord, detailed = false) {
    const task = {
      _class: 'hudson.model.FreeStyleProject',
      name: item.job.split('/').pop(),
      ...(detailed ? { fullName: item.job } : {}),
      url: this.jobUrl(item.job),
      color: this.color(item.job),
    };
    const common = {
      actions: [this.parametersAction(item.parameters), this.causeAction()],
      blocked: false,
      id: item.id,
      inQueueSince: item.queuedAt,
      params: Object.entries(item.parameters)
        .map(([k, v]) => `\n${k}=${v}`)
        .join(''),
      stuck: false,
      task,
      url: `queue/item/${item.id}/`,
    };
    if (item.cancelled) {
      return {
        _class: 'hudson.model.Queue$LeftItem',
        ...common,
        buildable: false,
        why: null,
        cancelled: true,
        executable: null,
      };
    }
    if (item.buildNumber !== undefined) {
      return {
        _class: 'hudson.model.Queue$LeftItem',
        ...common,
        buildable: false,
        why: null,
        cancelled: false,
        executable: {
          _class: 'hudson.model.FreeStyleBuild',
          number: item.buildNumber,
          url: this.buildUrl(item.job, item.buildNumber),
        },
      };
    }
    const remaining =
      (item.queuedAt + item.outcome.queueMs - this.now()) / 1000;
    return {
      _class: 'hudson.model.Queue$WaitingItem',
      ...common,
      buildable: false,
      why: `In the quiet period. Expires in ${Math.max(0, remaining).toFixed(
        1,
      )} sec`,
      cancelled: false,
      executable: null,
      timestamp: item.queuedAt + item.outcome.queueMs,
    };
  }

  buildJson(build: BuildView) {
    const r = build.record;
    return {
      _class: 'hudson.model.FreeStyleBuild',
      actions: [this.parametersAction(r.parameters), this.causeAction()],
      building: build.building,
      description: null,
      displayName: `#${r.number}`,
      duration: build.durationMs,
      estimatedDuration:
        r.outcome.result === 'HANG' ? -1 : r.outcome.durationMs,
      fullDisplayName: `${r.job.split('/').join(' » ')} #${r.number}`,
      id: String(r.number),
      keepLog: false,
      number: r.number,
      queueId: r.queueId,
      result: build.result,
      timestamp: r.startedAt,
      url: this.buildUrl(r.job, r.number),
      builtOn: '',
    };
  }

  consoleText(build: BuildView): string {
    const r = build.record;
    const lines = [
      `Started by user ${this.user}`,
      'Running as SYSTEM',
      `Building in workspace /var/jenkins_home/workspace/${r.job}`,
      ...Object.entries(r.parameters).map(([k, v]) => `[parameter] ${k}=${v}`),
    ];
    if (!build.building) lines.push(`Finished: ${build.result}`);
    return `${lines.join('\n')}\n`;
  }

  buildRef(job: string, ref: string): BuildView {
    const builds = this.state.builds(job);
    let found: BuildView | undefined;
    if (/^\d+$/.test(ref)) found = builds.find(b => b.record.number === +ref);
    else if (ref === 'lastBuild') found = builds[0];
    else if (ref === 'lastCompletedBuild')
      found = builds.find(b => !b.building);
    else if (ref === 'lastSuccessfulBuild')
      found = builds.find(b => b.result === 'SUCCESS');
    else if (ref === 'lastFailedBuild')
      found = builds.find(b => b.result === 'FAILURE');
    if (!found) throw new HttpError(404, 'Not Found');
    return found;
  }

  /** `detailed`: as under a `tree`, where each of `builds` has the build's own properties. */
  jobJson(job: string, detailed = false) {
    const builds = this.state.builds(job);
    const ref = (b: BuildView | undefined) =>
      b
        ? {
            _class: 'hudson.model.FreeStyleBuild',
            number: b.record.number,
            url: this.buildUrl(job, b.record.number),
          }
        : null;
    const queued = this.state.queuedItems(job);
    return {
      _class: 'hudson.model.FreeStyleProject',
      name: job.split('/').pop(),
      fullName: job,
      displayName: job.split('/').pop(),
      fullDisplayName: job.split('/').join(' » '),
      url: this.jobUrl(job),
      buildable: true,
      builds: builds
        .slice(0, MAX_LISTED_BUILDS)
        .map(b => (detailed ? this.buildJson(b) : ref(b))),
      color: this.color(job),
      inQueue: queued.length > 0,
      queueItem: queued[0] ? this.queueItemJson(queued[0], detailed) : null,
      lastBuild: ref(builds[0]),
      lastCompletedBuild: ref(builds.find(b => !b.building)),
      lastSuccessfulBuild: ref(builds.find(b => b.result === 'SUCCESS')),
      lastFailedBuild: ref(builds.find(b => b.result === 'FAILURE')),
      nextBuildNumber: this.state.nextBuildNumber(job),
      property: [
        {
          _class: 'hudson.model.ParametersDefinitionProperty',
          parameterDefinitions: [],
        },
      ],
    };
  }

  handle(
    method: string,
    url: URL,
    segments: string[],
    form: URLSearchParams,
    jsonBody: unknown,
  ): Reply {
    const isRead = method === 'GET' || method === 'HEAD';
    const detailed = url.searchParams.has('tree');
    if (segments[0] === '_sandbox')
      return this.sandbox(method, segments, jsonBody);
    if (isRead && segments.join('/') === 'crumbIssuer/api/json') {
      return {
        status: 200,
        json: {
          _class: 'hudson.security.csrf.DefaultCrumbIssuer',
          crumb: this.state.crumb,
          crumbRequestField: 'Jenkins-Crumb',
        },
      };
    }
    if (isRead && segments.join('/') === 'api/json') {
      return {
        status: 200,
        json: {
          _class: 'hudson.model.Hudson',
          mode: 'NORMAL',
          nodeDescription: 'the sandbox Jenkins',
          nodeName: '',
          numExecutors: 2,
          useCrumbs: true,
          useSecurity: true,
          url: this.root,
          jobs: this.children(''),
        },
      };
    }
    if (segments[0] === 'queue') {
      if (isRead && segments.slice(1).join('/') === 'api/json') {
        return {
          status: 200,
          json: {
            _class: 'hudson.model.Queue',
            discoverableItems: [],
            items: this.state
              .waitingItems()
              .map(item => this.queueItemJson(item, detailed)),
          },
        };
      }
      if (
        isRead &&
        segments[1] === 'item' &&
        /^\d+$/.test(segments[2] ?? '') &&
        segments.slice(3).join('/') === 'api/json'
      ) {
        const item = this.state.queueItem(Number(segments[2]));
        if (!item) throw new HttpError(404, 'Not Found');
        return { status: 200, json: this.queueItemJson(item, detailed) };
      }
      if (method === 'POST' && segments[1] === 'cancelItem') {
        const id = Number(url.searchParams.get('id') ?? form.get('id'));
        if (!Number.isInteger(id)) throw new HttpError(400, 'id is required');
        if (!this.state.queueItem(id)) throw new HttpError(404, 'Not Found');
        this.state.cancelQueueItem(id);
        return { status: 204 };
      }
      throw new HttpError(404, 'Not Found');
    }
    const path = splitJobPath(segments);
    if (!path) throw new HttpError(404, 'Not Found');
    const job = path.names.join('/');
    const rest = path.rest;
    if (!this.state.hasJob(job)) {
      const isFolder = this.state.jobNames().some(j => j.startsWith(`${job}/`));
      if (
        isFolder &&
        isRead &&
        (rest.length === 0 || rest.join('/') === 'api/json')
      ) {
        return {
          status: 200,
          json: {
            _class: 'com.cloudbees.hudson.plugins.folder.Folder',
            name: path.names[path.names.length - 1],
            fullName: job,
            displayName: path.names[path.names.length - 1],
            url: this.jobUrl(job),
            jobs: this.children(job),
          },
        };
      }
      throw new HttpError(404, 'Not Found');
    }
    if (isRead && (rest.length === 0 || rest.join('/') === 'api/json')) {
      return { status: 200, json: this.jobJson(job, detailed) };
    }
    if (
      method === 'POST' &&
      rest.length === 1 &&
      (rest[0] === 'buildWithParameters' || rest[0] === 'build')
    ) {
      const parameters: Record<string, string> = {};
      for (const source of [url.searchParams, form]) {
        for (const [k, v] of source) {
          if (!RESERVED_PARAMETERS.has(k)) parameters[k] = v;
        }
      }
      const item = this.state.enqueue(job, parameters);
      return {
        status: 201,
        headers: { location: `${this.root}queue/item/${item.id}/` },
      };
    }
    if (rest.length >= 2) {
      const build = this.buildRef(job, rest[0]);
      const tail = rest.slice(1).join('/');
      if (isRead && tail === 'api/json') {
        return { status: 200, json: this.buildJson(build) };
      }
      if (isRead && tail === 'consoleText') {
        return { status: 200, text: this.consoleText(build) };
      }
      if (method === 'POST' && tail === 'stop') {
        this.state.stopBuild(job, build.record.number);
        return { status: 200 };
      }
    }
    throw new HttpError(isRead || method === 'POST' ? 404 : 405, 'Not Found');
  }

  sandbox(method: string, segments: string[], body: unknown): Reply {
    // /_sandbox/jobs/<full name...>/outcome
    if (
      segments[1] === 'jobs' &&
      segments.length >= 4 &&
      segments[segments.length - 1] === 'outcome'
    ) {
      const job = normalizeJobName(segments.slice(2, -1).join('/'));
      if (method === 'GET') {
        return { status: 200, json: { job, ...this.state.outcome(job) } };
      }
      if (method === 'DELETE') {
        this.state.resetOutcome(job);
        return { status: 200, json: { job, ...this.state.outcome(job) } };
      }
      if (method === 'POST' || method === 'PUT') {
        if (!body || typeof body !== 'object' || Array.isArray(body)) {
          throw new HttpError(
            400,
            'Expected a JSON body {"result": "SUCCESS|FAILURE|UNSTABLE|ABORTED|NOT_BUILT|HANG", "durationMs"?: n, "queueMs"?: n}',
          );
        }
        const outcome = this.state.setOutcome(
          job,
          body as Partial<JenkinsOutcome> & {
            result: JenkinsOutcome['result'];
          },
        );
        return { status: 200, json: { job, ...outcome } };
      }
      throw new HttpError(405, 'Method Not Allowed');
    }
    throw new HttpError(404, 'Not Found');
  }
}

/** Starts the Jenkins REST subset; resolves once it listens. */
export async function startJenkinsServer(
  options: JenkinsServerOptions,
): Promise<JenkinsServer> {
  const now = options.now ?? Date.now;
  const state = new JenkinsState(options.jobs, now);
  const host = options.host ?? '127.0.0.1';
  const context: { router?: Router } = {};
  const holds = new ResponseHolds();

  const server = http.createServer((req, res) => {
    // A held response is sent only when the test releases it (see holdResponses).
    holds.apply(req, res);
    const write = (reply: Reply) => {
      const headers: Record<string, string> = {
        'x-jenkins': JENKINS_VERSION,
        'x-hudson': '1.395',
        'x-content-type-options': 'nosniff',
        ...reply.headers,
      };
      let text = '';
      if (reply.json !== undefined) {
        headers['content-type'] = 'application/json;charset=utf-8';
        text = JSON.stringify(reply.json);
      } else if (reply.text !== undefined) {
        headers['content-type'] ??= 'text/plain;charset=utf-8';
        text = reply.text;
      }
      headers['content-length'] = String(Buffer.byteLength(text));
      res.writeHead(reply.status, headers);
      res.end(req.method === 'HEAD' ? undefined : text);
    };

    const run = async (): Promise<Reply> => {
      const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
      const segments = url.pathname
        .split('/')
        .filter(s => s.length > 0)
        .map(s => decodeURIComponent(s));
      const method = (req.method ?? 'GET').toUpperCase();
      const credentials = parseBasicAuth(req.headers.authorization);
      if (
        !credentials ||
        credentials.user !== options.user ||
        credentials.password !== options.apiToken
      ) {
        throw new HttpError(
          401,
          credentials
            ? `Invalid password/token for user: ${credentials.user}`
            : 'Authentication required',
          { 'www-authenticate': 'Basic realm="Jenkins"' },
        );
      }
      const raw =
        method === 'GET' || method === 'HEAD' ? '' : await readBody(req);
      const type = String(req.headers['content-type'] ?? '');
      let form = new URLSearchParams();
      let jsonBody: unknown;
      if (type.includes('application/json')) {
        try {
          jsonBody = raw.trim() ? JSON.parse(raw) : undefined;
        } catch {
          throw new HttpError(400, 'Malformed JSON body');
        }
      } else if (raw) {
        form = new URLSearchParams(raw);
      }
      if (method === 'POST' && segments[0] !== '_sandbox') {
        const crumb =
          req.headers['jenkins-crumb'] ??
          url.searchParams.get('Jenkins-Crumb') ??
          form.get('Jenkins-Crumb');
        if (crumb !== state.crumb) {
          throw new HttpError(
            403,
            'No valid crumb was included in the request',
          );
        }
      }
      let tree: Tree | undefined;
      const treeParam = url.searchParams.get('tree');
      if (isReadMethod(method) && treeParam !== null) {
        try {
          tree = parseTree(treeParam);
        } catch (error) {
          if (error instanceof TreeSyntaxError) {
            throw new HttpError(400, error.message);
          }
          throw error;
        }
      }
      const reply = context.router!.handle(
        method,
        url,
        segments,
        form,
        jsonBody,
      );
      return tree && reply.json !== undefined && reply.status === 200
        ? { ...reply, json: pruneTree(reply.json, tree) }
        : reply;
    };

    run().then(write, (error: unknown) => {
      if (error instanceof HttpError) {
        write({
          status: error.status,
          text: htmlError(error.status, error.message),
          headers: {
            'content-type': 'text/html;charset=utf-8',
            ...error.headers,
          },
        });
      } else if (error instanceof JenkinsStateError) {
        write({
          status: error.status,
          json: { message: error.message },
        });
      } else if (error instanceof URIError) {
        write({ status: 400, text: htmlError(400, 'Bad Request') });
      } else {
        const message = error instanceof Error ? error.message : String(error);
        write({
          status: 500,
          text: htmlError(500, message),
          headers: { 'content-type': 'text/html;charset=utf-8' },
        });
      }
    });
  });

  const { url, close } = await listen(server, options.port, host);
  const root = `${(options.publicUrl ?? url).replace(/\/+$/, '')}/`;
  context.router = new Router(state, root, options.user, now);

  return {
    url,
    state,
    holdResponses: match => holds.add(match),
    close,
  };
}

function isReadMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD';
}
