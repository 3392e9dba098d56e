import {
  REVISION_ANNOTATION,
  Sandbox,
  buildSeed,
  startSandbox,
} from '@internal/sandbox';
import knexFactory, { Knex } from 'knex';
import {
  Replica,
  callReplicaOk,
  createDeliveryDatabase,
  dropDeliveryDatabase,
  freePort,
  killAllReplicas,
  replicaConfig,
  startReplica,
} from '../dev/replicas';
import { postgresConnections } from './__testUtils__/databases';

/*
 * Durability and concurrency with real processes on real PostgreSQL: delivery backend replicas
 * (dev/replica.ts) run as child processes against the sandbox, are SIGKILLed mid-run and
 * replaced, or run side by side on one database. Each proves that no step's effect happened twice:
 * the Deployment's revision went up by exactly one per environment, GitHub holds exactly one
 * deployment per environment and token, and the deploy stage said "Set …" once.
 *
 * They need PostgreSQL (BACKSTAGE_TEST_DATABASE_POSTGRES<N>_CONNECTION_STRING, which
 * `scripts/test.sh --postgres <url>` sets); without it they are not run, and the first test says so.
 */

jest.setTimeout(90_000);

const POSTGRES = postgresConnections().slice(0, 1);

it('runs the durability tests only when PostgreSQL is given', async () => {
  if (POSTGRES.length === 0) {
    // eslint-disable-next-line no-console
    console.info(
      'durability tests not run: no BACKSTAGE_TEST_DATABASE_POSTGRES<N>_CONNECTION_STRING (scripts/test.sh --postgres <url> sets it)',
    );
    return;
  }
  const db = knexFactory({ client: 'pg', connection: POSTGRES[0] });
  try {
    expect((await db.raw('select 1 as one')).rows).toEqual([{ one: 1 }]);
  } finally {
    await db.destroy();
  }
});

const ENVIRONMENTS = ['uat', 'canary', 'production'];
const seed = buildSeed(Date.now());

const SERVICES: Record<string, { namespace: string; repo: string }> = {
  'payments-api': { namespace: 'payments', repo: 'acme/payments-api' },
  'inventory-service': {
    namespace: 'inventory',
    repo: 'acme/inventory-service',
  },
};

/** Main-line commits with green CI and a healthy version, newest first. */
function greenCommits(service: string): string[] {
  const repo = seed.repositories.find(r => r.name === service)!;
  return repo.commits
    .filter(c => !c.message.startsWith('WIP'))
    .filter(c => !c.unhealthy && c.checks.every(k => k.state === 'success'))
    .map(c => c.sha)
    .reverse();
}

function mainCommit(service: string, back: number): string {
  const repo = seed.repositories.find(r => r.name === service)!;
  const main = repo.commits.filter(c => !c.message.startsWith('WIP'));
  return main[main.length - 1 - back].sha;
}

const expectOk = callReplicaOk;

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

async function waitFor<T>(
  what: string,
  fn: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 30_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (done(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out waiting for ${what}; last value: ${JSON.stringify(value)}`,
      );
    }
    await sleep(intervalMs);
  }
}

/** `deployment.kubernetes.io/revision` of the service's Deployment per cluster. */
/** A deployment once it is neither called nor running, read from the environment's replica. */
function finished(
  env: { current?: Replica },
  token: string,
  what = `${token} to finish`,
) {
  return waitFor(
    what,
    () => expectOk(env.current!, 'GET', `/deployments/${token}`),
    d => !['called', 'running'].includes(d.status),
    45_000,
    100,
  );
}

function revisions(sandbox: Sandbox, service: string): Record<string, number> {
  return Object.fromEntries(
    ENVIRONMENTS.map(env => {
      const d = sandbox.clusters[env].store.get(
        'deployments',
        SERVICES[service].namespace,
        service,
      )!;
      return [env, Number(d.metadata.annotations?.[REVISION_ANNOTATION])];
    }),
  );
}

function image(sandbox: Sandbox, env: string, service: string): string {
  return sandbox.clusters[env].store.get(
    'deployments',
    SERVICES[service].namespace,
    service,
  )!.spec.template.spec.containers[0].image;
}

async function github(sandbox: Sandbox, path: string): Promise<any> {
  const res = await fetch(`${sandbox.githubUrl}${path}`, {
    headers: { Authorization: `token ${sandbox.githubToken}` },
  });
  return res.json();
}

/** GitHub deployments per environment recorded for a token, with their status states. */
async function githubDeployments(
  sandbox: Sandbox,
  service: string,
  token: string,
): Promise<Record<string, string[][]>> {
  const all: any[] = await github(
    sandbox,
    `/repos/${SERVICES[service].repo}/deployments?per_page=100`,
  );
  const result: Record<string, string[][]> = {};
  for (const d of all.filter(x => x.payload?.token === token)) {
    const statuses: any[] = await github(
      sandbox,
      `/repos/${SERVICES[service].repo}/deployments/${d.id}/statuses?per_page=100`,
    );
    (result[d.environment] ??= []).push(
      statuses.map(s => s.state as string).reverse(),
    );
  }
  return result;
}

/** Log messages of a finished deployment's stage. */
function logsOf(deployment: any, stage: string): string[] {
  const found = deployment.stages.find((s: any) => s.name === stage);
  return found ? found.logs.map((l: any) => l.message) : [];
}

const count = (messages: string[], prefix: string) =>
  messages.filter(m => m.startsWith(prefix)).length;

const ALL_SUCCEEDED = [
  'validate',
  ...ENVIRONMENTS.flatMap((env, i) =>
    // Production is validated again before it is touched.
    [
      ...(i === ENVIRONMENTS.length - 1 ? ['validate'] : []),
      'backup',
      'deploy',
      'rollout',
      'verify',
    ].map(s => `${env}.${s}`),
  ),
  'mark-stable',
].map(name => `${name}:succeeded`);

/** One sandbox and one fresh PostgreSQL database per describe; replicas killed at the end. */
function useEnvironment(options: {
  connection: string;
  name: string;
  sandbox: Parameters<typeof startSandbox>[0];
  /** Over the sandbox's delivery config; a function when it needs the sandbox's URLs. */
  delivery?: Record<string, any> | ((sandbox: Sandbox) => Record<string, any>);
}) {
  const prefix = `delivery_${options.name}_${process.pid}_${Date.now()}_`;
  const env = {
    sandbox: undefined as unknown as Sandbox,
    /** The replica a test left running, for the next one. */
    current: undefined as Replica | undefined,
    async replica(name: string): Promise<Replica> {
      env.current = await startReplica({
        name,
        config: replicaConfig({
          sandbox: env.sandbox,
          port: await freePort(),
          postgres: { connection: options.connection, prefix },
          delivery:
            typeof options.delivery === 'function'
              ? options.delivery(env.sandbox)
              : options.delivery,
        }),
      });
      return env.current;
    },
    /** The replicas' database, for what the API does not show. */
    database(): Knex {
      const url = new URL(options.connection);
      url.pathname = `/${prefix}delivery`;
      return knexFactory({ client: 'pg', connection: url.toString() });
    },
  };
  beforeAll(async () => {
    env.sandbox = await startSandbox(options.sandbox);
    await createDeliveryDatabase(options.connection, prefix);
  });
  afterAll(async () => {
    await killAllReplicas();
    await env.sandbox?.close();
    await dropDeliveryDatabase(options.connection, prefix);
  });
  return env;
}

for (const connection of POSTGRES) {
  describe('a replica killed with SIGKILL mid-run', () => {
    const env = useEnvironment({
      connection,
      name: 'kill',
      // Slow rollouts and a longer canary window leave time to kill inside them.
      sandbox: {
        rolloutStepMs: 300,
        traffic: { tickMs: 100, rps: 200, seed: 11 },
      },
      delivery: {
        pipeline: {
          tick: { milliseconds: 100 },
          pollInterval: { milliseconds: 100 },
          rolloutTimeout: { seconds: 60 },
          lease: { seconds: 2 },
          // Two replicas may die inside one window (the third kill is at a random moment), and
          // each new one takes seconds to start on a loaded machine: evidence may come in late.
          verification: {
            uat: {
              window: { milliseconds: 500 },
              interval: { milliseconds: 100 },
              evidenceTimeout: { seconds: 20 },
            },
            canary: {
              window: { seconds: 3 },
              interval: { milliseconds: 200 },
              evidenceTimeout: { seconds: 20 },
            },
            production: {
              window: { seconds: 1 },
              interval: { milliseconds: 100 },
              evidenceTimeout: { seconds: 20 },
            },
          },
        },
      },
    });
    const service = 'payments-api';

    async function requestAndStart(replica: Replica, sha: string) {
      const requested = await expectOk(
        replica,
        'POST',
        `/entities/default/component/${service}/deployments`,
        { commitSha: sha },
      );
      const token: string = requested.deployment.token;
      expect(requested.deployment.status).toBe('called');
      const started = await expectOk(
        replica,
        'POST',
        `/deployments/${token}/start`,
      );
      return { token, image: started.image as string };
    }

    /** The stage the run is in, as the current replica sees it. */
    const stageOf = async (token: string) => {
      const d = await expectOk(env.current!, 'GET', `/deployments/${token}`);
      return d.stages.find((s: any) => s.status === 'running')?.name ?? '-';
    };

    it('resumes on a new replica each time and finishes with every step done once', async () => {
      const before = revisions(env.sandbox, service);
      const { token, image: target } = await requestAndStart(
        await env.replica('A'),
        mainCommit(service, 5),
      );

      // Kill inside given stages, then at a random moment; a new replica takes over each time.
      const kills: string[] = [];
      for (const [stage, next] of [
        ['uat.rollout', 'B'],
        ['canary.verify', 'C'],
        [undefined, 'D'],
      ]) {
        if (stage) {
          await waitFor(
            `${token} in ${stage}`,
            () => stageOf(token),
            s => s === stage,
          );
        } else {
          await sleep(Math.floor(Math.random() * 2000));
        }
        const at = await stageOf(token);
        await env.current!.kill();
        kills.push(`${env.current!.name} killed in ${at}`);
        await env.replica(next!);
      }

      const done = await finished(env, token, `${token} to finish (${kills})`);
      expect({ kills, status: done.status, reason: done.reason }).toEqual({
        kills,
        status: 'succeeded',
        reason: undefined,
      });
      expect(done.stages.map((s: any) => `${s.name}:${s.status}`)).toEqual(
        ALL_SUCCEEDED,
      );
      for (const e of ENVIRONMENTS) {
        expect(image(env.sandbox, e, service)).toBe(target);
      }
      // No step's effect happened twice.
      const after = revisions(env.sandbox, service);
      expect({ kills, after }).toEqual({
        kills,
        after: {
          uat: before.uat + 1,
          canary: before.canary + 1,
          production: before.production + 1,
        },
      });
      const recorded = await githubDeployments(env.sandbox, service, token);
      expect(Object.keys(recorded).sort()).toEqual([...ENVIRONMENTS].sort());
      for (const e of ENVIRONMENTS) {
        expect({ kills, e, recorded: recorded[e].length }).toEqual({
          kills,
          e,
          recorded: 1,
        });
        expect(recorded[e][0]).toContain('success');
        expect(count(logsOf(done, `${e}.deploy`), 'Set ')).toBe(1);
      }
    });

    it('finishes failing a stage when the replica died while failing it, without running it again', async () => {
      // A SIGKILL cannot aim at the few milliseconds in which a failing stage is recorded, so
      // the database is left as such a kill leaves it: the stage failed with its reason logged,
      // no rollback stage yet.
      const replica = env.current ?? (await env.replica('E'));
      const canaryBefore = image(env.sandbox, 'canary', service);
      const before = revisions(env.sandbox, service);
      const { token } = await requestAndStart(replica, mainCommit(service, 2));
      await waitFor(
        `${token} in canary.verify`,
        () => stageOf(token),
        s => s === 'canary.verify',
      );
      await replica.kill();
      const db = env.database();
      try {
        const stage = await db('delivery_run_stages')
          .where({ run_id: token, name: 'canary.verify' })
          .first();
        await db('delivery_run_logs').insert({
          run_id: token,
          position: stage.position,
          at: new Date(),
          level: 'error',
          message: 'Unhealthy in canary: recorded before the kill',
        });
        await db('delivery_run_stages')
          .where({ run_id: token, name: 'canary.verify' })
          .update({ status: 'failed', finished_at: new Date() });
      } finally {
        await db.destroy();
      }
      await env.replica('F');

      const done = await finished(env, token, `${token} to be rolled back`);
      expect(done.status).toBe('rolled_back');
      expect(done.reason).toBe(
        'canary.verify: Unhealthy in canary: recorded before the kill',
      );
      // The commit ships behind its flag (a Flag: trailer): the plan has its flag steps; canary
      // failed before its flag went on there, so only the version is rolled back.
      expect(done.stages.map((s: any) => `${s.name}:${s.status}`)).toEqual([
        ...ALL_SUCCEEDED.slice(0, 5),
        'uat.flags-100:succeeded',
        ...ALL_SUCCEEDED.slice(5, 8),
        'canary.verify:failed',
        'canary.flags-10:skipped',
        'canary.flags-50:skipped',
        'canary.flags-100:skipped',
        'production.validate:skipped',
        'production.backup:skipped',
        'production.deploy:skipped',
        'production.rollout:skipped',
        'production.verify:skipped',
        'production.flags-10:skipped',
        'production.flags-50:skipped',
        'production.flags-100:skipped',
        'mark-stable:skipped',
        'canary.rollback:succeeded',
      ]);
      // The failed verification did not sample again after the kill.
      const verify = logsOf(done, 'canary.verify');
      expect(
        verify
          .slice(verify.indexOf(done.reason.replace('canary.verify: ', '')))
          .filter(m => m.startsWith('Health sample')),
      ).toEqual([]);
      // Canary is back on its version (deployed, then returned: two revisions); production was
      // never touched.
      expect(image(env.sandbox, 'canary', service)).toBe(canaryBefore);
      expect(revisions(env.sandbox, service)).toEqual({
        ...before,
        uat: before.uat + 1,
        canary: before.canary + 2,
      });
    });
  });

  describe('a replica paused past its lease (SIGSTOP)', () => {
    const env = useEnvironment({
      connection,
      name: 'fence',
      sandbox: {
        rolloutStepMs: 100,
        traffic: { tickMs: 100, rps: 200, seed: 7 },
      },
      delivery: {
        pipeline: {
          tick: { milliseconds: 100 },
          pollInterval: { milliseconds: 100 },
          rolloutTimeout: { seconds: 60 },
          lease: { seconds: 2 },
          verification: {
            uat: {
              window: { milliseconds: 500 },
              interval: { milliseconds: 100 },
            },
            canary: {
              window: { milliseconds: 500 },
              interval: { milliseconds: 100 },
            },
            production: {
              window: { seconds: 4 },
              interval: { milliseconds: 200 },
            },
          },
        },
      },
    });
    const service = 'payments-api';

    it('cannot commit its step or touch anything after another replica took the run over', async () => {
      const before = revisions(env.sandbox, service);
      const a = await env.replica('A');
      // A's write to canary is applied, but A hears back only when the test says.
      const held = env.sandbox.clusters.canary.holdResponses(
        r => r.method === 'PUT' && r.path.endsWith(`/deployments/${service}`),
      );
      const requested = await expectOk(
        a,
        'POST',
        `/entities/default/component/${service}/deployments`,
        { commitSha: mainCommit(service, 5) },
      );
      const token: string = requested.deployment.token;
      const started = await expectOk(a, 'POST', `/deployments/${token}/start`);
      await held.arrived;
      // A freezes inside canary.deploy (a GC pause, a stopped VM), after its effect.
      process.kill(a.pid, 'SIGSTOP');
      held.release();
      try {
        // B takes the run over once A's 2 s lease lapses, and carries it into production.
        const b = await env.replica('B');
        await waitFor(
          `${token} in production.verify on B`,
          async () => {
            const d = await expectOk(b, 'GET', `/deployments/${token}`);
            return d.stages.find((s: any) => s.status === 'running')?.name;
          },
          stage => stage === 'production.verify',
          45_000,
          100,
        );
      } finally {
        // A wakes up in the middle of B's run, with the answer to its old write.
        process.kill(a.pid, 'SIGCONT');
      }
      const done = await finished(env, token);
      expect({ status: done.status, reason: done.reason }).toEqual({
        status: 'succeeded',
        reason: undefined,
      });
      expect(done.stages.map((s: any) => `${s.name}:${s.status}`)).toEqual(
        ALL_SUCCEEDED,
      );
      const canaryDeploy = logsOf(done, 'canary.deploy');
      expect(canaryDeploy).toHaveLength(1);
      expect(canaryDeploy[0]).toMatch(/already runs|^Set /);
      // Every environment changed once, GitHub recorded one deployment each, and no stage ran
      // again because of A.
      expect(revisions(env.sandbox, service)).toEqual({
        uat: before.uat + 1,
        canary: before.canary + 1,
        production: before.production + 1,
      });
      for (const e of ENVIRONMENTS) {
        expect(image(env.sandbox, e, service)).toBe(started.image);
        expect(count(logsOf(done, `${e}.backup`), 'Recorded ')).toBe(1);
        expect(count(logsOf(done, `${e}.rollout`), 'Rollout complete')).toBe(1);
        expect(count(logsOf(done, `${e}.verify`), 'Healthy for')).toBe(1);
      }
      const recorded = await githubDeployments(env.sandbox, service, token);
      for (const e of ENVIRONMENTS) {
        expect({ e, recorded: recorded[e]?.length }).toEqual({
          e,
          recorded: 1,
        });
      }
      expect(count(logsOf(done, 'mark-stable'), 'Marked ')).toBe(1);
      // A's late step was refused, and it said so.
      await waitFor(
        "A's word on its lost lease",
        async () => a.output(),
        output => output.includes(`The lease on run ${token} was lost`),
        10_000,
      );
    });
  });

  describe('a replica killed between triggering Jenkins and saving the build', () => {
    const env = useEnvironment({
      connection,
      name: 'jenkins',
      sandbox: {
        rolloutStepMs: 30,
        traffic: { tickMs: 100, rps: 200, seed: 13 },
      },
      delivery: sandbox => ({
        jenkins: {
          baseUrl: sandbox.jenkinsUrl,
          username: sandbox.jenkinsCredentials.username,
          apiToken: sandbox.jenkinsCredentials.apiToken,
          jobOwners: [
            {
              folder: 'acme/inventory-service',
              owners: ['group:default/team-storefront'],
            },
          ],
        },
      }),
    });
    const service = 'inventory-service';
    const job = 'acme/inventory-service/acceptance';

    it('resumes on another replica, which adopts the build instead of starting a second', async () => {
      const sandbox = env.sandbox;
      sandbox.jenkins.state.setOutcome(job, {
        result: 'SUCCESS',
        queueMs: 300,
        durationMs: 1_000,
      });
      // Jenkins queues A's build at once, but A hears back only when the test says: A dies
      // after the trigger reached Jenkins and before the stage saved the queue item.
      const held = sandbox.jenkins.holdResponses(
        r => r.method === 'POST' && r.path.endsWith('/buildWithParameters'),
      );
      const a = await env.replica('A');
      const sha = greenCommits(service).find(c =>
        ENVIRONMENTS.every(
          e => !image(sandbox, e, service).endsWith(c.slice(0, 7)),
        ),
      )!;
      const requested = await expectOk(
        a,
        'POST',
        `/entities/default/component/${service}/deployments`,
        { commitSha: sha },
      );
      const token: string = requested.deployment.token;
      await expectOk(a, 'POST', `/deployments/${token}/start`);
      await held.arrived;
      await a.kill();
      held.release();
      const carrying = () =>
        [
          ...sandbox.jenkins.state.builds(job).map(b => b.record.parameters),
          ...sandbox.jenkins.state.queuedItems(job).map(q => q.parameters),
        ].filter(p => Object.values(p).includes(token));
      expect(carrying()).toHaveLength(1);

      // B takes the run over once A's lease lapses.
      await env.replica('B');
      const done = await finished(env, token);
      expect({ status: done.status, reason: done.reason }).toEqual({
        status: 'succeeded',
        reason: undefined,
      });
      expect(done.stages.map((s: any) => `${s.name}:${s.status}`)).toEqual([
        ...ALL_SUCCEEDED.slice(0, 5),
        'uat.jenkins:succeeded',
        ...ALL_SUCCEEDED.slice(5),
      ]);
      // Exactly one build carries the token, with the process's parameter names, and B
      // followed it.
      expect(carrying()).toEqual([
        { DEPLOYMENT_TOKEN: token, GIT_COMMIT_SHA: sha, TARGET_ENV: 'uat' },
      ]);
      const [build] = sandbox.jenkins.state
        .builds(job)
        .filter(b => b.record.parameters.DEPLOYMENT_TOKEN === token);
      const logs = logsOf(done, 'uat.jenkins');
      expect(logs.filter(m => m.startsWith('Triggered '))).toEqual([]);
      expect(logs).toContainEqual(
        expect.stringMatching(
          new RegExp(`^Found Jenkins job ${job}'s build for ${token} already`),
        ),
      );
      expect(logs).toContain(`Jenkins build #${build.record.number} succeeded`);
    });
  });

  describe('two replicas on one PostgreSQL', () => {
    const env = useEnvironment({
      connection,
      name: 'pair',
      sandbox: {
        rolloutStepMs: 30,
        traffic: { tickMs: 100, rps: 200, seed: 5 },
      },
    });

    it('keeps one active deployment per service, FIFO order, and runs every step once', async () => {
      const a = await env.replica('A');
      const b = await env.replica('B');
      const replicas = [a, b];
      const sandbox = env.sandbox;
      const perService = 3;
      const before = Object.fromEntries(
        Object.keys(SERVICES).map(s => [s, revisions(sandbox, s)]),
      );

      // Requests for both services, sent at once, alternately to A and B; each a different
      // commit, so every run changes the image in every environment.
      const plan = Object.keys(SERVICES).flatMap(service =>
        greenCommits(service)
          .filter(sha =>
            ENVIRONMENTS.every(
              e => !image(sandbox, e, service).endsWith(sha.slice(0, 7)),
            ),
          )
          .slice(0, perService)
          .map(sha => ({ service, sha })),
      );
      expect(plan).toHaveLength(perService * 2);
      const responses = await Promise.all(
        plan.map((p, i) =>
          expectOk(
            replicas[i % 2],
            'POST',
            `/entities/default/component/${p.service}/deployments`,
            { commitSha: p.sha },
          ),
        ),
      );
      const tokens = responses.map(r => r.deployment.token as string);
      expect(new Set(tokens).size).toBe(tokens.length);
      const serviceOf = new Map(tokens.map((t, i) => [t, plan[i].service]));

      // Lease owners seen in the database show that both replicas stepped runs.
      const db = env.database();
      const owners = new Set<string>();
      const violations: string[] = [];
      const started = new Set<string>();
      let samples = 0;
      let next = 0;
      const ended = new Set<string>();
      const deadline = Date.now() + 60_000;
      try {
        while (ended.size < tokens.length) {
          if (Date.now() > deadline) {
            throw new Error(
              `Timed out: finished ${[...ended].join(', ')} of ${tokens.join(
                ', ',
              )}`,
            );
          }
          for (const row of await db('delivery_runs')
            .select('lease_owner')
            .whereNotNull('lease_owner')) {
            owners.add(row.lease_owner);
          }
          for (const service of Object.keys(SERVICES)) {
            for (const replica of replicas) {
              const list = await expectOk(
                replica,
                'GET',
                `/entities/default/component/${service}/deployments`,
              );
              samples++;
              const active = list.queue.filter((d: any) =>
                ['called', 'running'].includes(d.status),
              );
              if (active.length > 1) {
                violations.push(
                  `${replica.name}: ${active
                    .map((d: any) => `${d.token}:${d.status}`)
                    .join(', ')}`,
                );
              }
              for (const d of list.history) {
                if (serviceOf.has(d.token)) ended.add(d.token);
              }
              // The requester starts a called deployment, through either replica.
              for (const d of active) {
                if (d.status === 'called' && !started.has(d.token)) {
                  started.add(d.token);
                  await expectOk(
                    replicas[next++ % 2],
                    'POST',
                    `/deployments/${d.token}/start`,
                  );
                }
              }
            }
          }
          await sleep(20);
        }
      } finally {
        await db.destroy();
      }

      expect(violations).toEqual([]);
      expect(samples).toBeGreaterThan(50);
      const ownerPids = [...owners].map(o => Number(o.split('-').at(-2)));
      expect(new Set(ownerPids)).toEqual(new Set([a.pid, b.pid]));

      const done = await Promise.all(
        tokens.map(t => expectOk(a, 'GET', `/deployments/${t}`)),
      );
      for (const service of Object.keys(SERVICES)) {
        const runs = done
          .filter(d => serviceOf.get(d.token) === service)
          .sort((x, y) => x.token.localeCompare(y.token));
        // All succeeded, one after the other in token order.
        expect(
          runs.map(d => ({
            token: d.token,
            status: d.status,
            reason: d.reason,
          })),
        ).toEqual(
          runs.map(d => ({
            token: d.token,
            status: 'succeeded',
            reason: undefined,
          })),
        );
        for (let i = 1; i < runs.length; i++) {
          expect(runs[i].startedAt >= runs[i - 1].finishedAt).toBe(true);
          expect(runs[i].finishedAt > runs[i - 1].finishedAt).toBe(true);
        }
        // Every run changed every environment exactly once; the last one stays.
        const after = revisions(sandbox, service);
        for (const e of ENVIRONMENTS) {
          expect(after[e] - before[service][e]).toBe(runs.length);
          expect(image(sandbox, e, service)).toBe(runs[runs.length - 1].image);
        }
        for (const run of runs) {
          expect(run.stages.map((s: any) => `${s.name}:${s.status}`)).toEqual(
            ALL_SUCCEEDED,
          );
          const recorded = await githubDeployments(sandbox, service, run.token);
          expect(Object.keys(recorded).sort()).toEqual(
            [...ENVIRONMENTS].sort(),
          );
          for (const e of ENVIRONMENTS) {
            // One GitHub deployment, with one status per transition.
            // (GitHub marks a deployment inactive when a newer one succeeds.)
            expect(
              recorded[e].map(states => states.filter(x => x !== 'inactive')),
            ).toEqual([['in_progress', 'success']]);
            expect(count(logsOf(run, `${e}.deploy`), 'Set ')).toBe(1);
            expect(
              logsOf(run, `${e}.deploy`).filter(m =>
                m.includes('already runs'),
              ),
            ).toEqual([]);
            expect(count(logsOf(run, `${e}.backup`), 'Recorded ')).toBe(1);
            expect(count(logsOf(run, `${e}.rollout`), 'Rollout complete')).toBe(
              1,
            );
            expect(count(logsOf(run, `${e}.verify`), 'Healthy for')).toBe(1);
          }
          expect(count(logsOf(run, 'validate'), 'Commit ')).toBe(1);
          expect(count(logsOf(run, 'mark-stable'), 'Marked ')).toBe(1);
        }
      }
    });
  });
}

for (const connection of POSTGRES) {
  describe('a rollback whose replica is killed mid-rollback', () => {
    const env = useEnvironment({
      connection,
      name: 'rollback',
      // Slow rollouts leave time to kill inside the rollback's stages.
      sandbox: {
        rolloutStepMs: 300,
        traffic: { tickMs: 100, rps: 200, seed: 19 },
      },
      delivery: {
        rollback: { automation: { enabled: false } },
        pipeline: {
          tick: { milliseconds: 100 },
          pollInterval: { milliseconds: 100 },
          rolloutTimeout: { seconds: 60 },
          lease: { seconds: 2 },
          verification: Object.fromEntries(
            ENVIRONMENTS.map(e => [
              e,
              {
                window: { seconds: 1 },
                interval: { milliseconds: 100 },
                evidenceTimeout: { seconds: 10 },
              },
            ]),
          ),
        },
      },
    });
    const service = 'payments-api';
    const { namespace } = SERVICES[service];

    it('finishes on the next replica: canary first, each environment set once, the incident resolved', async () => {
      const store = (e: string) => env.sandbox.clusters[e].store;
      const shaOf = (e: string) =>
        store(e).get('deployments', namespace, service)!.metadata.annotations![
          'delivery.backstage.io/commit-sha'
        ];
      const stable = shaOf('production');
      const bad = mainCommit(service, 2);
      for (const e of ['canary', 'production']) {
        const w = store(e).get('deployments', namespace, service)!;
        w.spec.template.spec.containers[0].image = `ghcr.io/acme/${service}:${bad}`;
        w.metadata.annotations!['delivery.backstage.io/commit-sha'] = bad;
        store(e).update(undefined, w);
      }
      const before = revisions(env.sandbox, service);
      const a = await env.replica('A');
      const { rollback } = await expectOk(
        a,
        'POST',
        `/entities/default/component/${service}/rollbacks`,
        {
          environment: 'production',
          level: 2,
          reason: 'The hotfix fails half the payments',
        },
      );
      const kills: string[] = [];
      for (const at of [
        'canary.stable-rollback',
        'production.stable-rollback',
      ]) {
        await waitFor(
          `${rollback.id} to reach ${at}`,
          async () =>
            (
              await expectOk(env.current!, 'GET', `/rollbacks/${rollback.id}`)
            ).stages.find((s: any) => s.name === at)?.status,
          status => status === 'running',
        );
        await env.current!.kill();
        kills.push(`${env.current!.name} killed in ${at}`);
        await env.replica(at === 'canary.stable-rollback' ? 'B' : 'C');
      }
      const done = await waitFor(
        `${rollback.id} to finish (${kills})`,
        () => expectOk(env.current!, 'GET', `/rollbacks/${rollback.id}`),
        r => r.status !== 'running',
        60_000,
      );
      expect({ kills, status: done.status, why: done.outcomeReason }).toEqual({
        kills,
        status: 'succeeded',
        why: undefined,
      });
      for (const e of ['canary', 'production']) {
        expect(shaOf(e)).toBe(stable);
      }
      // Each environment was set once: one new revision each, uat untouched.
      const after = revisions(env.sandbox, service);
      expect({
        uat: after.uat - before.uat,
        canary: after.canary - before.canary,
        production: after.production - before.production,
      }).toEqual({ uat: 0, canary: 1, production: 1 });
      const logs = (name: string): string[] =>
        done.stages
          .find((s: any) => s.name === name)
          .logs.map((l: any) => l.message as string);
      // A replica killed between the write and its log leaves the next one saying "Kept".
      for (const e of ['canary', 'production']) {
        expect(
          logs(`${e}.stable-rollback`).filter(m => m.startsWith('Returned '))
            .length,
        ).toBeLessThanOrEqual(1);
        expect(
          logs(`${e}.stable-rollback`).filter(m =>
            m.includes('Rollout complete'),
          ),
        ).toHaveLength(1);
      }
      const { items } = await expectOk(
        env.current!,
        'GET',
        `/entities/default/component/${service}/incidents`,
      );
      expect(items[0]).toMatchObject({
        rollbackId: rollback.id,
        level: 2,
        environment: 'production',
      });
      expect(items[0].resolvedAt).toBeDefined();
    });
  });
}
