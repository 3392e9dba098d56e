/*
 * DORA at scale: covering indexes, so an organisation's card reads its period from the indexes
 * alone (PostgreSQL's index-only scans), and the list of services with facts, so a scope that
 * covers every one of them needs no filter by service.
 */

// @ts-check

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('delivery_dora_deployments', table => {
    table.dropIndex([], 'delivery_dora_deployments_time');
    table.index(
      ['deployed_at', 'entity_ref', 'status', 'production', 'failed', 'rework'],
      'delivery_dora_deployments_time',
    );
  });
  await knex.schema.alterTable('delivery_dora_changes', table => {
    table.dropIndex([], 'delivery_dora_changes_time');
    table.index(
      ['deployed_at', 'entity_ref', 'lead_ms'],
      'delivery_dora_changes_time',
    );
  });
  await knex.schema.createTable('delivery_dora_services', table => {
    table.comment('Every service DORA has facts of');
    table.string('entity_ref', 255).primary();
  });
  await knex.raw(
    'INSERT INTO delivery_dora_services (entity_ref) SELECT DISTINCT entity_ref FROM delivery_dora_events',
  );
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('delivery_dora_services');
  await knex.schema.alterTable('delivery_dora_changes', table => {
    table.dropIndex([], 'delivery_dora_changes_time');
    table.index(['deployed_at', 'entity_ref'], 'delivery_dora_changes_time');
  });
  await knex.schema.alterTable('delivery_dora_deployments', table => {
    table.dropIndex([], 'delivery_dora_deployments_time');
    table.index(['deployed_at'], 'delivery_dora_deployments_time');
  });
};
