import { DatabaseService } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import { migrateDeliveryDatabase } from './DatabaseObservedVersionsStore';

const TABLE = 'delivery_rate_limits';

/** The outcome of taking a token from a bucket. */
export interface TakeResult {
  allowed: boolean;
  /** Tokens left in the bucket (fractions refill over time). */
  tokens: number;
}

/**
 * Token buckets in the plugin's database. A take is one atomic upsert (SQLite and PostgreSQL
 * both lock the row for `INSERT … ON CONFLICT DO UPDATE`), so concurrent requests on several
 * replicas never let more through than the bucket holds.
 */
export class DatabaseRateLimitStore {
  static async create(options: { database: DatabaseService }) {
    const knex = await options.database.getClient();
    if (!options.database.migrations?.skip) {
      await migrateDeliveryDatabase(knex);
    }
    return new DatabaseRateLimitStore(knex);
  }

  constructor(private readonly db: Knex) {}

  /**
   * Refills `bucket` by `refillPerMs` tokens per millisecond since its last refill (up to
   * `capacity`), then takes one token if a whole one is there. A new bucket starts full.
   */
  async take(options: {
    bucket: string;
    capacity: number;
    refillPerMs: number;
    now: Date;
  }): Promise<TakeResult> {
    const t = `${TABLE}.tokens`;
    const u = `${TABLE}.updated_at_ms`;
    const n = 'excluded.updated_at_ms';
    const cap = 'CAST(:capacity AS DOUBLE PRECISION)';
    const rate = 'CAST(:rate AS DOUBLE PRECISION)';
    const refilled = `${t} + (CASE WHEN ${n} > ${u} THEN ${n} - ${u} ELSE 0 END) * ${rate}`;
    const available = `(CASE WHEN ${refilled} > ${cap} THEN ${cap} ELSE ${refilled} END)`;
    const result = await this.db.raw(
      `INSERT INTO ${TABLE} (bucket, tokens, updated_at_ms, allowed)
       VALUES (:bucket, CAST(:capacity AS DOUBLE PRECISION) - 1, CAST(:now AS DOUBLE PRECISION), 1)
       ON CONFLICT (bucket) DO UPDATE SET
         tokens = CASE WHEN ${available} >= 1 THEN ${available} - 1 ELSE ${available} END,
         updated_at_ms = CASE WHEN ${n} > ${u} THEN ${n} ELSE ${u} END,
         allowed = CASE WHEN ${available} >= 1 THEN 1 ELSE 0 END
       RETURNING tokens, allowed`,
      {
        bucket: options.bucket,
        capacity: options.capacity,
        rate: options.refillPerMs,
        now: options.now.getTime(),
      },
    );
    // PostgreSQL answers { rows }, SQLite the rows themselves.
    const row = (Array.isArray(result) ? result : result.rows)[0];
    return { allowed: Number(row.allowed) === 1, tokens: Number(row.tokens) };
  }
}
