/*
 * The "one active deployment" slot belongs to the workload, not to the catalog entity: two
 * entities pointing at one Kubernetes workload (a service catalogued twice, or a hijack attempt)
 * must never roll it out at the same time. `workload` names it as `<namespaces>/<kubernetes-id>`;
 * `active_workload` holds it while a deployment is called or running (unique), and replaces
 * `active_entity_ref`.
 */

// @ts-check

const TABLE = 'delivery_deployments';

/** @param {import('knex').Knex} knex */
function isSqlite(knex) {
  return String(knex.client.config.client).includes('sqlite');
}

/**
 * Drops a column (and its unique index). Knex drops a SQLite column by copying the table and dropping the old
 * one, which cascades to the rows that reference it (foreign keys cannot be switched off inside
 * the migration's transaction); SQLite >= 3.35 drops an unindexed column in place.
 *
 * @param {import('knex').Knex} knex
 * @param {string} column
 * @param {string} [index]
 */
async function dropColumn(knex, column, index) {
  if (isSqlite(knex)) {
    if (index) await knex.raw(`DROP INDEX IF EXISTS ${index}`);
    await knex.raw(`ALTER TABLE ${TABLE} DROP COLUMN ${column}`);
    return;
  }
  await knex.schema.alterTable(TABLE, table => {
    if (index) table.dropUnique([column], index);
    table.dropColumn(column);
  });
}

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.alterTable(TABLE, table => {
    table
      .string('workload', 255)
      .nullable()
      .comment(
        'The Kubernetes workload it changes: <namespaces>/<kubernetes-id> (entity_ref for rows older than this column)',
      );
    table
      .string('active_workload', 255)
      .nullable()
      .unique({ indexName: 'delivery_deployments_one_active_workload' })
      .comment(
        'workload while called or running, else NULL: at most one active deployment per workload',
      );
  });
  await knex(TABLE).update({
    workload: knex.ref('entity_ref'),
    active_workload: knex.ref('active_entity_ref'),
  });
  await dropColumn(
    knex,
    'active_entity_ref',
    'delivery_deployments_one_active',
  );
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable(TABLE, table => {
    table
      .string('active_entity_ref', 255)
      .nullable()
      .unique({ indexName: 'delivery_deployments_one_active' })
      .comment(
        'entity_ref while called or running, else NULL: at most one active run per service',
      );
  });
  await knex(TABLE)
    .whereNotNull('active_workload')
    .update({ active_entity_ref: knex.ref('entity_ref') });
  await dropColumn(
    knex,
    'active_workload',
    'delivery_deployments_one_active_workload',
  );
  await dropColumn(knex, 'workload');
};
