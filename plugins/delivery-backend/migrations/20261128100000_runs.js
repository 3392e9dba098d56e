/*
 * One durable run engine for every kind of long action (a deployment's pipeline today;
 * rollbacks, flag rollouts and environments next). A run and each of its stages is a row; the
 * engine advances runs under fenced leases: every step's writes are conditional on the lease
 * generation that was current when the step began, so a replica that lost its lease (paused past
 * it) cannot commit anything afterwards.
 *
 * The deployment queue keeps its own table (delivery_deployments: request, call, expiry, lock);
 * a started deployment's pipeline becomes a run whose id is the deployment's token. Existing
 * pipelines, their stages and log lines move into the new tables.
 */

// @ts-check

const RUNNING_COLUMNS = [
  'current_stage',
  'next_step_at',
  'lease_owner',
  'lease_expires_at',
  'cancel_requested_by',
];

/** @param {unknown} value */
function parseJson(value) {
  if (!value) return {};
  try {
    return typeof value === 'string' ? JSON.parse(value) : value;
  } catch {
    return {};
  }
}

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('delivery_runs', table => {
    table.comment(
      'Durable runs of every kind (deployment pipelines, rollbacks, ...), advanced under leases',
    );
    table
      .string('id', 64)
      .primary()
      .comment('Run id; a deployment run uses the deployment token');
    table
      .string('kind', 64)
      .notNullable()
      .comment('Kind of run, e.g. deployment; picks the stage handlers');
    table
      .string('subject', 255)
      .notNullable()
      .comment(
        'What the run acts on, e.g. the catalog entity ref of a service',
      );
    table
      .text('input')
      .notNullable()
      .comment('JSON input of the run, typed by its kind');
    table
      .string('status', 16)
      .notNullable()
      .comment(
        'running | finishing (ended; the kind is being told) | finished',
      );
    table
      .string('outcome', 32)
      .nullable()
      .comment(
        "How it ends, in the kind's words (e.g. succeeded, rolled_back); set when it fails and compensates, or finishes",
      );
    table.text('reason').nullable().comment('Why it ended that way');
    table
      .integer('current_stage')
      .notNullable()
      .defaultTo(0)
      .comment('Position of the stage being run');
    table
      .timestamp('next_step_at', { useTz: true })
      .nullable()
      .comment('When the engine steps it again; NULL once finished');
    table
      .string('cancel_requested_by', 255)
      .nullable()
      .comment('Who asked to stop the run');
    table
      .string('lease_owner', 128)
      .nullable()
      .comment('Backend instance that holds the lease');
    table
      .integer('lease_generation')
      .notNullable()
      .defaultTo(0)
      .comment(
        'Incremented by every claim; writes of a step are conditional on the generation it began with (fencing)',
      );
    table
      .timestamp('lease_expires_at', { useTz: true })
      .nullable()
      .comment("When the lease lapses, on the database's clock");
    table
      .timestamp('created_at', { useTz: true })
      .notNullable()
      .comment('When the run was created');
    table
      .timestamp('finished_at', { useTz: true })
      .nullable()
      .comment('When it finished');
    table.index(['status', 'next_step_at'], 'delivery_runs_due');
    table.index(['kind', 'subject'], 'delivery_runs_subject');
  });

  await knex.schema.createTable('delivery_run_stages', table => {
    table.comment('The stages of each run, in order');
    table
      .string('run_id', 64)
      .notNullable()
      .references('id')
      .inTable('delivery_runs')
      .onDelete('CASCADE');
    table.integer('position').notNullable().comment('Order in the run, from 0');
    table
      .string('name', 128)
      .notNullable()
      .comment('Stable name, e.g. canary.verify');
    table
      .string('kind', 32)
      .notNullable()
      .comment('Stage kind; names its handler (e.g. deploy, verify, rollback)');
    table
      .string('environment', 63)
      .nullable()
      .comment('Environment the stage acts on');
    table
      .string('status', 16)
      .notNullable()
      .comment('pending | running | waiting | succeeded | failed | skipped');
    table.timestamp('started_at', { useTz: true }).nullable();
    table.timestamp('finished_at', { useTz: true }).nullable();
    table
      .string('actor', 255)
      .nullable()
      .comment('Who did it: a user entity ref, or delivery');
    table
      .integer('attempts')
      .notNullable()
      .defaultTo(0)
      .comment('How many steps of it ran');
    table
      .integer('errors')
      .notNullable()
      .defaultTo(0)
      .comment('Consecutive steps that threw (reset by a step that did not)');
    table
      .text('state')
      .nullable()
      .comment('JSON state of the stage, typed by its handler');
    table.primary(['run_id', 'position']);
  });

  await knex.schema.createTable('delivery_run_logs', table => {
    table.comment('Log lines of run stages');
    table.bigIncrements('id').primary();
    table
      .string('run_id', 64)
      .notNullable()
      .references('id')
      .inTable('delivery_runs')
      .onDelete('CASCADE');
    table.integer('position').notNullable().comment('Stage position');
    table.timestamp('at', { useTz: true }).notNullable();
    table.string('level', 8).notNullable().comment('info | warn | error');
    table.text('message').notNullable();
    table.index(['run_id', 'position'], 'delivery_run_logs_stage');
  });

  // Started deployments become runs of kind `deployment`, with their stages and logs.
  const started = await knex('delivery_deployments')
    .whereNotNull('started_at')
    .orderBy('token');
  const stages = await knex('delivery_stages').orderBy(['token', 'position']);
  for (const d of started) {
    const own = stages.filter(s => s.token === d.token);
    const rollback = own.find(s => s.kind === 'rollback');
    const rollbackData = parseJson(rollback?.data);
    const running = d.status === 'running';
    await knex('delivery_runs').insert({
      id: d.token,
      kind: 'deployment',
      subject: d.entity_ref,
      input: JSON.stringify({
        token: d.token,
        entityRef: d.entity_ref,
        commitSha: d.commit_sha,
        image: d.image ?? '',
        requestedBy: d.requested_by,
      }),
      status: running ? 'running' : 'finished',
      outcome: running ? rollbackData.outcome ?? null : d.status,
      reason: running ? rollbackData.reason ?? null : d.reason,
      current_stage: d.current_stage,
      next_step_at: running ? d.next_step_at ?? d.started_at : null,
      cancel_requested_by: d.cancel_requested_by,
      lease_generation: 0,
      created_at: d.started_at,
      finished_at: d.finished_at,
    });
    for (const s of own) {
      const { consecutiveErrors, outcome, reason, ...state } = parseJson(
        s.data,
      );
      await knex('delivery_run_stages').insert({
        run_id: s.token,
        position: s.position,
        name: s.name,
        kind: s.kind,
        environment: s.environment,
        status: s.status,
        started_at: s.started_at,
        finished_at: s.finished_at,
        actor: s.actor,
        attempts: s.attempts,
        errors: Number(consecutiveErrors ?? 0),
        state: JSON.stringify(state),
      });
    }
  }
  const logs = await knex('delivery_stage_logs').orderBy('id');
  for (let i = 0; i < logs.length; i += 500) {
    await knex('delivery_run_logs').insert(
      logs.slice(i, i + 500).map(l => ({
        run_id: l.token,
        position: l.position,
        at: l.at,
        level: l.level,
        message: l.message,
      })),
    );
  }

  await knex.schema.dropTable('delivery_stage_logs');
  await knex.schema.dropTable('delivery_stages');
  await knex.schema.alterTable('delivery_deployments', table => {
    table.dropIndex(['status', 'next_step_at'], 'delivery_deployments_due');
  });
  await knex.schema.alterTable('delivery_deployments', table => {
    table.dropColumns(...RUNNING_COLUMNS);
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('delivery_deployments', table => {
    table.integer('current_stage').notNullable().defaultTo(0);
    table.timestamp('next_step_at', { useTz: true }).nullable();
    table.string('lease_owner', 128).nullable();
    table.timestamp('lease_expires_at', { useTz: true }).nullable();
    table.string('cancel_requested_by', 255).nullable();
    table.index(['status', 'next_step_at'], 'delivery_deployments_due');
  });
  await knex.schema.createTable('delivery_stages', table => {
    table
      .string('token', 64)
      .notNullable()
      .references('token')
      .inTable('delivery_deployments')
      .onDelete('CASCADE');
    table.integer('position').notNullable();
    table.string('name', 128).notNullable();
    table.string('kind', 32).notNullable();
    table.string('environment', 63).nullable();
    table.string('status', 32).notNullable();
    table.timestamp('started_at', { useTz: true }).nullable();
    table.timestamp('finished_at', { useTz: true }).nullable();
    table.string('actor', 255).nullable();
    table.integer('attempts').notNullable().defaultTo(0);
    table.text('data').nullable();
    table.primary(['token', 'position']);
  });
  await knex.schema.createTable('delivery_stage_logs', table => {
    table.bigIncrements('id').primary();
    table
      .string('token', 64)
      .notNullable()
      .references('token')
      .inTable('delivery_deployments')
      .onDelete('CASCADE');
    table.integer('position').notNullable();
    table.timestamp('at', { useTz: true }).notNullable();
    table.string('level', 8).notNullable();
    table.text('message').notNullable();
    table.index(['token', 'position'], 'delivery_stage_logs_stage');
  });

  const runs = await knex('delivery_runs').where({ kind: 'deployment' });
  for (const run of runs) {
    await knex('delivery_deployments')
      .where({ token: run.id })
      .update({
        current_stage: run.current_stage,
        next_step_at: run.status === 'finished' ? null : run.next_step_at,
        cancel_requested_by: run.cancel_requested_by,
      });
    const stages = await knex('delivery_run_stages')
      .where({ run_id: run.id })
      .orderBy('position');
    for (const s of stages) {
      const data = {
        ...parseJson(s.state),
        ...(s.errors ? { consecutiveErrors: s.errors } : {}),
        ...(s.kind === 'rollback' && run.outcome
          ? { outcome: run.outcome, reason: run.reason }
          : {}),
      };
      await knex('delivery_stages').insert({
        token: s.run_id,
        position: s.position,
        name: s.name,
        kind: s.kind,
        environment: s.environment,
        status: s.status,
        started_at: s.started_at,
        finished_at: s.finished_at,
        actor: s.actor,
        attempts: s.attempts,
        data: JSON.stringify(data),
      });
    }
  }
  const logs = await knex('delivery_run_logs')
    .whereIn(
      'run_id',
      runs.map(r => r.id),
    )
    .orderBy('id');
  for (let i = 0; i < logs.length; i += 500) {
    await knex('delivery_stage_logs').insert(
      logs.slice(i, i + 500).map(l => ({
        token: l.run_id,
        position: l.position,
        at: l.at,
        level: l.level,
        message: l.message,
      })),
    );
  }
  await knex.schema.dropTable('delivery_run_logs');
  await knex.schema.dropTable('delivery_run_stages');
  await knex.schema.dropTable('delivery_runs');
};
