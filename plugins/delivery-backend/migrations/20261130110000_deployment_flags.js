/*
 * The flags a deployment's change ships behind (asked for in the request or named by `Flag:`
 * trailers in the commit message): the pipeline turns them on step by step after each verified
 * environment.
 */

// @ts-check

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('delivery_deployments', table => {
    table
      .text('flags')
      .nullable()
      .comment('JSON array of flag keys of the service; NULL: none');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  if (knex.client.config.client.includes('sqlite')) {
    // See 20261129100000_run_cancel_reason.js: knex's SQLite drop copies the table.
    await knex.raw('ALTER TABLE delivery_deployments DROP COLUMN flags');
    return;
  }
  await knex.schema.alterTable('delivery_deployments', table => {
    table.dropColumn('flags');
  });
};
