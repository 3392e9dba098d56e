/*
 * DORA: one events table every source is ingested into (idempotent on the source's id), and the
 * facts the metrics are aggregated from in SQL. Times are milliseconds since the epoch (UTC), so
 * intervals are integer arithmetic that SQLite and PostgreSQL do alike, whatever the time zone.
 */

// @ts-check

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('delivery_dora_events', table => {
    table.comment('Every DORA event as received, once per source id');
    table.bigIncrements('id').primary();
    table
      .string('source_id', 255)
      .notNullable()
      .unique()
      .comment('The source’s own id: a replay is stored once');
    table
      .string('type', 16)
      .notNullable()
      .comment('deployment | push | incident');
    table.string('source', 16).notNullable().comment('portal | github');
    table.string('entity_ref', 255).notNullable();
    table.bigInteger('occurred_at').notNullable().comment('ms since the epoch');
    table.bigInteger('received_at').notNullable().comment('ms since the epoch');
    table.text('payload').notNullable().comment('The event as JSON');
    table.index(['entity_ref', 'occurred_at'], 'delivery_dora_events_entity');
  });

  await knex.schema.createTable('delivery_dora_deployments', table => {
    table.comment(
      'Deployment attempts: production ones count for frequency and failure rate',
    );
    table
      .string('id', 255)
      .primary()
      .comment('The source id it was ingested under');
    table.string('entity_ref', 255).notNullable();
    table.string('sha', 40).notNullable();
    table.bigInteger('deployed_at').notNullable().comment('ms since the epoch');
    table.string('status', 8).notNullable().comment('success | failure');
    table.boolean('production').notNullable();
    table.string('source', 16).notNullable();
    table.string('token', 64).nullable().comment('The portal’s DEP- token');
    table.text('url').nullable();
    table
      .boolean('failed')
      .notNullable()
      .defaultTo(false)
      .comment('Failed in production, or linked to an incident or a rollback');
    table
      .boolean('rework')
      .notNullable()
      .defaultTo(false)
      .comment('Made while an incident of the service was open');
    table.index(
      ['entity_ref', 'deployed_at'],
      'delivery_dora_deployments_entity',
    );
    table.index(['deployed_at'], 'delivery_dora_deployments_time');
    table.index(['entity_ref', 'sha'], 'delivery_dora_deployments_sha');
    table.index(['token'], 'delivery_dora_deployments_token');
  });

  await knex.schema.createTable('delivery_dora_changes', table => {
    table.comment(
      'Commits and their first production deployment: lead time for changes',
    );
    table.string('entity_ref', 255).notNullable();
    table.string('sha', 40).notNullable();
    table.bigInteger('committed_at').nullable().comment('ms since the epoch');
    table.bigInteger('pushed_at').nullable().comment('ms since the epoch');
    table.string('deployment_id', 255).nullable();
    table.bigInteger('deployed_at').nullable().comment('ms since the epoch');
    table
      .bigInteger('lead_ms')
      .nullable()
      .comment('deployed_at − committed_at, when both are known');
    table.primary(['entity_ref', 'sha']);
    table.index(['deployed_at', 'entity_ref'], 'delivery_dora_changes_time');
    table.index(['entity_ref', 'deployed_at'], 'delivery_dora_changes_entity');
    table.index(['deployment_id'], 'delivery_dora_changes_deployment');
  });

  await knex.schema.createTable('delivery_dora_incidents', table => {
    table.comment(
      'Incidents from the portal’s rollbacks and from issues labelled incident',
    );
    table.string('id', 255).primary();
    table.string('entity_ref', 255).notNullable();
    table.text('title').notNullable();
    table.string('source', 16).notNullable();
    table.bigInteger('started_at').notNullable().comment('ms since the epoch');
    table.bigInteger('resolved_at').nullable().comment('ms since the epoch');
    table.bigInteger('recovery_ms').nullable();
    table
      .string('deployment_id', 255)
      .nullable()
      .comment('The deployment that caused it');
    table.string('token', 64).nullable();
    table.string('sha', 40).nullable();
    table.text('url').nullable();
    table.index(['entity_ref', 'started_at'], 'delivery_dora_incidents_entity');
    table.index(['started_at'], 'delivery_dora_incidents_time');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('delivery_dora_incidents');
  await knex.schema.dropTable('delivery_dora_changes');
  await knex.schema.dropTable('delivery_dora_deployments');
  await knex.schema.dropTable('delivery_dora_events');
};
