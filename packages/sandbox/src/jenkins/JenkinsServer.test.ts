import { JenkinsServer, startJenkinsServer } from './JenkinsServer';

const JOB = 'acme/inventory-service/acceptance';
const JOB_PATH = '/job/acme/job/inventory-service/job/acceptance';

let server: JenkinsServer;
let clock: number;

const auth = `Basic ${Buffer.from('delivery:secret-token').toString('base64')}`;

function call(
  path: string,
  init: {
    method?: string;
    headers?: Record<string, string>;
    body?: string;
  } = {},
) {
  return fetch(`${server.url}${path}`, {
    ...init,
    headers: { authorization: auth, ...init.headers },
    redirect: 'manual',
  });
}

async function crumbHeaders(): Promise<Record<string, string>> {
  const res = await call('/crumbIssuer/api/json');
  const body = await res.json();
  return { [body.crumbRequestField]: body.crumb };
}

async function trigger(query = 'TOKEN=DEP-1&SHA=abc123'): Promise<string> {
  const res = await call(`${JOB_PATH}/buildWithParameters?${query}`, {
    method: 'POST',
    headers: await crumbHeaders(),
  });
  expect(res.status).toBe(201);
  return res.headers.get('location')!;
}

async function json(url: string) {
  const { pathname, search } = new URL(url);
  const res = await call(`${pathname}${search}`);
  expect(res.status).toBe(200);
  return res.json();
}

beforeEach(async () => {
  clock = Date.parse('2026-11-20T12:00:00Z');
  server = await startJenkinsServer({
    user: 'delivery',
    apiToken: 'secret-token',
    jobs: [{ fullName: JOB }, { fullName: 'acme/other' }],
    now: () => clock,
  });
});

afterEach(() => server.close());

describe('sandbox Jenkins', () => {
  it('requires basic auth', async () => {
    const anonymous = await fetch(`${server.url}/api/json`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe(
      'Basic realm="Jenkins"',
    );
    const wrong = await fetch(`${server.url}/api/json`, {
      headers: {
        authorization: `Basic ${Buffer.from('delivery:nope').toString(
          'base64',
        )}`,
      },
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain(
      'Invalid password/token for user: delivery',
    );
    const ok = await call('/api/json');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-jenkins')).toBeTruthy();
    expect((await ok.json()).jobs).toEqual([
      expect.objectContaining({
        _class: 'com.cloudbees.hudson.plugins.folder.Folder',
        name: 'acme',
      }),
    ]);
  });

  it('refuses POSTs without a valid crumb', async () => {
    const missing = await call(`${JOB_PATH}/buildWithParameters?SHA=1`, {
      method: 'POST',
    });
    expect(missing.status).toBe(403);
    expect(await missing.text()).toContain(
      'No valid crumb was included in the request',
    );
    const headers = await crumbHeaders();
    expect(Object.keys(headers)).toEqual(['Jenkins-Crumb']);
    server.state.rotateCrumb();
    const stale = await call(`${JOB_PATH}/buildWithParameters?SHA=1`, {
      method: 'POST',
      headers,
    });
    expect(stale.status).toBe(403);
    expect(server.state.builds(JOB)).toEqual([]);
  });

  it('queues a parameterized build, then runs it to SUCCESS by default', async () => {
    const location = await trigger('TOKEN=DEP-1&SHA=abc123&token=remote');
    expect(location).toBe(`${server.url}/queue/item/1/`);

    const waiting = await json(`${location}api/json`);
    expect(waiting).toMatchObject({
      id: 1,
      cancelled: false,
      executable: null,
    });
    expect(waiting.why).toContain('quiet period');

    clock += 500;
    const left = await json(`${location}api/json`);
    expect(left.executable).toEqual({
      _class: 'hudson.model.FreeStyleBuild',
      number: 1,
      url: `${server.url}${JOB_PATH}/1/`,
    });

    const running = await json(`${left.executable.url}api/json`);
    expect(running).toMatchObject({
      number: 1,
      building: true,
      result: null,
      duration: 0,
      url: left.executable.url,
    });
    // The lowercase `token` is Jenkins' own remote trigger token, not a parameter.
    expect(running.actions[0].parameters).toEqual([
      expect.objectContaining({ name: 'TOKEN', value: 'DEP-1' }),
      expect.objectContaining({ name: 'SHA', value: 'abc123' }),
    ]);

    clock += 2000;
    const done = await json(`${left.executable.url}api/json`);
    expect(done).toMatchObject({
      building: false,
      result: 'SUCCESS',
      duration: 2000,
    });
    const log = await call(`${JOB_PATH}/1/consoleText`);
    expect(await log.text()).toContain('Finished: SUCCESS');
    const job = await (await call(`${JOB_PATH}/api/json`)).json();
    expect(job).toMatchObject({
      fullName: JOB,
      nextBuildNumber: 2,
      lastBuild: { number: 1 },
      lastSuccessfulBuild: { number: 1 },
      color: 'blue',
    });
  });

  it('takes parameters from a form body too', async () => {
    const res = await call(`${JOB_PATH}/buildWithParameters`, {
      method: 'POST',
      headers: {
        ...(await crumbHeaders()),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'TOKEN=DEP-2&SHA=def456',
    });
    expect(res.status).toBe(201);
    clock += 500;
    expect(server.state.builds(JOB)[0].record.parameters).toEqual({
      TOKEN: 'DEP-2',
      SHA: 'def456',
    });
  });

  it('follows the outcome set through the state API or over HTTP', async () => {
    server.state.setOutcome(JOB, {
      result: 'FAILURE',
      durationMs: 100,
      queueMs: 0,
    });
    const failing = await trigger();
    const item = await json(`${failing}api/json`);
    clock += 100;
    expect(await json(`${item.executable.url}api/json`)).toMatchObject({
      building: false,
      result: 'FAILURE',
      duration: 100,
    });

    const set = await call(`/_sandbox/jobs/${JOB}/outcome`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ result: 'HANG', queueMs: 10 }),
    });
    expect(set.status).toBe(200);
    expect(await set.json()).toEqual({
      job: JOB,
      result: 'HANG',
      durationMs: 2000,
      queueMs: 10,
    });
    const hanging = await trigger();
    clock += 10;
    const left = await json(`${hanging}api/json`);
    expect(left.executable.number).toBe(2);
    clock += 24 * 3600_000;
    expect(await json(`${left.executable.url}api/json`)).toMatchObject({
      building: true,
      result: null,
    });

    // Stopping a hung build aborts it.
    const stop = await call(`${JOB_PATH}/2/stop`, {
      method: 'POST',
      headers: await crumbHeaders(),
    });
    expect(stop.status).toBe(200);
    expect(await json(`${left.executable.url}api/json`)).toMatchObject({
      building: false,
      result: 'ABORTED',
    });

    const invalid = await call(`/_sandbox/jobs/${JOB}/outcome`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ result: 'MAYBE' }),
    });
    expect(invalid.status).toBe(400);
    const unknown = await call('/_sandbox/jobs/acme/nope/outcome', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ result: 'SUCCESS' }),
    });
    expect(unknown.status).toBe(404);
  });

  it('cancels queue items', async () => {
    const location = await trigger();
    const id = new URL(location).pathname.split('/')[3];
    const cancel = await call(`/queue/cancelItem?id=${id}`, {
      method: 'POST',
      headers: await crumbHeaders(),
    });
    expect(cancel.status).toBe(204);
    clock += 10_000;
    expect(await json(`${location}api/json`)).toMatchObject({
      cancelled: true,
      executable: null,
    });
    expect(server.state.builds(JOB)).toEqual([]);
  });

  it('answers 404 for unknown jobs, builds and queue items', async () => {
    const headers = await crumbHeaders();
    for (const path of [
      '/job/acme/job/nope/buildWithParameters',
      '/job/acme/buildWithParameters',
    ]) {
      const res = await call(path, { method: 'POST', headers });
      expect(res.status).toBe(404);
    }
    expect((await call('/job/acme/job/nope/api/json')).status).toBe(404);
    expect((await call(`${JOB_PATH}/7/api/json`)).status).toBe(404);
    expect((await call('/queue/item/99/api/json')).status).toBe(404);
    const folder = await (await call('/job/acme/api/json')).json();
    expect(folder.jobs.map((j: { name: string }) => j.name).sort()).toEqual([
      'inventory-service',
      'other',
    ]);
  });

  it('numbers builds in the order they leave the queue', async () => {
    server.state.setOutcome(JOB, { result: 'SUCCESS', queueMs: 1000 });
    const slow = await trigger();
    server.state.setOutcome(JOB, { result: 'SUCCESS', queueMs: 0 });
    const fast = await trigger();
    clock += 1;
    expect((await json(`${fast}api/json`)).executable.number).toBe(1);
    expect((await json(`${slow}api/json`)).executable).toBeNull();
    clock += 1000;
    expect((await json(`${slow}api/json`)).executable.number).toBe(2);
  });

  it('lists waiting items at /queue/api/json and filters any api/json with a tree', async () => {
    server.state.setOutcome(JOB, {
      result: 'SUCCESS',
      queueMs: 1000,
      durationMs: 1000,
    });
    await trigger('TOKEN=DEP-1&SHA=a');
    await trigger('TOKEN=DEP-2&SHA=b');
    const queue = await json(`${server.url}/queue/api/json`);
    expect(queue._class).toBe('hudson.model.Queue');
    expect(queue.items.map((i: any) => i.id)).toEqual([1, 2]);
    // Without a tree the task has its default few properties only.
    expect(Object.keys(queue.items[0].task).sort()).toEqual([
      '_class',
      'color',
      'name',
      'url',
    ]);

    const tree = encodeURIComponent(
      'items[id,task[fullName,url],actions[parameters[name,value]]]',
    );
    const pruned = await json(`${server.url}/queue/api/json?tree=${tree}`);
    expect(pruned).toEqual({
      _class: 'hudson.model.Queue',
      items: [1, 2].map(id => ({
        _class: 'hudson.model.Queue$WaitingItem',
        id,
        task: {
          _class: 'hudson.model.FreeStyleProject',
          fullName: JOB,
          url: `${server.url}${JOB_PATH}/`,
        },
        actions: [
          {
            _class: 'hudson.model.ParametersAction',
            parameters: [
              {
                _class: 'hudson.model.StringParameterValue',
                name: 'TOKEN',
                value: `DEP-${id}`,
              },
              {
                _class: 'hudson.model.StringParameterValue',
                name: 'SHA',
                value: id === 1 ? 'a' : 'b',
              },
            ],
          },
          { _class: 'hudson.model.CauseAction' },
        ],
      })),
    });

    // Once they leave the queue, they are builds of the job, newest first, with their
    // parameters under a tree; the queue is empty.
    clock += 1500;
    expect((await json(`${server.url}/queue/api/json`)).items).toEqual([]);
    const builds = await json(
      `${server.url}${JOB_PATH}/api/json?tree=${encodeURIComponent(
        'builds[number,building,result,queueId,actions[parameters[name,value]]]',
      )}`,
    );
    expect(
      builds.builds.map((b: any) => ({
        number: b.number,
        building: b.building,
        result: b.result,
        queueId: b.queueId,
        token: b.actions[0].parameters[0].value,
      })),
    ).toEqual([
      { number: 2, building: true, result: null, queueId: 2, token: 'DEP-2' },
      { number: 1, building: true, result: null, queueId: 1, token: 'DEP-1' },
    ]);
    // A range picks part of an array.
    const first = await json(
      `${server.url}${JOB_PATH}/api/json?tree=${encodeURIComponent(
        'builds[number]{0,1},nextBuildNumber',
      )}`,
    );
    expect(first).toEqual({
      _class: 'hudson.model.FreeStyleProject',
      builds: [{ _class: 'hudson.model.FreeStyleBuild', number: 2 }],
      nextBuildNumber: 3,
    });
    // Without a tree, builds are references.
    const plain = await json(`${server.url}${JOB_PATH}/api/json`);
    expect(Object.keys(plain.builds[0]).sort()).toEqual([
      '_class',
      'number',
      'url',
    ]);
    // A malformed tree is refused.
    expect(
      (await call(`${JOB_PATH}/api/json?tree=${encodeURIComponent('builds[')}`))
        .status,
    ).toBe(400);
  });

  it('lists at most the newest 100 builds of a job under builds', async () => {
    server.state.setOutcome(JOB, {
      result: 'SUCCESS',
      queueMs: 0,
      durationMs: 0,
    });
    for (let i = 0; i < 101; i++) server.state.enqueue(JOB, {});
    const job = await json(`${server.url}${JOB_PATH}/api/json`);
    expect(job.builds).toHaveLength(100);
    expect(job.builds[0].number).toBe(101);
    expect(job.builds[99].number).toBe(2);
  });

  it('holds a response on request: the build is queued at once, the answer sent on release', async () => {
    const held = server.holdResponses(
      r => r.method === 'POST' && r.path.endsWith('/buildWithParameters'),
    );
    let answered = false;
    const pending = trigger('TOKEN=DEP-9').then(location => {
      answered = true;
      return location;
    });
    await held.arrived;
    expect(server.state.queuedItems(JOB)).toHaveLength(1);
    await new Promise(resolve => setTimeout(resolve, 100));
    expect(answered).toBe(false);
    // Other requests are answered meanwhile, and the next trigger is not held.
    expect((await call('/queue/api/json')).status).toBe(200);
    held.release();
    expect(await pending).toMatch(/\/queue\/item\/1\/$/);
    expect(await trigger('TOKEN=DEP-10')).toMatch(/\/queue\/item\/2\/$/);
  });
});

describe('sandbox Jenkins behind another root URL', () => {
  it('uses the public URL in links', async () => {
    const other = await startJenkinsServer({
      user: 'u',
      apiToken: 't',
      jobs: [{ fullName: 'solo' }],
      publicUrl: 'http://jenkins.example:8080/ci/',
    });
    try {
      const authHeader = `Basic ${Buffer.from('u:t').toString('base64')}`;
      const crumb = await (
        await fetch(`${other.url}/crumbIssuer/api/json`, {
          headers: { authorization: authHeader },
        })
      ).json();
      const res = await fetch(`${other.url}/job/solo/build`, {
        method: 'POST',
        headers: { authorization: authHeader, 'Jenkins-Crumb': crumb.crumb },
      });
      expect(res.status).toBe(201);
      expect(res.headers.get('location')).toBe(
        'http://jenkins.example:8080/ci/queue/item/1/',
      );
    } finally {
      await other.close();
    }
  });
});
