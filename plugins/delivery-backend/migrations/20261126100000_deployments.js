/*
 * The deployment queue and pipeline. Every deployment and every stage is a row, so a restarted
 * or second backend replica carries on where another stopped; leases keep two replicas from
 * running the same step at once.
 */

// @ts-check

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('delivery_deployments', table => {
    table.comment('Requested deployments: queue entries and pipeline runs');
    table
      .string('token', 64)
      .primary()
      .comment('DEP-<ms since epoch>-<seq>: unique, sorts in queue order');
    table
      .string('entity_ref', 255)
      .notNullable()
      .comment('Catalog entity ref of the service');
    table.string('commit_sha', 40).notNullable().comment('Commit to deploy');
    table
      .string('image', 512)
      .nullable()
      .comment('Image the pipeline deploys (set when the run starts)');
    table
      .string('requested_by', 255)
      .notNullable()
      .comment('User entity ref of the requester');
    table
      .timestamp('requested_at', { useTz: true })
      .notNullable()
      .comment('When it was requested');
    table
      .string('status', 32)
      .notNullable()
      .comment(
        'queued | called | running | succeeded | rolled_back | failed | cancelled | expired',
      );
    table
      .string('active_entity_ref', 255)
      .nullable()
      .unique({ indexName: 'delivery_deployments_one_active' })
      .comment(
        'entity_ref while called or running, else NULL: at most one active run per service',
      );
    table
      .timestamp('called_at', { useTz: true })
      .nullable()
      .comment('When it was called');
    table
      .timestamp('call_expires_at', { useTz: true })
      .nullable()
      .comment('Start before this or it expires');
    table
      .timestamp('started_at', { useTz: true })
      .nullable()
      .comment('When the pipeline started');
    table
      .timestamp('finished_at', { useTz: true })
      .nullable()
      .comment('When it reached a final status');
    table
      .text('reason')
      .nullable()
      .comment('Why it ended so: failure, cancellation, expiry');
    table
      .string('cancel_requested_by', 255)
      .nullable()
      .comment('Who asked to cancel a running pipeline');
    table
      .integer('current_stage')
      .notNullable()
      .defaultTo(0)
      .comment('Position of the stage being run');
    table
      .timestamp('next_step_at', { useTz: true })
      .nullable()
      .comment('When the engine looks at it again');
    table
      .string('lease_owner', 128)
      .nullable()
      .comment('Backend instance running a step of it now');
    table
      .timestamp('lease_expires_at', { useTz: true })
      .nullable()
      .comment('When that lease lapses');
    table.index(['entity_ref', 'status'], 'delivery_deployments_entity_status');
    table.index(['status', 'next_step_at'], 'delivery_deployments_due');
  });

  await knex.schema.createTable('delivery_stages', table => {
    table.comment('Pipeline stages of each deployment');
    table
      .string('token', 64)
      .notNullable()
      .references('token')
      .inTable('delivery_deployments')
      .onDelete('CASCADE');
    table
      .integer('position')
      .notNullable()
      .comment('Order in the pipeline, from 0');
    table
      .string('name', 128)
      .notNullable()
      .comment('Stable name, e.g. canary.verify');
    table
      .string('kind', 32)
      .notNullable()
      .comment(
        'validate | backup | deploy | rollout | verify | approval | jenkins | rollback | mark-stable',
      );
    table
      .string('environment', 63)
      .nullable()
      .comment('Environment the stage acts on');
    table
      .string('status', 32)
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
      .comment('How many times a step of it ran');
    table
      .text('data')
      .nullable()
      .comment('JSON state of the step (backup version, ids, counters)');
    table.primary(['token', 'position']);
  });

  await knex.schema.createTable('delivery_stage_logs', table => {
    table.comment('Log lines of stages');
    table.bigIncrements('id').primary();
    table
      .string('token', 64)
      .notNullable()
      .references('token')
      .inTable('delivery_deployments')
      .onDelete('CASCADE');
    table.integer('position').notNullable().comment('Stage position');
    table.timestamp('at', { useTz: true }).notNullable();
    table.string('level', 8).notNullable().comment('info | warn | error');
    table.text('message').notNullable();
    table.index(['token', 'position'], 'delivery_stage_logs_stage');
  });

  await knex.schema.createTable('delivery_approvals', table => {
    table.comment(
      'Approvals of deployments by someone other than the requester',
    );
    table
      .string('token', 64)
      .notNullable()
      .references('token')
      .inTable('delivery_deployments')
      .onDelete('CASCADE');
    table.string('approver', 255).notNullable().comment('User entity ref');
    table
      .string('kind', 16)
      .notNullable()
      .comment('request (regulated services) | production (gate)');
    table.timestamp('approved_at', { useTz: true }).notNullable();
    table.primary(['token', 'approver', 'kind']);
  });

  await knex.schema.createTable('delivery_queue_locks', table => {
    table.comment('Locked queues: nothing is called while a lock holds');
    table.string('entity_ref', 255).primary();
    table.string('locked_by', 255).notNullable();
    table.text('reason').notNullable();
    table.timestamp('locked_at', { useTz: true }).notNullable();
  });

  await knex.schema.createTable('delivery_stable_versions', table => {
    table.comment(
      'Versions marked stable per service and environment (also in a ConfigMap)',
    );
    table.string('entity_ref', 255).notNullable();
    table.string('environment', 63).notNullable();
    table.string('commit_sha', 40).notNullable();
    table.string('image', 512).notNullable();
    table.string('token', 64).nullable().comment('Deployment that marked it');
    table.string('marked_by', 255).notNullable();
    table.timestamp('marked_at', { useTz: true }).notNullable();
    table.primary(['entity_ref', 'environment']);
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('delivery_stable_versions');
  await knex.schema.dropTable('delivery_queue_locks');
  await knex.schema.dropTable('delivery_approvals');
  await knex.schema.dropTable('delivery_stage_logs');
  await knex.schema.dropTable('delivery_stages');
  await knex.schema.dropTable('delivery_deployments');
};
