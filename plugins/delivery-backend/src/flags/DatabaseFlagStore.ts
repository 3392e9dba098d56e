import { DatabaseService } from '@backstage/backend-plugin-api';
import { ConflictError, NotFoundError } from '@backstage/errors';
import { Knex } from 'knex';
import { isDeepStrictEqual } from 'node:util';
import { migrateDeliveryDatabase } from '../database/DatabaseObservedVersionsStore';
import {
  FlagChangeContext,
  FlagChangeRecord,
  FlagHistoryAction,
  FlagHistoryRecord,
  FlagSettings,
  FlagStore,
  ServedFlag,
  StoredFlag,
  StoredFlagSettings,
} from './FlagStore';

const FLAGS = 'delivery_flags';
const SETTINGS = 'delivery_flag_settings';
const CHANGES = 'delivery_flag_changes';
const HISTORY = 'delivery_flag_history';
const REVISIONS = 'delivery_flag_revisions';

type FlagRow = {
  id: number | string;
  entity_ref: string;
  flag_key: string;
  description: string | null;
  type: string;
  variants: string;
  off_variant: string;
  on_variant: string;
  change_ref: string | null;
  created_at: Date | string;
  created_by: string;
  archived_at: Date | string | null;
  archived_by: string | null;
};

type SettingsRow = {
  flag_id: number | string;
  environment: string;
  state: string;
  default_variant: string;
  targeting: string | null;
  updated_at: Date | string;
  updated_by: string;
};

type ChangeRow = {
  id: number | string;
  flag_id: number | string;
  environment: string;
  action: string;
  summary: string;
  before: string;
  after: string;
  requested_by: string;
  requested_at: Date | string;
  reason: string | null;
  status: string;
  decided_by: string | null;
  decided_at: Date | string | null;
  decision_reason: string | null;
  entity_ref: string;
  flag_key: string;
  off_variant: string;
  on_variant: string;
};

const date = (value: Date | string) => new Date(value);

function settingsOf(row: SettingsRow): StoredFlagSettings {
  return {
    state: row.state as FlagSettings['state'],
    defaultVariant: row.default_variant,
    ...(row.targeting ? { targeting: JSON.parse(row.targeting) } : {}),
    updatedAt: date(row.updated_at),
    updatedBy: row.updated_by,
  };
}

/** Only what flagd serves, for comparing and recording. */
function plain(settings: FlagSettings): FlagSettings {
  return {
    state: settings.state,
    defaultVariant: settings.defaultVariant,
    ...(settings.targeting && Object.keys(settings.targeting).length > 0
      ? { targeting: settings.targeting }
      : {}),
  };
}

function settingsColumns(settings: FlagSettings, context: FlagChangeContext) {
  const { targeting } = plain(settings);
  return {
    state: settings.state,
    default_variant: settings.defaultVariant,
    targeting: targeting ? JSON.stringify(targeting) : null,
    updated_at: context.now,
    updated_by: context.actor,
  };
}

function changeOf(row: ChangeRow): FlagChangeRecord {
  return {
    id: String(row.id),
    flagId: String(row.flag_id),
    entityRef: row.entity_ref,
    flagKey: row.flag_key,
    offVariant: row.off_variant,
    onVariant: row.on_variant,
    environment: row.environment,
    action: row.action as FlagChangeRecord['action'],
    summary: row.summary,
    before: JSON.parse(row.before),
    after: JSON.parse(row.after),
    requestedBy: row.requested_by,
    requestedAt: date(row.requested_at),
    ...(row.reason ? { reason: row.reason } : {}),
    status: row.status as FlagChangeRecord['status'],
    ...(row.decided_by ? { decidedBy: row.decided_by } : {}),
    ...(row.decided_at ? { decidedAt: date(row.decided_at) } : {}),
    ...(row.decision_reason ? { decisionReason: row.decision_reason } : {}),
  };
}

/** {@link FlagStore} on the plugin's database (SQLite or PostgreSQL). */
export class DatabaseFlagStore implements FlagStore {
  static async create(options: { database: DatabaseService }) {
    const knex = await options.database.getClient();
    if (!options.database.migrations?.skip) {
      await migrateDeliveryDatabase(knex);
    }
    return new DatabaseFlagStore(knex);
  }

  constructor(private readonly db: Knex) {}

  async create(
    flag: Parameters<FlagStore['create']>[0],
    settings: Record<string, FlagSettings>,
    context: FlagChangeContext,
  ): Promise<StoredFlag> {
    return this.db.transaction(async tx => {
      const taken = await tx<FlagRow>(FLAGS)
        .where({ entity_ref: flag.entityRef, flag_key: flag.key })
        .first('id', 'archived_at');
      if (taken) {
        throw new ConflictError(
          `${flag.entityRef} already has a flag ${flag.key}${
            taken.archived_at ? ' (archived)' : ''
          }`,
        );
      }
      const [inserted] = await tx(FLAGS)
        .insert({
          entity_ref: flag.entityRef,
          flag_key: flag.key,
          description: flag.description ?? null,
          type: flag.type,
          variants: JSON.stringify(flag.variants),
          off_variant: flag.offVariant,
          on_variant: flag.onVariant,
          change_ref: flag.change ?? null,
          created_at: context.now,
          created_by: context.actor,
        })
        .returning('id');
      const id = typeof inserted === 'object' ? inserted.id : inserted;
      const environments = Object.keys(settings);
      if (environments.length > 0) {
        await tx(SETTINGS).insert(
          environments.map(environment => ({
            flag_id: id,
            environment,
            ...settingsColumns(settings[environment], context),
          })),
        );
      }
      await this.#record(tx, {
        flagId: String(id),
        action: 'created',
        context,
        after: undefined,
      });
      await this.#bump(tx, environments);
      const created = await this.#load(tx, { id: String(id) });
      return created[0];
    });
  }

  async list(
    entityRef: string,
    options?: { archived?: boolean },
  ): Promise<StoredFlag[]> {
    return this.#load(this.db, {
      entityRef,
      archived: options?.archived ?? false,
    });
  }

  async get(entityRef: string, key: string): Promise<StoredFlag | undefined> {
    const [flag] = await this.#load(this.db, {
      entityRef,
      key,
      archived: true,
    });
    return flag;
  }

  async apply(options: Parameters<FlagStore['apply']>[0]) {
    const { flagId, environment, settings, action, context } = options;
    return this.db.transaction(async tx => {
      const current = await this.#lockSettings(tx, flagId, environment);
      const before = plain(settingsOf(current));
      if (
        options.expected &&
        !isDeepStrictEqual(before, plain(options.expected))
      ) {
        throw new ConflictError(
          `The flag changed in ${environment} since this change was asked for; ask again`,
        );
      }
      const after = plain(settings);
      await tx(SETTINGS)
        .where({ flag_id: flagId, environment })
        .update(settingsColumns(after, context));
      await this.#record(tx, {
        flagId,
        environment,
        action,
        context,
        before,
        after,
      });
      if (options.supersede) {
        await tx(CHANGES)
          .where({ flag_id: flagId, environment, status: 'pending' })
          .update({
            status: 'superseded',
            decided_by: context.actor,
            decided_at: context.now,
            decision_reason: `Superseded: ${action}${
              context.reason ? ` (${context.reason})` : ''
            }`,
          });
      }
      await this.#bump(tx, [environment]);
      return { before, after };
    });
  }

  async archive(flagId: string, context: FlagChangeContext): Promise<void> {
    await this.db.transaction(async tx => {
      const updated = await tx(FLAGS)
        .where({ id: flagId })
        .whereNull('archived_at')
        .update({ archived_at: context.now, archived_by: context.actor });
      if (updated === 0) {
        throw new ConflictError('The flag is archived already');
      }
      await tx(CHANGES).where({ flag_id: flagId, status: 'pending' }).update({
        status: 'superseded',
        decided_by: context.actor,
        decided_at: context.now,
        decision_reason: 'Superseded: the flag was archived',
      });
      await this.#record(tx, { flagId, action: 'archived', context });
      const environments = await tx<SettingsRow>(SETTINGS)
        .where({ flag_id: flagId })
        .pluck('environment');
      await this.#bump(tx, environments);
    });
  }

  async history(
    flagId: string,
    options?: { limit?: number },
  ): Promise<FlagHistoryRecord[]> {
    const rows = await this.db(HISTORY)
      .join(FLAGS, `${FLAGS}.id`, `${HISTORY}.flag_id`)
      .where(`${HISTORY}.flag_id`, flagId)
      .orderBy(`${HISTORY}.id`, 'desc')
      .limit(options?.limit ?? 500)
      .select(`${HISTORY}.*`, `${FLAGS}.flag_key`);
    return rows.map(row => ({
      id: String(row.id),
      flagKey: row.flag_key,
      ...(row.environment ? { environment: row.environment } : {}),
      action: row.action,
      actor: row.actor,
      at: date(row.at),
      ...(row.reason ? { reason: row.reason } : {}),
      ...(row.deployment ? { deployment: row.deployment } : {}),
      ...(row.before ? { before: JSON.parse(row.before) } : {}),
      ...(row.after ? { after: JSON.parse(row.after) } : {}),
    }));
  }

  async requestChange(
    change: Parameters<FlagStore['requestChange']>[0],
    context: FlagChangeContext,
  ): Promise<FlagChangeRecord> {
    const id = await this.db.transaction(async tx => {
      const [inserted] = await tx(CHANGES)
        .insert({
          flag_id: change.flagId,
          environment: change.environment,
          action: change.action,
          summary: change.summary,
          before: JSON.stringify(plain(change.before)),
          after: JSON.stringify(plain(change.after)),
          requested_by: context.actor,
          requested_at: context.now,
          reason: context.reason ?? null,
          status: 'pending',
        })
        .returning('id');
      await this.#record(tx, {
        flagId: change.flagId,
        environment: change.environment,
        action: 'requested',
        context: {
          ...context,
          reason: [change.summary, context.reason].filter(Boolean).join(': '),
        },
        before: change.before,
        after: change.after,
      });
      return String(typeof inserted === 'object' ? inserted.id : inserted);
    });
    return (await this.getChange(id))!;
  }

  async getChange(id: string): Promise<FlagChangeRecord | undefined> {
    const [row] = await this.#changes(this.db).where(`${CHANGES}.id`, id);
    return row ? changeOf(row) : undefined;
  }

  async pendingChanges(entityRef: string): Promise<FlagChangeRecord[]> {
    const rows = await this.#changes(this.db)
      .where(`${FLAGS}.entity_ref`, entityRef)
      .where(`${CHANGES}.status`, 'pending')
      .orderBy(`${CHANGES}.id`, 'asc');
    return rows.map(changeOf);
  }

  async decide(
    id: string,
    decision: 'approved' | 'rejected',
    context: FlagChangeContext,
  ): Promise<FlagChangeRecord> {
    const stale = await this.db.transaction(async tx => {
      const [row] = await this.#changes(tx).where(`${CHANGES}.id`, id);
      if (!row) throw new NotFoundError(`No flag change ${id}`);
      const change = changeOf(row);
      if (change.status !== 'pending') {
        throw new ConflictError(
          `Flag change ${id} is ${change.status} already`,
        );
      }
      let outcome: 'approved' | 'rejected' | 'superseded' = decision;
      if (decision === 'approved') {
        const current = await this.#lockSettings(
          tx,
          change.flagId,
          change.environment,
        );
        if (
          !isDeepStrictEqual(plain(settingsOf(current)), plain(change.before))
        ) {
          outcome = 'superseded';
        }
      }
      const updated = await tx(CHANGES)
        .where({ id, status: 'pending' })
        .update({
          status: outcome,
          decided_by: context.actor,
          decided_at: context.now,
          decision_reason:
            outcome === 'superseded'
              ? `Not applied: the flag changed in ${change.environment} after it was asked for`
              : context.reason ?? null,
        });
      if (updated === 0) {
        throw new ConflictError(`Flag change ${id} was decided meanwhile`);
      }
      if (outcome === 'superseded') return change;
      if (outcome === 'approved') {
        await tx(SETTINGS)
          .where({ flag_id: change.flagId, environment: change.environment })
          .update(settingsColumns(change.after, context));
        await this.#bump(tx, [change.environment]);
      }
      await this.#record(tx, {
        flagId: change.flagId,
        environment: change.environment,
        action: outcome,
        context: {
          ...context,
          reason: [
            `${change.summary}, asked by ${change.requestedBy}`,
            context.reason,
          ]
            .filter(Boolean)
            .join(': '),
        },
        before: change.before,
        after: change.after,
      });
      return undefined;
    });
    if (stale) {
      throw new ConflictError(
        `The flag changed in ${stale.environment} since this change was asked for, so it was not applied; ask for it again`,
      );
    }
    return (await this.getChange(id))!;
  }

  async revisions(): Promise<Map<string, number>> {
    const rows = await this.db(REVISIONS).select('environment', 'revision');
    return new Map(rows.map(r => [r.environment, Number(r.revision)]));
  }

  async served(
    environment: string,
    entityRef?: string,
  ): Promise<{ revision: number; flags: ServedFlag[] }> {
    // One transaction, so the revision names exactly the flags read with it (PostgreSQL's
    // repeatable read gives both reads one snapshot; SQLite serialises anyway).
    return this.db.transaction(
      async tx => {
        const revision = await tx(REVISIONS)
          .where({ environment })
          .first('revision');
        const query = tx(FLAGS)
          .join(SETTINGS, `${SETTINGS}.flag_id`, `${FLAGS}.id`)
          .where(`${SETTINGS}.environment`, environment)
          .whereNull(`${FLAGS}.archived_at`)
          .orderBy([`${FLAGS}.entity_ref`, `${FLAGS}.flag_key`])
          .select(
            `${FLAGS}.entity_ref`,
            `${FLAGS}.flag_key`,
            `${FLAGS}.variants`,
            `${FLAGS}.change_ref`,
            `${SETTINGS}.*`,
          );
        if (entityRef) query.where(`${FLAGS}.entity_ref`, entityRef);
        const rows = await query;
        return {
          revision: Number(revision?.revision ?? 0),
          flags: rows.map(row => ({
            entityRef: row.entity_ref,
            key: row.flag_key,
            variants: JSON.parse(row.variants),
            ...(row.change_ref ? { change: row.change_ref } : {}),
            settings: plain(settingsOf(row)),
          })),
        };
      },
      this.db.client.config.client === 'pg'
        ? { isolationLevel: 'repeatable read', readOnly: true }
        : undefined,
    );
  }

  async services(): Promise<string[]> {
    return this.db(FLAGS).distinct('entity_ref').pluck('entity_ref');
  }

  #changes(db: Knex | Knex.Transaction) {
    return db<ChangeRow>(CHANGES)
      .join(FLAGS, `${FLAGS}.id`, `${CHANGES}.flag_id`)
      .select(
        `${CHANGES}.*`,
        `${FLAGS}.entity_ref`,
        `${FLAGS}.flag_key`,
        `${FLAGS}.off_variant`,
        `${FLAGS}.on_variant`,
      );
  }

  async #lockSettings(
    tx: Knex.Transaction,
    flagId: string,
    environment: string,
  ): Promise<SettingsRow> {
    const query = tx<SettingsRow>(SETTINGS).where({
      flag_id: flagId,
      environment,
    });
    if (tx.client.config.client === 'pg') query.forUpdate();
    const row = await query.first();
    if (!row) {
      throw new NotFoundError(`The flag has no settings for ${environment}`);
    }
    return row;
  }

  async #record(
    tx: Knex.Transaction,
    entry: {
      flagId: string;
      environment?: string;
      action: FlagHistoryAction;
      context: FlagChangeContext;
      before?: FlagSettings;
      after?: FlagSettings;
    },
  ) {
    const { context } = entry;
    await tx(HISTORY).insert({
      flag_id: entry.flagId,
      environment: entry.environment ?? null,
      action: entry.action,
      actor: context.actor,
      at: context.now,
      reason: context.reason ?? null,
      deployment: context.deployment ?? null,
      before: entry.before ? JSON.stringify(plain(entry.before)) : null,
      after: entry.after ? JSON.stringify(plain(entry.after)) : null,
    });
  }

  /** Bumps environments' revisions inside the change's transaction. */
  async #bump(tx: Knex.Transaction, environments: string[]) {
    for (const environment of [...new Set(environments)].sort()) {
      await tx(REVISIONS)
        .insert({ environment, revision: 1 })
        .onConflict('environment')
        .merge({ revision: tx.raw(`${REVISIONS}.revision + 1`) });
    }
  }

  async #load(
    db: Knex | Knex.Transaction,
    where: {
      id?: string;
      entityRef?: string;
      key?: string;
      archived?: boolean;
    },
  ): Promise<StoredFlag[]> {
    const query = db<FlagRow>(FLAGS).orderBy('flag_key');
    if (where.id) query.where({ id: where.id });
    if (where.entityRef) query.where({ entity_ref: where.entityRef });
    if (where.key) query.where({ flag_key: where.key });
    if (!where.archived) query.whereNull('archived_at');
    const rows = await query;
    if (rows.length === 0) return [];
    const settings = await db<SettingsRow>(SETTINGS).whereIn(
      'flag_id',
      rows.map(r => r.id),
    );
    return rows.map(row => ({
      id: String(row.id),
      entityRef: row.entity_ref,
      key: row.flag_key,
      ...(row.description ? { description: row.description } : {}),
      type: row.type as StoredFlag['type'],
      variants: JSON.parse(row.variants),
      offVariant: row.off_variant,
      onVariant: row.on_variant,
      ...(row.change_ref ? { change: row.change_ref } : {}),
      createdAt: date(row.created_at),
      createdBy: row.created_by,
      ...(row.archived_at ? { archivedAt: date(row.archived_at) } : {}),
      ...(row.archived_by ? { archivedBy: row.archived_by } : {}),
      settings: Object.fromEntries(
        settings
          .filter(s => String(s.flag_id) === String(row.id))
          .map(s => [s.environment, settingsOf(s)]),
      ),
    }));
  }
}
