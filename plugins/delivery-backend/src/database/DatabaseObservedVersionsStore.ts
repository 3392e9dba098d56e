import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import {
  ObservedVersion,
  ObservedVersionsStore,
  Sighting,
} from './ObservedVersionsStore';

const TABLE = 'delivery_observed_versions';

type Row = {
  id: number;
  entity_ref: string;
  environment: string;
  image: string;
  commit_sha: string | null;
  first_seen_at: Date | string;
  last_seen_at: Date | string;
};

/** The folder of the delivery migrations. */
export const migrationsDir = resolvePackagePath(
  '@internal/plugin-delivery-backend',
  'migrations',
);

/** Applies the delivery migrations to a database. */
export async function migrateDeliveryDatabase(knex: Knex): Promise<void> {
  await knex.migrate.latest({ directory: migrationsDir });
}

/** Reverts every delivery migration (used by tests of `down`). */
export async function rollbackDeliveryDatabase(knex: Knex): Promise<void> {
  await knex.migrate.rollback({ directory: migrationsDir }, true);
}

/** {@link ObservedVersionsStore} on the plugin's database (SQLite or PostgreSQL). */
export class DatabaseObservedVersionsStore implements ObservedVersionsStore {
  static async create(options: { database: DatabaseService }) {
    const knex = await options.database.getClient();
    if (!options.database.migrations?.skip) {
      await migrateDeliveryDatabase(knex);
    }
    return new DatabaseObservedVersionsStore(knex);
  }

  constructor(private readonly db: Knex) {}

  async recordSighting(sighting: Sighting): Promise<ObservedVersion> {
    const first =
      sighting.deployedAt && sighting.deployedAt < sighting.seenAt
        ? sighting.deployedAt
        : sighting.seenAt;
    await this.db<Row>(TABLE)
      .insert({
        entity_ref: sighting.entityRef,
        environment: sighting.environment,
        image: sighting.image,
        commit_sha: sighting.commitSha ?? null,
        first_seen_at: first,
        last_seen_at: sighting.seenAt,
      })
      .onConflict(['entity_ref', 'environment', 'image'])
      .merge({
        last_seen_at: sighting.seenAt,
        ...(sighting.commitSha ? { commit_sha: sighting.commitSha } : {}),
      });
    const row = await this.db<Row>(TABLE)
      .where({
        entity_ref: sighting.entityRef,
        environment: sighting.environment,
        image: sighting.image,
      })
      .first();
    // A deploy time learnt later moves the first sighting back, never forward.
    if (
      row &&
      sighting.deployedAt &&
      toDate(row.first_seen_at) > sighting.deployedAt
    ) {
      await this.db<Row>(TABLE)
        .where({ id: row.id })
        .update({ first_seen_at: sighting.deployedAt });
      row.first_seen_at = sighting.deployedAt;
    }
    return toObserved(row!);
  }

  async listSightings(
    entityRef: string,
    options?: { environment?: string; limit?: number },
  ): Promise<ObservedVersion[]> {
    const query = this.db<Row>(TABLE)
      .where({ entity_ref: entityRef })
      .orderBy('last_seen_at', 'desc')
      .orderBy('id', 'desc')
      .limit(options?.limit ?? 100);
    if (options?.environment)
      query.andWhere({ environment: options.environment });
    return (await query).map(toObserved);
  }
}

function toDate(value: Date | string | number): Date {
  return value instanceof Date ? value : new Date(value);
}

function toObserved(row: Row): ObservedVersion {
  return {
    entityRef: row.entity_ref,
    environment: row.environment,
    image: row.image,
    ...(row.commit_sha ? { commitSha: row.commit_sha } : {}),
    firstSeenAt: toDate(row.first_seen_at),
    lastSeenAt: toDate(row.last_seen_at),
  };
}
