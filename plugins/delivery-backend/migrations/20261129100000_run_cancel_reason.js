/*
 * Why a run was asked to stop, beside who asked: owners and on-call abort other people's
 * deployments with a reason, which the requester is told.
 */

// @ts-check

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('delivery_runs', table => {
    table
      .text('cancel_reason')
      .nullable()
      .comment(
        'Why the run was asked to stop (the reason it fails with); NULL: "Cancelled by <who>"',
      );
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  if (knex.client.config.client.includes('sqlite')) {
    // Knex drops a SQLite column by copying the table and dropping the old one, which cascades
    // to every stage and log of every run (foreign keys cannot be switched off inside the
    // migration's transaction). SQLite >= 3.35 drops a column in place.
    await knex.raw('ALTER TABLE delivery_runs DROP COLUMN cancel_reason');
    return;
  }
  await knex.schema.alterTable('delivery_runs', table => {
    table.dropColumn('cancel_reason');
  });
};
