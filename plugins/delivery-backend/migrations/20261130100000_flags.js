/*
 * Feature flags: one row per flag of a service, its settings per environment, every change
 * recorded (who, when, before, after), changes waiting for a second person, and a revision per
 * environment that every change bumps in its own transaction (what flagd's sync sources compare,
 * on every replica).
 */

// @ts-check

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('delivery_flags', table => {
    table.comment('Feature flags of services');
    table.bigIncrements('id').primary();
    table
      .string('entity_ref', 255)
      .notNullable()
      .comment('The service, e.g. component:default/payments-api');
    table.string('flag_key', 100).notNullable();
    table.text('description').nullable();
    table
      .string('type', 16)
      .notNullable()
      .comment('boolean, string, number or object');
    table.text('variants').notNullable().comment('JSON: variant name → value');
    table
      .string('off_variant', 100)
      .notNullable()
      .comment('The variant served while off');
    table
      .string('on_variant', 100)
      .notNullable()
      .comment('The variant a rollout turns on');
    table
      .string('change_ref', 200)
      .nullable()
      .comment('The change or ticket the flag belongs to');
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.string('created_by', 255).notNullable();
    table.timestamp('archived_at', { useTz: true }).nullable();
    table.string('archived_by', 255).nullable();
    table.unique(['entity_ref', 'flag_key']);
  });

  await knex.schema.createTable('delivery_flag_settings', table => {
    table.comment('A flag in one environment, as flagd serves it');
    table
      .bigInteger('flag_id')
      .unsigned()
      .notNullable()
      .references('id')
      .inTable('delivery_flags')
      .onDelete('CASCADE');
    table.string('environment', 63).notNullable();
    table.string('state', 16).notNullable().comment('ENABLED or DISABLED');
    table.string('default_variant', 100).notNullable();
    table
      .text('targeting')
      .nullable()
      .comment('JSON: JsonLogic with flagd operators; NULL: none');
    table.timestamp('updated_at', { useTz: true }).notNullable();
    table.string('updated_by', 255).notNullable();
    table.primary(['flag_id', 'environment']);
  });

  await knex.schema.createTable('delivery_flag_changes', table => {
    table.comment(
      'Flag changes waiting for a second person (two-person rule), and their outcome',
    );
    table.bigIncrements('id').primary();
    table
      .bigInteger('flag_id')
      .unsigned()
      .notNullable()
      .references('id')
      .inTable('delivery_flags')
      .onDelete('CASCADE');
    table.string('environment', 63).notNullable();
    table.string('action', 16).notNullable();
    table.text('summary').notNullable();
    table.text('before').notNullable().comment('JSON: settings when asked');
    table.text('after').notNullable().comment('JSON: settings once applied');
    table.string('requested_by', 255).notNullable();
    table.timestamp('requested_at', { useTz: true }).notNullable();
    table.text('reason').nullable();
    table
      .string('status', 16)
      .notNullable()
      .comment('pending, approved, rejected or superseded');
    table.string('decided_by', 255).nullable();
    table.timestamp('decided_at', { useTz: true }).nullable();
    table.text('decision_reason').nullable();
    table.index(['flag_id', 'status']);
  });

  await knex.schema.createTable('delivery_flag_history', table => {
    table.comment('Every change of a flag: who, when, before and after');
    table.bigIncrements('id').primary();
    table
      .bigInteger('flag_id')
      .unsigned()
      .notNullable()
      .references('id')
      .inTable('delivery_flags')
      .onDelete('CASCADE');
    table.string('environment', 63).nullable();
    table.string('action', 16).notNullable();
    table.string('actor', 255).notNullable();
    table.timestamp('at', { useTz: true }).notNullable();
    table.text('reason').nullable();
    table
      .string('deployment', 64)
      .nullable()
      .comment('Token of the deployment whose pipeline made the change');
    table.text('before').nullable().comment('JSON');
    table.text('after').nullable().comment('JSON');
    table.index(['flag_id', 'id']);
  });

  await knex.schema.createTable('delivery_flag_revisions', table => {
    table.comment(
      'A counter per environment, bumped with every change of its flags',
    );
    table.string('environment', 63).primary();
    table.bigInteger('revision').notNullable();
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('delivery_flag_revisions');
  await knex.schema.dropTable('delivery_flag_history');
  await knex.schema.dropTable('delivery_flag_changes');
  await knex.schema.dropTable('delivery_flag_settings');
  await knex.schema.dropTable('delivery_flags');
};
