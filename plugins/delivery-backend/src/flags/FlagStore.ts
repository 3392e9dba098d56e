import { FlagType, FlagValue } from '@internal/plugin-delivery-common';

/** A flag in one environment, as stored. */
export interface FlagSettings {
  state: 'ENABLED' | 'DISABLED';
  defaultVariant: string;
  targeting?: { [key: string]: FlagValue };
}

/** A flag in one environment with who last changed it. */
export interface StoredFlagSettings extends FlagSettings {
  updatedAt: Date;
  updatedBy: string;
}

/** A flag of a service, with its settings per environment. */
export interface StoredFlag {
  id: string;
  entityRef: string;
  key: string;
  description?: string;
  type: FlagType;
  variants: { [name: string]: FlagValue };
  offVariant: string;
  onVariant: string;
  change?: string;
  createdAt: Date;
  createdBy: string;
  archivedAt?: Date;
  archivedBy?: string;
  /** Settings by environment name. */
  settings: Record<string, StoredFlagSettings>;
}

/** What a recorded change did. */
export type FlagHistoryAction =
  | 'created'
  | 'toggled'
  | 'rollout'
  | 'targeting'
  | 'killed'
  | 'archived'
  | 'requested'
  | 'approved'
  | 'rejected';

/** One recorded change. */
export interface FlagHistoryRecord {
  id: string;
  flagKey: string;
  environment?: string;
  action: FlagHistoryAction;
  actor: string;
  at: Date;
  reason?: string;
  deployment?: string;
  before?: FlagSettings;
  after?: FlagSettings;
}

/** The kinds of change of a flag in one environment. */
export type FlagChangeAction = 'toggle' | 'rollout' | 'targeting' | 'kill';

/** A change waiting for a second person, or what became of it. */
export interface FlagChangeRecord {
  id: string;
  flagId: string;
  entityRef: string;
  flagKey: string;
  /** The flag's off and on variants. */
  offVariant: string;
  onVariant: string;
  environment: string;
  action: FlagChangeAction;
  summary: string;
  before: FlagSettings;
  after: FlagSettings;
  requestedBy: string;
  requestedAt: Date;
  reason?: string;
  status: 'pending' | 'approved' | 'rejected' | 'superseded';
  decidedBy?: string;
  decidedAt?: Date;
  decisionReason?: string;
}

/** Who does a change, when, and why. */
export interface FlagChangeContext {
  actor: string;
  now: Date;
  reason?: string;
  /** The deployment whose pipeline makes the change. */
  deployment?: string;
}

/** One flag of one service in one environment, as a sync source serves it. */
export interface ServedFlag {
  entityRef: string;
  key: string;
  variants: { [name: string]: FlagValue };
  change?: string;
  settings: FlagSettings;
}

/** Where flags live: every write records its history and bumps its environments' revisions. */
export interface FlagStore {
  /** Creates a flag with the given settings in every environment; ConflictError when the key is taken. */
  create(
    flag: Omit<
      StoredFlag,
      | 'id'
      | 'settings'
      | 'createdAt'
      | 'createdBy'
      | 'archivedAt'
      | 'archivedBy'
    >,
    settings: Record<string, FlagSettings>,
    context: FlagChangeContext,
  ): Promise<StoredFlag>;
  list(
    entityRef: string,
    options?: { archived?: boolean },
  ): Promise<StoredFlag[]>;
  get(entityRef: string, key: string): Promise<StoredFlag | undefined>;
  /**
   * Sets a flag's settings in an environment (when `expected` is given, only if the current
   * settings still equal it, else ConflictError), records it, bumps the revision, and marks the
   * environment's pending changes of the flag superseded when `supersede` is set.
   */
  apply(options: {
    flagId: string;
    environment: string;
    settings: FlagSettings;
    action: Exclude<
      FlagHistoryAction,
      'created' | 'archived' | 'requested' | 'rejected'
    >;
    context: FlagChangeContext;
    expected?: FlagSettings;
    supersede?: boolean;
  }): Promise<{ before: FlagSettings; after: FlagSettings }>;
  archive(flagId: string, context: FlagChangeContext): Promise<void>;
  history(
    flagId: string,
    options?: { limit?: number },
  ): Promise<FlagHistoryRecord[]>;
  requestChange(
    change: Omit<
      FlagChangeRecord,
      | 'id'
      | 'entityRef'
      | 'flagKey'
      | 'offVariant'
      | 'onVariant'
      | 'status'
      | 'requestedAt'
      | 'requestedBy'
    >,
    context: FlagChangeContext,
  ): Promise<FlagChangeRecord>;
  getChange(id: string): Promise<FlagChangeRecord | undefined>;
  pendingChanges(entityRef: string): Promise<FlagChangeRecord[]>;
  /**
   * Approves (applying `after` when the settings still equal `before`, else ConflictError) or
   * rejects a pending change; ConflictError when it is no longer pending.
   */
  decide(
    id: string,
    decision: 'approved' | 'rejected',
    context: FlagChangeContext,
  ): Promise<FlagChangeRecord>;
  /** Every environment's revision (0 for one never changed). */
  revisions(): Promise<Map<string, number>>;
  /** The revision of an environment and its served flags, of every service or one, read together. */
  served(
    environment: string,
    entityRef?: string,
  ): Promise<{ revision: number; flags: ServedFlag[] }>;
  /** Services that have at least one flag. */
  services(): Promise<string[]>;
}
