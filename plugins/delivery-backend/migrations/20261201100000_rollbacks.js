/*
 * Rollbacks and incidents. A rollback is a durable run of the engine (kind `rollback`, its id the
 * run's id); this row is what the API lists: where, at which level, why, who, and how it ended.
 * `running_slot` holds the service's ref while the rollback runs (null after), under a unique
 * index: one running rollback per service, enforced by the database across replicas.
 *
 * An incident runs from the breach detected to health restored, with the level used and who
 * acted; every rollback opens one. DORA counts them (time to restore, change failure rate).
 */

// @ts-check

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('delivery_rollbacks', table => {
    table.comment('Rollbacks of services, each a run of the engine');
    table
      .string('id', 64)
      .primary()
      .comment('RB-<timestamp>-<random>, the run id');
    table.string('entity_ref', 255).notNullable();
    table.string('environment', 63).notNullable();
    table.integer('level').notNullable().comment('1, 2, 3, 5 or 6');
    table.text('reason').notNullable();
    table
      .string('requested_by', 255)
      .notNullable()
      .comment('A user entity ref, or delivery for the automation');
    table.boolean('automated').notNullable().defaultTo(false);
    table.string('decision_id', 64).nullable();
    table
      .string('deployment_token', 64)
      .nullable()
      .comment('The deployment whose change it undoes');
    table.text('flags').nullable().comment('JSON array: flags it turns off');
    table
      .string('target_version', 64)
      .nullable()
      .comment('The commit it returns to (levels 2 and 5)');
    table
      .string('status', 16)
      .notNullable()
      .comment('running | succeeded | failed');
    table.text('outcome_reason').nullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.timestamp('finished_at', { useTz: true }).nullable();
    table.string('running_slot', 255).nullable().unique();
    table.index(['entity_ref', 'created_at']);
  });
  await knex.schema.createTable('delivery_incidents', table => {
    table.comment('Incidents: from a breach detected to health restored');
    table.string('id', 64).primary().comment('INC-<timestamp>-<random>');
    table.string('entity_ref', 255).notNullable();
    table.string('environment', 63).notNullable();
    table.string('deployment_token', 64).nullable();
    table.integer('level').notNullable();
    table.text('reason').notNullable();
    table.string('severity', 16).notNullable();
    table
      .timestamp('started_at', { useTz: true })
      .notNullable()
      .comment('When the breach was detected (or the rollback asked for)');
    table
      .timestamp('resolved_at', { useTz: true })
      .nullable()
      .comment('When health was restored');
    table.string('acted_by', 255).notNullable();
    table.string('rollback_id', 64).nullable();
    table.text('github_issue_url').nullable();
    table.index(['entity_ref', 'started_at']);
    table.index(['started_at']);
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('delivery_incidents');
  await knex.schema.dropTable('delivery_rollbacks');
};
