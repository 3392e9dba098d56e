/*
 * DORA's inbox: every GitHub delivery DORA reads is written here before it is processed, so a
 * delivery whose repository the catalog does not know yet (the catalog is still reading its
 * locations), or whose processing failed, is retried instead of lost.
 */

// @ts-check

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('delivery_dora_inbox', table => {
    table.comment('GitHub deliveries waiting to become DORA events');
    table.bigIncrements('id').primary();
    table.string('name', 64).notNullable().comment('X-GitHub-Event');
    table.string('delivery_id', 128).nullable().comment('X-GitHub-Delivery');
    table.string('repository', 255).notNullable().comment('owner/name');
    table.text('payload').notNullable().comment('The delivery’s JSON body');
    table.bigInteger('received_at').notNullable().comment('ms since the epoch');
    table.integer('attempts').notNullable().defaultTo(0);
    table.text('last_error').nullable();
    table.index(['received_at'], 'delivery_dora_inbox_received');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('delivery_dora_inbox');
};
