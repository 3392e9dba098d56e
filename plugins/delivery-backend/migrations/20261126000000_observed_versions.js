/*
 * Versions the portal has seen running in each environment. Clusters keep only the current
 * Deployment; this keeps when each version was first and last seen, which answers "deployed
 * since" for workloads that record no deploy time and is the observed deployment history.
 */

// @ts-check

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('delivery_observed_versions', table => {
    table.comment('Versions seen running per service and environment');
    table.bigIncrements('id').primary().comment('Surrogate key');
    table
      .string('entity_ref', 255)
      .notNullable()
      .comment(
        'Catalog entity ref of the service, e.g. component:default/payments-api',
      );
    table
      .string('environment', 63)
      .notNullable()
      .comment('Environment name from delivery.environments');
    table
      .string('image', 512)
      .notNullable()
      .comment('Container image reference that was running');
    table
      .string('commit_sha', 40)
      .nullable()
      .comment('Commit sha the image was built from, when known');
    table
      .timestamp('first_seen_at', { useTz: true })
      .notNullable()
      .comment(
        'When the portal first saw this version running (or the workload said it was deployed)',
      );
    table
      .timestamp('last_seen_at', { useTz: true })
      .notNullable()
      .comment('When the portal last saw it');
    table.unique(['entity_ref', 'environment', 'image'], {
      indexName: 'delivery_observed_versions_unique',
    });
    table.index(
      ['entity_ref', 'environment', 'last_seen_at'],
      'delivery_observed_versions_recent',
    );
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('delivery_observed_versions');
};
