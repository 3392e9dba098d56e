/*
 * Ephemeral environments: one row per environment of a `deploy/*` branch, kept after deletion
 * for the tab's history, and an inbox of the GitHub deliveries that create, update and delete
 * them (written before they are processed, so a delivery the catalog cannot place yet, or whose
 * processing failed, is retried instead of lost).
 */

// @ts-check

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('delivery_ephemeral_environments', table => {
    table.comment('Ephemeral environments of deploy/* branches');
    table.string('id', 32).primary().comment('ENV-<ms>-<random>');
    table.string('entity_ref', 255).notNullable();
    table.string('branch', 255).notNullable();
    table.string('cluster', 255).notNullable();
    table.string('namespace', 63).notNullable();
    table
      .string('live_namespace', 63)
      .nullable()
      .comment(
        'The namespace while the environment is not deleted: unique per cluster',
      );
    table.string('commit_sha', 40).notNullable();
    table.string('image', 500).nullable();
    table
      .string('status', 16)
      .notNullable()
      .comment('creating, updating, ready, failed, deleting, deleted');
    table.text('status_reason').nullable();
    table.string('created_by', 255).notNullable();
    table.bigInteger('created_at').notNullable().comment('ms since the epoch');
    table.bigInteger('updated_at').notNullable();
    table.bigInteger('expires_at').notNullable();
    table.boolean('persistent').notNullable().defaultTo(false);
    table.bigInteger('ready_at').nullable();
    table
      .bigInteger('reminded_for')
      .nullable()
      .comment('The expiry the creator was reminded of');
    table.bigInteger('deleted_at').nullable();
    table.string('deleted_by', 255).nullable();
    table
      .string('run_id', 32)
      .nullable()
      .comment('Its latest creation or update run');
    table
      .string('sweep_id', 64)
      .nullable()
      .comment('The sweep that claimed it');
    table.bigInteger('sweep_claimed_at').nullable();
    table.text('build').nullable().comment('JSON: the Jenkins build');
    table.text('flags').nullable().comment('JSON: the flags it started with');
    table.unique(['cluster', 'live_namespace'], {
      indexName: 'delivery_ephemeral_live_namespace',
    });
    table.index(['entity_ref', 'created_at'], 'delivery_ephemeral_entity');
    table.index(['live_namespace', 'expires_at'], 'delivery_ephemeral_expiry');
  });
  await knex.schema.createTable('delivery_ephemeral_inbox', table => {
    table.comment(
      'GitHub deliveries about deploy/* branches waiting to be processed',
    );
    table.bigIncrements('id').primary();
    table.string('name', 64).notNullable().comment('X-GitHub-Event');
    table.string('delivery_id', 128).nullable().comment('X-GitHub-Delivery');
    table.string('repository', 255).notNullable().comment('owner/name');
    table.text('payload').notNullable().comment('The delivery’s JSON body');
    table.bigInteger('received_at').notNullable().comment('ms since the epoch');
    table.integer('attempts').notNullable().defaultTo(0);
    table.bigInteger('next_attempt_at').notNullable().defaultTo(0);
    table.text('last_error').nullable();
    table.index(['next_attempt_at'], 'delivery_ephemeral_inbox_due');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('delivery_ephemeral_inbox');
  await knex.schema.dropTable('delivery_ephemeral_environments');
};
