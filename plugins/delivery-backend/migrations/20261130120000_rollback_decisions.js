/*
 * Every decision of the rollback decision engine, with what it was decided on: the health
 * figures, the flags of the newest change, the recommendation, its reasons and severity, and
 * what was done about it (the run that acted, if any).
 */

// @ts-check

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('delivery_rollback_decisions', table => {
    table.comment(
      'Decisions of the rollback decision engine, with their inputs',
    );
    table.bigIncrements('id').primary();
    table.string('entity_ref', 255).notNullable();
    table.string('environment', 63).notNullable();
    table.timestamp('decided_at', { useTz: true }).notNullable();
    table.string('level', 8).notNullable().comment('0, 1, 2, 3, 6 or hold');
    table.string('action', 32).notNullable();
    table.string('severity', 16).notNullable();
    table.text('reasons').notNullable().comment('JSON array of strings');
    table
      .text('inputs')
      .notNullable()
      .comment('JSON: figures, flags, history and thresholds it was given');
    table
      .string('decided_by', 255)
      .notNullable()
      .comment('delivery (the automation) or the user who asked');
    table
      .string('run_id', 64)
      .nullable()
      .comment('The rollback run that acted on it, if any');
    table.index(['entity_ref', 'environment', 'decided_at']);
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('delivery_rollback_decisions');
};
