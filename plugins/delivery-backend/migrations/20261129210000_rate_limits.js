/*
 * Token buckets of per-user rate limits (eligibility checks cost GitHub calls). One row per
 * bucket, taken from in one atomic upsert, so every replica on the database shares the limit.
 */

// @ts-check

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('delivery_rate_limits', table => {
    table.comment('Token buckets of per-user rate limits');
    table
      .string('bucket', 255)
      .primary()
      .comment(
        'What is limited and for whom, e.g. eligibility:user:default/ada',
      );
    table
      .double('tokens')
      .notNullable()
      .comment(
        'Tokens left after the last request (fractions refill over time)',
      );
    table
      .double('updated_at_ms')
      .notNullable()
      .comment('Epoch milliseconds the tokens were last refilled');
    table
      .integer('allowed')
      .notNullable()
      .comment(
        '1 when the last request was let through, 0 when it was refused',
      );
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('delivery_rate_limits');
};
