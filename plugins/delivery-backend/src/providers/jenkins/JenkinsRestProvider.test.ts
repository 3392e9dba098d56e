import { ConfigReader } from '@backstage/config';
import { NotFoundError } from '@backstage/errors';
import { JenkinsServer, startJenkinsServer } from '@internal/sandbox';
import { Server, Socket, createServer } from 'node:net';
import { UpstreamError } from '../UpstreamError';
import { JenkinsBuildState } from './JenkinsProvider';
import {
  JenkinsRestProvider,
  createJenkinsProvider,
  jobPath,
  readJenkinsParameterNames,
} from './JenkinsRestProvider';

/* JenkinsRestProvider against the sandbox's Jenkins REST subset over real HTTP. */

jest.setTimeout(20_000);

const JOB = 'acme/inventory-service/acceptance';
/** Another job, whose builds carry the same tokens. */
const OTHER_JOB = 'acme/inventory-service/smoke';
const USER = 'delivery';
const TOKEN = 'sandbox-jenkins-token';

let jenkins: JenkinsServer;
let hung: Server;
let hungUrl: string;
const sockets = new Set<Socket>();

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

beforeAll(async () => {
  jenkins = await startJenkinsServer({
    user: USER,
    apiToken: TOKEN,
    jobs: [{ fullName: JOB }, { fullName: OTHER_JOB }],
    // Jenkins' root URL setting often differs from the URL the portal reaches it by.
    publicUrl: 'http://jenkins.invalid:8080/',
  });
  hung = createServer(socket => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>(r => hung.listen(0, '127.0.0.1', r));
  hungUrl = `http://127.0.0.1:${(hung.address() as { port: number }).port}`;
});

afterAll(async () => {
  await jenkins.close();
  for (const socket of sockets) socket.destroy();
  await new Promise(r => hung.close(r));
});

beforeEach(() => jenkins.state.resetOutcome(JOB));

function provider(options: { apiToken?: string; baseUrl?: string } = {}) {
  return new JenkinsRestProvider({
    baseUrl: options.baseUrl ?? jenkins.url,
    username: USER,
    apiToken: options.apiToken ?? TOKEN,
    timeoutMs: 1_000,
  });
}

async function pollUntilDone(
  p: JenkinsRestProvider,
  state: JenkinsBuildState,
  maxMs = 8_000,
) {
  const deadline = Date.now() + maxMs;
  let current = state;
  const seen: JenkinsBuildState[] = [];
  while (Date.now() < deadline) {
    current = await p.poll(current);
    seen.push(current);
    if (!current.building) return { current, seen };
    await sleep(50);
  }
  return { current, seen };
}

describe('JenkinsRestProvider', () => {
  it('triggers a parameterized build and follows it to SUCCESS', async () => {
    jenkins.state.setOutcome(JOB, {
      result: 'SUCCESS',
      queueMs: 200,
      durationMs: 300,
    });
    const p = provider();
    const state = await p.trigger(JOB, { TOKEN: 'DEP-1', SHA: 'abc123' });
    expect(state).toEqual({
      queueItemUrl: expect.stringMatching(
        /^http:\/\/jenkins\.invalid:8080\/queue\/item\/\d+\/$/,
      ),
      queueId: expect.any(Number),
      jobFullName: JOB,
      building: true,
    });
    const { current, seen } = await pollUntilDone(p, state);
    // Seen in the queue, then building, then done.
    expect(seen[0].buildNumber).toBeUndefined();
    expect(seen.some(s => s.buildNumber && s.building)).toBe(true);
    expect(current).toMatchObject({
      building: false,
      result: 'SUCCESS',
      buildUrl: `http://jenkins.invalid:8080${jobPath(JOB)}/${
        current.buildNumber
      }/`,
    });
    const build = jenkins.state.build(JOB, current.buildNumber!)!;
    expect(build.record.parameters).toEqual({ TOKEN: 'DEP-1', SHA: 'abc123' });
    // A finished state is final: polling it again asks nothing.
    expect(await provider({ baseUrl: hungUrl }).poll(current)).toBe(current);
  });

  it('reports a failed build', async () => {
    jenkins.state.setOutcome(JOB, {
      result: 'FAILURE',
      queueMs: 0,
      durationMs: 100,
    });
    const p = provider();
    const { current } = await pollUntilDone(
      p,
      await p.trigger(JOB, { TOKEN: 'DEP-2', SHA: 'def456' }),
    );
    expect(current).toMatchObject({ building: false, result: 'FAILURE' });
  });

  it('keeps a hanging build building, and never hangs itself', async () => {
    jenkins.state.setOutcome(JOB, { result: 'HANG', queueMs: 0 });
    const p = provider();
    const { current } = await pollUntilDone(
      p,
      await p.trigger(JOB, { TOKEN: 'DEP-3', SHA: 'abc' }),
      600,
    );
    expect(current.building).toBe(true);
    expect(current.buildNumber).toBeDefined();
    expect(current.result).toBeUndefined();

    // A Jenkins that accepts connections but never answers: each call ends at the timeout.
    const silent = provider({ baseUrl: hungUrl });
    for (const call of [
      () => silent.trigger(JOB, {}),
      () =>
        silent.poll({ ...current, queueItemUrl: `${hungUrl}/queue/item/1/` }),
    ]) {
      const started = Date.now();
      const error = await call().catch(e => e);
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(error).toBeInstanceOf(UpstreamError);
      expect(error.statusCode).toBe(503);
      expect(error.message).toBe(
        `Jenkins (${hungUrl}) is unreachable: no answer before the request timeout`,
      );
    }
  });

  it('reports a cancelled queue item', async () => {
    jenkins.state.setOutcome(JOB, { result: 'SUCCESS', queueMs: 60_000 });
    const p = provider();
    const state = await p.trigger(JOB, { TOKEN: 'DEP-4', SHA: 'abc' });
    expect(await p.poll(state)).toMatchObject({ building: true });
    jenkins.state.cancelQueueItem(state.queueId!);
    expect(await p.poll(state)).toMatchObject({
      building: false,
      cancelled: true,
    });
  });

  it('fetches a new crumb and retries once when Jenkins refuses the old one', async () => {
    const p = provider();
    await p.trigger(JOB, { TOKEN: 'DEP-5', SHA: 'a' });
    jenkins.state.rotateCrumb();
    const before = jenkins.state.nextBuildNumber(JOB);
    jenkins.state.setOutcome(JOB, { result: 'SUCCESS', queueMs: 0 });
    const state = await p.trigger(JOB, { TOKEN: 'DEP-6', SHA: 'b' });
    const polled = await p.poll(state);
    expect(polled.buildNumber).toBeGreaterThanOrEqual(before);
    expect(
      jenkins.state.build(JOB, polled.buildNumber!)!.record.parameters,
    ).toEqual({ TOKEN: 'DEP-6', SHA: 'b' });
  });

  it('is a 502 naming the user when the credentials are wrong', async () => {
    const error = await provider({ apiToken: 'wrong' })
      .trigger(JOB, {})
      .catch(e => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.statusCode).toBe(502);
    expect(error.system).toBe('jenkins');
    expect(error.message).toBe(
      `Jenkins (${jenkins.url}) failed to issue a crumb: HTTP 401 the credentials of user 'delivery' were rejected`,
    );
  });

  it('says which job does not exist', async () => {
    const error = await provider()
      .trigger('acme/nope/acceptance', {})
      .catch(e => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.message).toBe(
      `Jenkins (${jenkins.url}) has no job 'acme/nope/acceptance' (check the jenkins.io/job-full-name annotation)`,
    );
  });

  it('is a 503 when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>(r => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as { port: number }).port;
    await new Promise(r => closed.close(r));
    const error = await provider({ baseUrl: `http://127.0.0.1:${port}` })
      .trigger(JOB, {})
      .catch(e => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.statusCode).toBe(503);
    expect(error.message).toContain(
      `Jenkins (http://127.0.0.1:${port}) is unreachable: ECONNREFUSED`,
    );
  });

  describe('with identifying parameters', () => {
    const ID = { identifiedBy: ['DEPLOYMENT_TOKEN', 'TARGET_ENV'] };
    const params = (token: string, env = 'uat') => ({
      DEPLOYMENT_TOKEN: token,
      GIT_COMMIT_SHA: 'abc123',
      TARGET_ENV: env,
    });
    /** Builds and queued items of the job whose parameters carry `token`. */
    const carrying = (job: string, token: string) =>
      [
        ...jenkins.state.builds(job).map(b => b.record.parameters),
        ...jenkins.state.queuedItems(job).map(q => q.parameters),
      ].filter(p => Object.values(p).includes(token)).length;

    it('adopts the queued item or the build a first trigger made, so exactly one build exists', async () => {
      jenkins.state.setOutcome(JOB, {
        result: 'SUCCESS',
        queueMs: 400,
        durationMs: 1_500,
      });
      // The same token on another job, or for another environment, is another build.
      await provider().trigger(OTHER_JOB, params('DEP-20'));
      const first = await provider().trigger(JOB, params('DEP-20'), ID);
      expect(first.adopted).toBeUndefined();
      const otherEnv = await provider().trigger(
        JOB,
        params('DEP-20', 'canary'),
        ID,
      );
      expect(otherEnv.adopted).toBeUndefined();
      expect(otherEnv.queueId).not.toBe(first.queueId);

      // A second attempt (another replica: a new provider) while the first waits in the queue.
      const whileQueued = await provider().trigger(JOB, params('DEP-20'), ID);
      expect(whileQueued).toEqual({
        queueItemUrl: `${jenkins.url}/queue/item/${first.queueId}/`,
        jobFullName: JOB,
        queueId: first.queueId,
        building: true,
        adopted: true,
      });

      // Once it left the queue, the build itself.
      await sleep(450);
      const whileBuilding = await provider().trigger(JOB, params('DEP-20'), ID);
      const number = jenkins.state
        .builds(JOB)
        .find(b => b.record.queueId === first.queueId)!.record.number;
      expect(whileBuilding).toEqual({
        queueItemUrl: `${jenkins.url}/queue/item/${first.queueId}/`,
        jobFullName: JOB,
        queueId: first.queueId,
        buildNumber: number,
        buildUrl: `http://jenkins.invalid:8080${jobPath(JOB)}/${number}/`,
        building: true,
        adopted: true,
      });
      const { current } = await pollUntilDone(provider(), whileBuilding);
      expect(current).toMatchObject({ building: false, result: 'SUCCESS' });

      // And once it finished, the finished build.
      const afterwards = await provider().trigger(JOB, params('DEP-20'), ID);
      expect(afterwards).toMatchObject({
        buildNumber: number,
        building: false,
        result: 'SUCCESS',
        adopted: true,
      });
      expect(await provider().poll(afterwards)).toBe(afterwards);

      expect(
        jenkins.state
          .builds(JOB)
          .filter(b => b.record.parameters.DEPLOYMENT_TOKEN === 'DEP-20')
          .map(b => b.record.parameters.TARGET_ENV)
          .sort(),
      ).toEqual(['canary', 'uat']);
      expect(carrying(JOB, 'DEP-20')).toBe(2);
      expect(carrying(OTHER_JOB, 'DEP-20')).toBe(1);
    });

    it('queues a build when none carries the values, and says which job is missing', async () => {
      jenkins.state.setOutcome(JOB, { result: 'SUCCESS', queueMs: 0 });
      const state = await provider().trigger(JOB, params('DEP-21'), ID);
      expect(state.adopted).toBeUndefined();
      expect(carrying(JOB, 'DEP-21')).toBe(1);

      const missing = await provider()
        .trigger('acme/nope/acceptance', params('DEP-21'), ID)
        .catch(e => e);
      expect(missing).toBeInstanceOf(NotFoundError);
      expect(missing.message).toBe(
        `Jenkins (${jenkins.url}) has no job 'acme/nope/acceptance' (check the jenkins.io/job-full-name annotation)`,
      );
    });

    it('refuses an identifying parameter it does not send', async () => {
      await expect(
        provider().trigger(JOB, { GIT_COMMIT_SHA: 'a' }, ID),
      ).rejects.toThrow(
        "The identifying parameter 'DEPLOYMENT_TOKEN' is not among the build's parameters",
      );
    });
  });

  it('is a 502 when the queue item is gone', async () => {
    const error = await provider()
      .poll({
        queueItemUrl: `${jenkins.url}/queue/item/9999/`,
        queueId: 9999,
        jobFullName: JOB,
        building: true,
      })
      .catch(e => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.statusCode).toBe(502);
    expect(error.message).toContain(`read queue item 9999 of ${JOB}`);
    expect(error.message).toContain('the queue item is gone');
  });
});

describe('createJenkinsProvider', () => {
  it('is undefined without delivery.jenkins', () => {
    expect(createJenkinsProvider(new ConfigReader({}))).toBeUndefined();
  });

  it('builds a provider from delivery.jenkins', async () => {
    jenkins.state.setOutcome(JOB, { result: 'SUCCESS', queueMs: 0 });
    const p = createJenkinsProvider(
      new ConfigReader({
        delivery: {
          jenkins: {
            baseUrl: `${jenkins.url}/`,
            username: USER,
            apiToken: TOKEN,
          },
        },
      }),
      { timeoutMs: 2_000 },
    )!;
    const state = await p.trigger(JOB, { TOKEN: 'DEP-7', SHA: 'c' });
    expect((await p.poll(state)).buildNumber).toBeDefined();
  });

  it("reads the build parameter names, the process's by default", () => {
    const names = (parameters?: object) =>
      readJenkinsParameterNames(
        new ConfigReader({
          delivery: {
            jenkins: {
              baseUrl: 'http://j',
              username: USER,
              apiToken: TOKEN,
              ...(parameters ? { parameters } : {}),
            },
          },
        }),
      );
    expect(names()).toEqual({
      token: 'DEPLOYMENT_TOKEN',
      commitSha: 'GIT_COMMIT_SHA',
      environment: 'TARGET_ENV',
    });
    expect(names({ token: 'TOKEN', commitSha: 'SHA' })).toEqual({
      token: 'TOKEN',
      commitSha: 'SHA',
      environment: 'TARGET_ENV',
    });
    expect(() => names({ environment: 'DEPLOYMENT_TOKEN' })).toThrow(
      "delivery.jenkins.parameters names 'DEPLOYMENT_TOKEN' twice; each parameter needs its own name",
    );
    expect(() => names({ token: 'token' })).toThrow(
      "delivery.jenkins.parameters.token cannot be 'token': Jenkins reads that parameter itself and never passes it to the build",
    );
    expect(() => names({ commitSha: 'GIT SHA' })).toThrow(
      "delivery.jenkins.parameters.commitSha must be a parameter name without spaces, '=' or '&'; got 'GIT SHA'",
    );
  });

  it('names a missing key', () => {
    expect(() =>
      createJenkinsProvider(
        new ConfigReader({ delivery: { jenkins: { baseUrl: 'http://j' } } }),
      ),
    ).toThrow(/delivery\.jenkins\.username/);
  });
});
