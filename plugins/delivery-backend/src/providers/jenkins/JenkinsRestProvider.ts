import { Config } from '@backstage/config';
import { InputError, NotFoundError } from '@backstage/errors';
import {
  UpstreamError,
  describeNetworkError,
  isUnreachable,
} from '../UpstreamError';
import {
  DEFAULT_JENKINS_PARAMETER_NAMES,
  JenkinsBuildState,
  JenkinsParameterNames,
  JenkinsProvider,
  JenkinsTriggerOptions,
} from './JenkinsProvider';

export interface JenkinsRestProviderOptions {
  /** Jenkins root URL, e.g. `https://jenkins.example.com` (a context path is fine). */
  baseUrl: string;
  username: string;
  /** The user's API token (or password), sent with basic auth. */
  apiToken: string;
  /** How long one HTTP call may take before it fails with 503. */
  timeoutMs: number;
}

interface Crumb {
  field: string;
  value: string;
  /** Session cookie the crumb was issued with (Jenkins ties crumbs to web sessions). */
  cookie?: string;
}

interface Answer {
  status: number;
  text: string;
  headers: Headers;
}

/** `/job/a/job/b/...` for `a/b/...`. */
export function jobPath(jobFullName: string): string {
  return jobFullName
    .split('/')
    .filter(s => s.length > 0)
    .map(s => `/job/${encodeURIComponent(s)}`)
    .join('');
}

/** `a/b/c` without empty segments. */
function normalizeJobName(jobFullName: string): string {
  return jobFullName
    .split('/')
    .filter(s => s.length > 0)
    .join('/');
}

/** Whether a queue item's or build's `actions` carry every given parameter value. */
function carriesParameters(
  actions: unknown,
  wanted: Array<[string, string]>,
): boolean {
  if (!Array.isArray(actions)) return false;
  const values = new Map<string, unknown>();
  for (const action of actions) {
    if (!Array.isArray(action?.parameters)) continue;
    for (const p of action.parameters) {
      if (typeof p?.name === 'string') values.set(p.name, p.value);
    }
  }
  return wanted.every(([name, value]) => values.get(name) === value);
}

/** Queue items of every job, with what tells their job and parameters. */
const QUEUE_TREE = 'items[id,task[fullName],actions[parameters[name,value]]]';
/** A job's newest builds (Jenkins lists up to 100), with their state and parameters. */
const BUILDS_TREE =
  'builds[number,url,building,result,queueId,actions[parameters[name,value]]]';

/** A short readable message from a Jenkins error page (HTML) or JSON body. */
function shortMessage(text: string): string {
  const plain = text
    .replace(/<head>[\s\S]*?<\/head>/i, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return plain.length > 200 ? `${plain.slice(0, 200)}…` : plain;
}

/**
 * Jenkins through its REST API: basic auth with an API token, a crumb for POSTs (fetched once,
 * fetched again and the POST retried once when Jenkins refuses it with 403),
 * `buildWithParameters`, then the queue item and the build. Every call is bounded by the
 * timeout; an unreachable Jenkins is a 503 {@link UpstreamError}, an error answer a 502, an
 * unknown job a {@link NotFoundError}.
 */
export class JenkinsRestProvider implements JenkinsProvider {
  readonly #baseUrl: string;
  readonly #authorization: string;
  readonly #username: string;
  readonly #timeoutMs: number;
  /** undefined: not fetched yet; null: Jenkins has no crumb issuer (CSRF protection off). */
  #crumb: Crumb | null | undefined;

  constructor(options: JenkinsRestProviderOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#username = options.username;
    this.#authorization = `Basic ${Buffer.from(
      `${options.username}:${options.apiToken}`,
    ).toString('base64')}`;
    this.#timeoutMs = options.timeoutMs;
  }

  get #where() {
    return `Jenkins (${this.#baseUrl})`;
  }

  async trigger(
    jobFullName: string,
    parameters: Record<string, string>,
    options?: JenkinsTriggerOptions,
  ): Promise<JenkinsBuildState> {
    if (options?.identifiedBy?.length) {
      const wanted = options.identifiedBy.map((name): [string, string] => {
        const value = parameters[name];
        if (value === undefined) {
          throw new Error(
            `The identifying parameter '${name}' is not among the build's parameters`,
          );
        }
        return [name, value];
      });
      const existing = await this.#findExisting(jobFullName, wanted);
      if (existing) return existing;
    }
    const what = `queue a build of ${jobFullName}`;
    const url = `${this.#baseUrl}${jobPath(jobFullName)}/buildWithParameters`;
    const body = new URLSearchParams(parameters).toString();
    let answer: Answer | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      if (attempt > 0) this.#crumb = undefined;
      const crumb = await this.#getCrumb();
      answer = await this.#send(url, what, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...(crumb ? { [crumb.field]: crumb.value } : {}),
          ...(crumb?.cookie ? { cookie: crumb.cookie } : {}),
        },
      });
      if (answer.status !== 403) break;
    }
    const { status, text, headers } = answer!;
    if (status === 404) {
      throw new NotFoundError(
        `${
          this.#where
        } has no job '${jobFullName}' (check the jenkins.io/job-full-name annotation)`,
      );
    }
    if (status === 403) {
      throw this.#error(
        what,
        status,
        `${shortMessage(text)} (refused even with a fresh crumb: does user '${
          this.#username
        }' have the Job/Build permission?)`,
      );
    }
    if (status < 200 || status >= 300) {
      throw this.#error(what, status, shortMessage(text));
    }
    const location = headers.get('location');
    const queueId = Number(/\/queue\/item\/(\d+)/.exec(location ?? '')?.[1]);
    if (!location || !Number.isInteger(queueId)) {
      throw this.#error(
        what,
        status,
        `no queue item in the Location header ('${location ?? ''}')`,
      );
    }
    return {
      queueItemUrl: location,
      jobFullName,
      queueId,
      building: true,
    };
  }

  /**
   * The job's queued item or build whose parameters carry `wanted`, if any. The queue is read
   * before the builds: an item that leaves the queue between the two reads is a build by the
   * second, so a build queued before this call is never missed.
   */
  async #findExisting(
    jobFullName: string,
    wanted: Array<[string, string]>,
  ): Promise<JenkinsBuildState | undefined> {
    const job = normalizeJobName(jobFullName);
    const queue = await this.#getJson(
      `${this.#baseUrl}/queue/api/json?tree=${encodeURIComponent(QUEUE_TREE)}`,
      'read the build queue',
      'no queue API',
    );
    const items: any[] = Array.isArray(queue?.items) ? queue.items : [];
    const item = items.find(
      i =>
        typeof i?.id === 'number' &&
        typeof i.task?.fullName === 'string' &&
        normalizeJobName(i.task.fullName) === job &&
        carriesParameters(i.actions, wanted),
    );
    if (item) {
      return {
        queueItemUrl: `${this.#baseUrl}/queue/item/${item.id}/`,
        jobFullName,
        queueId: item.id,
        building: true,
        adopted: true,
      };
    }
    const what = `read the builds of ${jobFullName}`;
    const { status, text } = await this.#send(
      `${this.#baseUrl}${jobPath(job)}/api/json?tree=${encodeURIComponent(
        BUILDS_TREE,
      )}`,
      what,
      { method: 'GET' },
    );
    if (status === 404) {
      throw new NotFoundError(
        `${
          this.#where
        } has no job '${jobFullName}' (check the jenkins.io/job-full-name annotation)`,
      );
    }
    if (status !== 200) throw this.#error(what, status, shortMessage(text));
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      throw this.#error(what, status, 'the answer is not JSON');
    }
    const builds: any[] = Array.isArray(body?.builds) ? body.builds : [];
    const build = builds.find(
      b =>
        typeof b?.number === 'number' && carriesParameters(b.actions, wanted),
    );
    if (!build) return undefined;
    const result =
      typeof build.result === 'string' && build.result
        ? build.result
        : undefined;
    const queueId =
      typeof build.queueId === 'number' ? build.queueId : undefined;
    return {
      queueItemUrl:
        queueId !== undefined
          ? `${this.#baseUrl}/queue/item/${queueId}/`
          : `${this.#baseUrl}${jobPath(job)}/${build.number}/`,
      jobFullName,
      ...(queueId !== undefined ? { queueId } : {}),
      buildNumber: build.number,
      ...(typeof build.url === 'string' ? { buildUrl: build.url } : {}),
      building: build.building === true || !result,
      ...(result ? { result } : {}),
      adopted: true,
    };
  }

  async poll(state: JenkinsBuildState): Promise<JenkinsBuildState> {
    if (state.cancelled || (!state.building && state.result)) return state;
    let current = state;
    if (current.buildNumber === undefined) {
      const item = await this.#getJson(
        this.#queueItemApiUrl(current),
        `read queue item ${current.queueId ?? current.queueItemUrl}${
          current.jobFullName ? ` of ${current.jobFullName}` : ''
        }`,
        'the queue item is gone (Jenkins forgets queue items a few minutes after they leave the queue)',
      );
      if (item.cancelled) {
        return { ...current, building: false, cancelled: true };
      }
      const executable = item.executable;
      if (!executable || typeof executable.number !== 'number') {
        return { ...current, building: true };
      }
      current = {
        ...current,
        buildNumber: executable.number,
        buildUrl:
          typeof executable.url === 'string' ? executable.url : undefined,
      };
    }
    const build = await this.#getJson(
      this.#buildApiUrl(current),
      `read build #${current.buildNumber}${
        current.jobFullName ? ` of ${current.jobFullName}` : ''
      }`,
      'no such build',
    );
    const result =
      typeof build.result === 'string' && build.result
        ? build.result
        : undefined;
    return {
      ...current,
      buildUrl: typeof build.url === 'string' ? build.url : current.buildUrl,
      building: build.building === true || !result,
      ...(result ? { result } : {}),
    };
  }

  #queueItemApiUrl(state: JenkinsBuildState): string {
    if (state.queueId !== undefined) {
      return `${this.#baseUrl}/queue/item/${state.queueId}/api/json`;
    }
    return `${this.#rebase(state.queueItemUrl)}api/json`;
  }

  #buildApiUrl(state: JenkinsBuildState): string {
    if (state.jobFullName) {
      return `${this.#baseUrl}${jobPath(state.jobFullName)}/${
        state.buildNumber
      }/api/json`;
    }
    return `${this.#rebase(state.buildUrl ?? '')}api/json`;
  }

  /**
   * A URL Jenkins reported, moved onto the configured base URL's origin, so credentials never
   * go elsewhere even when Jenkins' own root URL setting is wrong.
   */
  #rebase(url: string): string {
    const base = new URL(this.#baseUrl);
    const reported = new URL(url, `${this.#baseUrl}/`);
    const path = reported.pathname.endsWith('/')
      ? reported.pathname
      : `${reported.pathname}/`;
    return `${base.origin}${path}`;
  }

  async #getCrumb(): Promise<Crumb | null> {
    if (this.#crumb !== undefined) return this.#crumb;
    const what = 'issue a crumb';
    const { status, text, headers } = await this.#send(
      `${this.#baseUrl}/crumbIssuer/api/json`,
      what,
      { method: 'GET' },
    );
    if (status === 404) {
      // No crumb issuer: CSRF protection is off, POSTs need no crumb.
      this.#crumb = null;
      return null;
    }
    if (status !== 200) throw this.#error(what, status, shortMessage(text));
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (typeof body?.crumb !== 'string' || !body.crumbRequestField) {
      throw this.#error(what, status, 'the answer has no crumb');
    }
    const cookie = headers
      .getSetCookie()
      .map(c => c.split(';')[0])
      .join('; ');
    this.#crumb = {
      field: String(body.crumbRequestField),
      value: body.crumb,
      ...(cookie ? { cookie } : {}),
    };
    return this.#crumb;
  }

  async #getJson(url: string, what: string, notFound: string): Promise<any> {
    const { status, text } = await this.#send(url, what, { method: 'GET' });
    if (status === 404) throw this.#error(what, status, notFound);
    if (status !== 200) throw this.#error(what, status, shortMessage(text));
    try {
      return JSON.parse(text);
    } catch {
      throw this.#error(what, status, 'the answer is not JSON');
    }
  }

  /** One HTTP call; network failures become UpstreamErrors, 401 too. */
  async #send(
    url: string,
    what: string,
    init: { method: string; body?: string; headers?: Record<string, string> },
  ): Promise<Answer> {
    let answer: Answer;
    try {
      const res = await fetch(url, {
        ...init,
        headers: {
          accept: 'application/json',
          authorization: this.#authorization,
          ...init.headers,
        },
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      answer = {
        status: res.status,
        text: await res.text(),
        headers: res.headers,
      };
    } catch (error) {
      throw new UpstreamError({
        system: 'jenkins',
        statusCode: isUnreachable(error) ? 503 : 502,
        message: `${this.#where} is unreachable: ${describeNetworkError(
          error,
        )}`,
        cause: error,
      });
    }
    if (answer.status === 401) {
      throw this.#error(
        what,
        401,
        `the credentials of user '${this.#username}' were rejected`,
      );
    }
    return answer;
  }

  #error(what: string, status: number, detail: string): UpstreamError {
    return new UpstreamError({
      system: 'jenkins',
      statusCode: 502,
      message: `${
        this.#where
      } failed to ${what}: HTTP ${status} ${detail}`.trim(),
    });
  }
}

/**
 * The Jenkins provider configured under `delivery.jenkins`, or undefined when that key is
 * absent. `timeoutMs` bounds each call (pass `delivery.requestTimeout`; default 10 s).
 */
export function createJenkinsProvider(
  config: Config,
  options?: { timeoutMs?: number },
): JenkinsProvider | undefined {
  const jenkins = config.getOptionalConfig('delivery.jenkins');
  if (!jenkins) return undefined;
  return new JenkinsRestProvider({
    baseUrl: jenkins.getString('baseUrl'),
    username: jenkins.getString('username'),
    apiToken: jenkins.getString('apiToken'),
    timeoutMs: options?.timeoutMs ?? 10_000,
  });
}

/** Parameter names Jenkins itself reads from `buildWithParameters`; a build never sees them. */
const RESERVED_PARAMETER_NAMES = ['token', 'delay', 'cause', 'json'];

/**
 * The build parameter names under `delivery.jenkins.parameters` (`token`, `commitSha`,
 * `environment`), each defaulting to the process's name (`DEPLOYMENT_TOKEN`, `GIT_COMMIT_SHA`,
 * `TARGET_ENV`). Throws for an empty, repeated or Jenkins-reserved name.
 */
export function readJenkinsParameterNames(
  config: Config,
): JenkinsParameterNames {
  const section = config.getOptionalConfig('delivery.jenkins.parameters');
  const names = { ...DEFAULT_JENKINS_PARAMETER_NAMES };
  for (const key of Object.keys(names) as Array<keyof JenkinsParameterNames>) {
    const value = section?.getOptionalString(key);
    if (value === undefined) continue;
    const name = value.trim();
    if (!name || /[\s=&]/.test(name)) {
      throw new InputError(
        `delivery.jenkins.parameters.${key} must be a parameter name without spaces, '=' or '&'; got '${value}'`,
      );
    }
    if (RESERVED_PARAMETER_NAMES.includes(name)) {
      throw new InputError(
        `delivery.jenkins.parameters.${key} cannot be '${name}': Jenkins reads that parameter itself and never passes it to the build`,
      );
    }
    names[key] = name;
  }
  const used = Object.values(names);
  const repeated = used.find((n, i) => used.indexOf(n) !== i);
  if (repeated) {
    throw new InputError(
      `delivery.jenkins.parameters names '${repeated}' twice; each parameter needs its own name`,
    );
  }
  return names;
}
