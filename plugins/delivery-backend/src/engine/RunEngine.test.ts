import { TestDatabaseId, mockServices } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { createTestDatabases } from '../__testUtils__/databases';
import { migrateDeliveryDatabase } from '../database/DatabaseObservedVersionsStore';
import { DatabaseRunStore } from './DatabaseRunStore';
import { RunEngine } from './RunEngine';
import { RunKind, RunRecord, StageRecord, createStageHandler } from './types';

/*
 * The engine with a kind of run defined here, in the test: a "report" that collects figures,
 * waits for a review, publishes, and takes the publication back when a later stage fails. The
 * engine knows nothing of it; it only gets it registered. Time is the store's injected clock.
 */

const databases = createTestDatabases();

interface ReportInput {
  title: string;
  /** From this stage on, the run may not be cancelled any more. */
  pointOfNoReturn?: string;
  /** Stages of this run that throw this many times before they work. */
  flaky?: Record<string, number>;
  /** A stage that fails for good. */
  failAt?: string;
}

/** The outside world the report acts on: every effect lands here, so doubles show. */
interface World {
  published: string[];
  withdrawn: string[];
  collected: number;
  reviewedAt?: Date;
  finished: string[];
  events: string[];
  /** Lets a test hold the `collect` stage mid-step. */
  gate?: Promise<void>;
  afterGate?: 'effect' | 'fence-then-effect';
}

function reportKind(world: World): RunKind<ReportInput, { title: string }> {
  const thrown: Record<string, number> = {};
  const maybeThrow = (run: RunRecord<ReportInput>, stage: string) => {
    const times = run.input.flaky?.[stage] ?? 0;
    thrown[`${run.id}/${stage}`] ??= 0;
    if (thrown[`${run.id}/${stage}`] < times) {
      thrown[`${run.id}/${stage}`]++;
      throw new Error(`${stage} is flaky`);
    }
  };
  return {
    kind: 'report',
    successOutcome: 'published',
    async load(run) {
      return { title: run.input.title.toUpperCase() };
    },
    handlers: [
      createStageHandler<ReportInput, { title: string }, { figures?: number }>({
        stage: 'collect',
        async run(ctx) {
          maybeThrow(ctx.run, 'collect');
          if (world.gate) {
            await world.gate;
            if (world.afterGate === 'fence-then-effect') await ctx.fence();
          }
          world.collected++;
          await ctx.log('info', `Collected figures for ${ctx.target.title}`);
          return { type: 'done', state: { figures: 42 } };
        },
      }),
      createStageHandler<ReportInput, { title: string }, { asked?: boolean }>({
        stage: 'review',
        async run(ctx) {
          if (world.reviewedAt && world.reviewedAt <= ctx.now) {
            return { type: 'done', actor: 'user:default/grace' };
          }
          if (!ctx.stage.state.asked) {
            await ctx.log('info', 'Waiting for a review');
          }
          return {
            type: 'wait',
            afterMs: 60_000,
            waiting: true,
            state: { asked: true },
          };
        },
      }),
      createStageHandler<ReportInput, { title: string }, object>({
        stage: 'publish',
        async run(ctx) {
          maybeThrow(ctx.run, 'publish');
          if (ctx.run.input.failAt === ctx.stage.name) {
            return { type: 'fail', reason: 'the printer is on fire' };
          }
          const collect = ctx.stages.find(s => s.kind === 'collect') as
            | StageRecord<{ figures?: number }>
            | undefined;
          await ctx.fence();
          world.published.push(`${ctx.run.id}:${collect?.state.figures}`);
          return { type: 'done' };
        },
      }),
      createStageHandler<ReportInput, { title: string }, object>({
        stage: 'withdraw',
        retry: { maxAttempts: Infinity, backoffMs: () => 1_000 },
        async run(ctx) {
          maybeThrow(ctx.run, 'withdraw');
          world.withdrawn.push(ctx.run.id);
          return { type: 'done' };
        },
      }),
    ],
    cancelRefusal(run, stages) {
      const from = stages.findIndex(s => s.name === run.input.pointOfNoReturn);
      return from >= 0 && run.currentStage >= from
        ? `${stages[from].name} has begun`
        : undefined;
    },
    onFailure(failure) {
      if (failure.compensating) {
        return {
          outcome: 'broken',
          reason: `${failure.run.reason}; withdrawing failed too: ${failure.reason}`,
        };
      }
      const published = failure.stages.some(
        s => s.kind === 'publish' && s.status === 'succeeded',
      );
      const reason = `${failure.stage?.name ?? 'report'}: ${failure.reason}`;
      return published
        ? {
            outcome: failure.cancelledBy ? 'cancelled' : 'withdrawn',
            reason,
            compensate: [{ name: 'withdraw', kind: 'withdraw' }],
          }
        : { outcome: failure.cancelledBy ? 'cancelled' : 'failed', reason };
    },
    async onFinished(run) {
      world.finished.push(`${run.id}:${run.outcome}`);
    },
    async onEvent(event) {
      world.events.push(`${event.type}:${event.stage.name}`);
    },
  };
}

const PLAN = [
  { name: 'collect', kind: 'collect' },
  { name: 'review', kind: 'review' },
  { name: 'publish', kind: 'publish' },
  { name: 'publish-again', kind: 'publish' },
];

describe.each(databases.eachSupportedId())(
  'RunEngine on %p',
  (databaseId: TestDatabaseId) => {
    let knex: Knex;
    let time: Date;
    const clock = () => new Date(time);
    const advance = (ms: number) => {
      time = new Date(time.getTime() + ms);
    };

    function setup(options?: { leaseMs?: number; instanceId?: string }) {
      const world: World = {
        published: [],
        withdrawn: [],
        collected: 0,
        finished: [],
        events: [],
      };
      const store = new DatabaseRunStore(knex, { clock });
      const make = (instanceId: string) =>
        new RunEngine({
          store,
          logger: mockServices.logger.mock(),
          instanceId,
          leaseMs: options?.leaseMs ?? 60_000,
          retry: { maxAttempts: 3, backoffMs: errors => errors * 5_000 },
        }).register(reportKind(world));
      return {
        world,
        store,
        engine: make(options?.instanceId ?? 'a'),
        make,
      };
    }

    async function drain(engine: RunEngine, rounds = 20) {
      for (let i = 0; i < rounds; i++) {
        if ((await engine.runDue()) === 0) return;
      }
    }

    const summary = async (store: DatabaseRunStore, id: string) => {
      const run = await store.getRun({ id });
      const stages = await store.listStages({ runIds: [id] });
      return {
        status: run?.status,
        outcome: run?.outcome,
        reason: run?.reason,
        stages: stages.map(s => `${s.name}:${s.status}`),
      };
    };

    beforeEach(async () => {
      knex = await databases.init(databaseId);
      await migrateDeliveryDatabase(knex);
      time = new Date(Date.UTC(2026, 10, 28, 9, 0, 0));
    });

    it('runs a kind it was only told about, stage by stage, waiting for a person in between', async () => {
      const { world, store, engine } = setup();
      await engine.createRun({
        kind: 'report',
        id: 'r1',
        subject: 'component:default/payments-api',
        input: { title: 'weekly' },
        stages: PLAN,
      });
      await drain(engine);
      // Collected, then waiting for the review: not due again for a minute.
      expect(await summary(store, 'r1')).toMatchObject({
        status: 'running',
        stages: [
          'collect:succeeded',
          'review:waiting',
          'publish:pending',
          'publish-again:pending',
        ],
      });
      advance(30_000);
      world.reviewedAt = clock();
      expect(await engine.runDue()).toBe(0);
      advance(30_000);
      await drain(engine);

      expect(await summary(store, 'r1')).toEqual({
        status: 'finished',
        outcome: 'published',
        reason: undefined,
        stages: [
          'collect:succeeded',
          'review:succeeded',
          'publish:succeeded',
          'publish-again:succeeded',
        ],
      });
      expect(world.published).toEqual(['r1:42', 'r1:42']);
      expect(world.finished).toEqual(['r1:published']);
      expect(world.events).toEqual([
        'stage-started:collect',
        'stage-finished:collect',
        'stage-started:review',
        'stage-finished:review',
        'stage-started:publish',
        'stage-finished:publish',
        'stage-started:publish-again',
        'stage-finished:publish-again',
      ]);
      const stages = await store.listStages({ runIds: ['r1'] });
      expect(stages.map(s => [s.attempts, s.actor])).toEqual([
        [1, 'delivery'],
        [2, 'user:default/grace'],
        [1, 'delivery'],
        [1, 'delivery'],
      ]);
      expect(stages[0].state).toEqual({ figures: 42 });
      const logs = await store.listLogs({ runIds: ['r1'] });
      expect(logs.map(l => `${l.position}:${l.message}`)).toEqual([
        '0:Collected figures for WEEKLY',
        '1:Waiting for a review',
      ]);
    });

    it('refuses a run whose stages it has no handler for, and a second kind of the same name', async () => {
      const { engine, store } = setup();
      await expect(
        engine.createRun({
          kind: 'report',
          id: 'r2',
          subject: 's',
          input: { title: 't' },
          stages: [{ name: 'print', kind: 'print' }],
        }),
      ).rejects.toThrow(
        "Run kind 'report' has no handler for stage kind 'print'",
      );
      await expect(
        engine.createRun({
          kind: 'invoice',
          id: 'r2',
          subject: 's',
          input: {},
          stages: [],
        }),
      ).rejects.toThrow("Unknown run kind 'invoice'");
      expect(await store.getRun({ id: 'r2' })).toBeUndefined();
      expect(() => engine.register(reportKind({} as World))).toThrow(
        "A run kind 'report' is already registered",
      );
    });

    it('retries a throwing step with backoff, then fails the stage after the last attempt', async () => {
      const { world, store, engine } = setup();
      world.reviewedAt = clock();
      await engine.createRun({
        kind: 'report',
        id: 'r3',
        subject: 's',
        input: { title: 't', flaky: { collect: 2, publish: 5 } },
        stages: PLAN,
      });
      expect(await engine.runDue()).toBe(1);
      // Backoff: 5 s after the first error, 10 s after the second.
      expect(await engine.runDue()).toBe(0);
      advance(5_000);
      expect(await engine.runDue()).toBe(1);
      advance(9_000);
      expect(await engine.runDue()).toBe(0);
      advance(1_000);
      await drain(engine);
      let stages = await store.listStages({ runIds: ['r3'] });
      expect(stages[0]).toMatchObject({
        status: 'succeeded',
        attempts: 3,
        errors: 0,
      });
      // publish throws 5 times; the policy allows 3 in a row.
      for (let i = 0; i < 5; i++) {
        advance(60_000);
        await drain(engine);
      }
      expect(await summary(store, 'r3')).toEqual({
        status: 'finished',
        outcome: 'failed',
        reason: 'publish: publish failed 3 times in a row: publish is flaky',
        stages: [
          'collect:succeeded',
          'review:succeeded',
          'publish:failed',
          'publish-again:skipped',
        ],
      });
      stages = await store.listStages({ runIds: ['r3'] });
      expect(stages[2]).toMatchObject({ attempts: 3, errors: 3 });
      const logs = await store.listLogs({ runIds: ['r3'] });
      expect(logs.filter(l => l.level !== 'info').map(l => l.message)).toEqual([
        'Attempt 1 failed, retrying: collect is flaky',
        'Attempt 2 failed, retrying: collect is flaky',
        'Attempt 1 failed, retrying: publish is flaky',
        'Attempt 2 failed, retrying: publish is flaky',
        'publish failed 3 times in a row: publish is flaky',
      ]);
      expect(world.finished).toEqual(['r3:failed']);
    });

    it('compensates a failure with stages of the kind, retrying them for as long as they need', async () => {
      const { world, store, engine } = setup();
      world.reviewedAt = clock();
      await engine.createRun({
        kind: 'report',
        id: 'r4',
        subject: 's',
        input: {
          title: 't',
          failAt: 'publish-again',
          flaky: { withdraw: 7 },
        },
        stages: PLAN,
      });
      for (let i = 0; i < 12; i++) {
        await drain(engine);
        advance(1_000);
      }
      expect(await summary(store, 'r4')).toEqual({
        status: 'finished',
        outcome: 'withdrawn',
        reason: 'publish-again: the printer is on fire',
        stages: [
          'collect:succeeded',
          'review:succeeded',
          'publish:succeeded',
          'publish-again:failed',
          'withdraw:succeeded',
        ],
      });
      expect(world.withdrawn).toEqual(['r4']);
      const stages = await store.listStages({ runIds: ['r4'] });
      expect(stages[4]).toMatchObject({ attempts: 8, errors: 0 });
      expect(world.events).toContain('compensating:withdraw');
      expect(world.finished).toEqual(['r4:withdrawn']);
    });

    it('stops a run on request: the current stage fails and the kind compensates', async () => {
      const { store, engine } = setup();
      await engine.createRun({
        kind: 'report',
        id: 'r5',
        subject: 's',
        input: { title: 't' },
        stages: [
          { name: 'collect', kind: 'collect' },
          { name: 'publish', kind: 'publish' },
          { name: 'review', kind: 'review' },
        ],
      });
      await drain(engine);
      expect(
        await engine.requestCancel({ id: 'r5', by: 'user:default/ada' }),
      ).toBe(true);
      await drain(engine);
      expect(await summary(store, 'r5')).toEqual({
        status: 'finished',
        outcome: 'cancelled',
        reason: 'review: Cancelled by user:default/ada',
        stages: [
          'collect:succeeded',
          'publish:succeeded',
          'review:failed',
          'withdraw:succeeded',
        ],
      });
      expect(
        await engine.requestCancel({ id: 'r5', by: 'user:default/ada' }),
      ).toBe(false);
    });

    it('leaves a cancel request unanswered while the kind refuses it, and the run finishes', async () => {
      const { world, store, engine } = setup();
      await engine.createRun({
        kind: 'report',
        id: 'r9',
        subject: 's',
        input: { title: 't', pointOfNoReturn: 'review' },
        stages: [
          { name: 'collect', kind: 'collect' },
          { name: 'review', kind: 'review' },
          { name: 'publish', kind: 'publish' },
        ],
      });
      await drain(engine);
      expect(
        await engine.requestCancel({ id: 'r9', by: 'user:default/ada' }),
      ).toBe(true);
      world.reviewedAt = clock();
      await drain(engine);
      expect(await summary(store, 'r9')).toEqual({
        status: 'finished',
        outcome: 'published',
        reason: undefined,
        stages: ['collect:succeeded', 'review:succeeded', 'publish:succeeded'],
      });
      expect(world.published).toEqual(['r9:42']);
    });

    it('resumes on another engine after a restart, and tells the kind about the end until it listens', async () => {
      const first = setup({ instanceId: 'first' });
      await first.engine.createRun({
        kind: 'report',
        id: 'r6',
        subject: 's',
        input: { title: 't' },
        stages: PLAN,
      });
      await drain(first.engine);
      // "Restart": a new engine with nothing in memory, on the same database, whose kind's
      // onFinished fails twice (chat is down) before it works.
      first.world.reviewedAt = clock();
      advance(60_000);
      let fails = 2;
      const kind = reportKind(first.world);
      const onFinished = kind.onFinished!;
      const flaky = new RunEngine({
        store: first.store,
        logger: mockServices.logger.mock(),
        instanceId: 'second',
        leaseMs: 60_000,
        retry: { maxAttempts: 3, backoffMs: () => 1_000 },
      }).register({
        ...kind,
        async onFinished(run) {
          if (fails-- > 0) throw new Error('chat is down');
          await onFinished(run);
        },
      });
      await drain(flaky);
      expect((await first.store.getRun({ id: 'r6' }))?.status).toBe(
        'finishing',
      );
      expect(first.world.finished).toEqual([]);
      for (let i = 0; i < 3; i++) {
        advance(20_000);
        await drain(flaky);
      }
      expect(await summary(first.store, 'r6')).toMatchObject({
        status: 'finished',
        outcome: 'published',
      });
      expect(first.world.finished).toEqual(['r6:published']);
      expect(first.world.published).toEqual(['r6:42', 'r6:42']);
    });

    it('fences a replica that lost its lease: it commits nothing and touches nothing after another claimed the run', async () => {
      const { world, store, make } = setup();
      const paused = make('paused');
      const other = make('other');
      await paused.createRun({
        kind: 'report',
        id: 'r7',
        subject: 's',
        input: { title: 't' },
        stages: [
          { name: 'collect', kind: 'collect' },
          { name: 'publish', kind: 'publish' },
        ],
      });
      let resume!: () => void;
      world.gate = new Promise(resolve => {
        resume = resolve;
      });
      world.afterGate = 'fence-then-effect';
      // The first replica claims the run and stalls inside the step (a GC pause, SIGSTOP).
      const stalled = paused.runDue(1);
      await new Promise(resolve => setTimeout(resolve, 50));
      expect(await other.runDue()).toBe(0);
      // Past its lease, the other replica claims the run and does the step itself.
      advance(61_000);
      world.gate = undefined;
      await drain(other);
      expect(world.collected).toBe(1);
      expect(world.published).toEqual(['r7:42']);
      // The first one wakes up: its fence refuses the effect and nothing of its step is written.
      resume();
      await stalled;
      expect(world.collected).toBe(1);
      expect(await summary(store, 'r7')).toEqual({
        status: 'finished',
        outcome: 'published',
        reason: undefined,
        stages: ['collect:succeeded', 'publish:succeeded'],
      });
      const logs = await store.listLogs({ runIds: ['r7'] });
      expect(logs.map(l => l.message)).toEqual(['Collected figures for T']);
      expect(
        (await store.listStages({ runIds: ['r7'] })).map(s => s.attempts),
      ).toEqual([1, 1]);
    });

    it('refuses the late commit of a replica that did its effect before it lost the lease', async () => {
      const { world, store, make } = setup();
      const paused = make('paused');
      const other = make('other');
      await paused.createRun({
        kind: 'report',
        id: 'r8',
        subject: 's',
        input: { title: 't' },
        stages: [
          { name: 'collect', kind: 'collect' },
          { name: 'publish', kind: 'publish' },
        ],
      });
      let resume!: () => void;
      world.gate = new Promise(resolve => {
        resume = resolve;
      });
      world.afterGate = 'effect';
      const stalled = paused.runDue(1);
      await new Promise(resolve => setTimeout(resolve, 50));
      advance(61_000);
      world.gate = undefined;
      await drain(other);
      resume();
      await stalled;
      // Its effect happened (an idempotent one is harmless), but its log line and its result
      // were not written, and the run did not go back to the stage it was on.
      expect(world.collected).toBe(2);
      expect(await summary(store, 'r8')).toMatchObject({
        status: 'finished',
        stages: ['collect:succeeded', 'publish:succeeded'],
      });
      expect(world.published).toEqual(['r8:42']);
      const logs = await store.listLogs({ runIds: ['r8'] });
      expect(logs.map(l => l.message)).toEqual(['Collected figures for T']);
    });
  },
);

describe('RunEngine heartbeat', () => {
  it('renews the lease of a step that runs longer than the lease, so no other replica takes it', async () => {
    const knex = await databases.init('SQLITE_3');
    await migrateDeliveryDatabase(knex);
    const world: World = {
      published: [],
      withdrawn: [],
      collected: 0,
      finished: [],
      events: [],
    };
    const store = new DatabaseRunStore(knex);
    const engine = (instanceId: string) =>
      new RunEngine({
        store,
        logger: mockServices.logger.mock(),
        instanceId,
        leaseMs: 400,
        retry: { maxAttempts: 3, backoffMs: () => 10 },
      }).register(reportKind(world));
    const slow = engine('slow');
    const other = engine('other');
    await slow.createRun({
      kind: 'report',
      id: 'h1',
      subject: 's',
      input: { title: 't' },
      stages: [
        { name: 'collect', kind: 'collect' },
        { name: 'publish', kind: 'publish' },
      ],
    });
    let resume!: () => void;
    world.gate = new Promise(resolve => {
      resume = resolve;
    });
    world.afterGate = 'fence-then-effect';
    const running = slow.runDue(1);
    const deadline = Date.now() + 1_200;
    let taken = 0;
    while (Date.now() < deadline) {
      taken += await other.runDue(1);
      await new Promise(resolve => setTimeout(resolve, 20));
    }
    resume();
    await running;
    expect(taken).toBe(0);
    expect(world.collected).toBe(1);
    const [collect] = await store.listStages({ runIds: ['h1'] });
    expect(collect).toMatchObject({ status: 'succeeded', attempts: 1 });
  });
});
