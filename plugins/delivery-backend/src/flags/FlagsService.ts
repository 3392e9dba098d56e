import {
  LoggerService,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import {
  ConflictError,
  CustomErrorBase,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import {
  CreateFlagRequest,
  FLAG_TYPES,
  FlagChange,
  FlagChangeResult,
  FlagDefinition,
  FlagEnvironmentChangeRequest,
  FlagEnvironmentSettings,
  FlagHistoryEntry,
  FlagPreviewRequest,
  FlagPreviewResult,
  FlagType,
  FlagValue,
  FlagsResponse,
  ServiceFlag,
  deliveryFlagApprovePermission,
  deliveryFlagArchivePermission,
  deliveryFlagCreatePermission,
  deliveryFlagKillPermission,
  deliveryFlagUpdatePermission,
  flagDefinitionProblems,
  isFlagOn as isOn,
  offSettings,
  rolloutPercentOf,
  rolloutSettings,
} from '@internal/plugin-delivery-common';
import { FlagdCore, MemoryStorage } from '@openfeature/flagd-core';
import { Actor, ServiceAuthorizer } from '../services/ServiceAuthorizer';
import { DeliveryEntity } from '../services/EntityResolver';
import {
  FlagChangeContext,
  FlagChangeRecord,
  FlagSettings,
  FlagStore,
  StoredFlag,
} from './FlagStore';
import { flagdConfiguration, serviceRef } from './flagd';
import { InitialFlag } from './config';

/** Annotation listing the environments where a service's flag changes need a second person. */
export const ANNOTATION_FLAG_APPROVAL = 'delivery.backstage.io/flag-approval';

/** 422: a definition flagd would not serve; the message names each problem with its path. */
export class FlagValidationError extends CustomErrorBase {
  name = 'FlagValidationError' as const;
  readonly statusCode = 422;
  constructor(readonly problems: { path: string; message: string }[]) {
    super(
      `The flag is not valid: ${problems
        .map(p => `${p.path}: ${p.message}`)
        .join('; ')}`,
    );
  }
}

function describe(flag: StoredFlag, settings: FlagSettings): string {
  if (settings.state === 'DISABLED') return 'not served';
  const percent = rolloutPercentOf(flag, settings);
  if (percent === 0) return 'off';
  if (percent === 100) return 'on for everyone';
  if (percent !== undefined) return `on for ${percent} % of users`;
  return `targeting, default ${settings.defaultVariant}`;
}

const noopLogger = {
  error: () => {},
  warn: () => {},
  info: () => {},
  debug: () => {},
};

/**
 * Feature flags of services as people and the pipeline change them: create (off everywhere),
 * toggle, roll out to a percentage, target, kill, archive; in the environments where a service
 * requires it, a change that turns anything on waits for a second person. Every change is
 * recorded with who, when, before and after, and bumps its environment's revision in the same
 * transaction (what the flagd sync sources serve).
 */
export class FlagsService {
  readonly #authorizer: ServiceAuthorizer;

  constructor(
    private readonly deps: {
      store: FlagStore;
      /** Environment names in pipeline order. */
      environments: string[];
      permissions: PermissionsService;
      userInfo: UserInfoService;
      /** Environments where every service's flag changes need a second person. */
      approvalRequired: string[];
      onCallGroup?: string;
      logger?: LoggerService;
      now?: () => Date;
      /**
       * Told after a change of a service's flags is stored, with the environments whose served
       * flags it changed (none for a change that only waits for approval or was decided without
       * being applied).
       */
      onChange?: (change: {
        entityRef: string;
        environments: string[];
      }) => void;
    },
  ) {
    this.#authorizer = new ServiceAuthorizer(deps);
  }

  #now() {
    return this.deps.now?.() ?? new Date();
  }

  #changed(entityRef: string, environments: string[]) {
    this.deps.onChange?.({ entityRef, environments });
  }

  /** Environments where the service's changes that turn anything on need a second person. */
  approvalRequired(service: DeliveryEntity): string[] {
    const annotated = (
      service.entity.metadata.annotations?.[ANNOTATION_FLAG_APPROVAL] ?? ''
    )
      .split(',')
      .map(s => s.trim())
      .filter(Boolean);
    const wanted = new Set([...this.deps.approvalRequired, ...annotated]);
    return this.deps.environments.filter(e => wanted.has(e));
  }

  async list(
    service: DeliveryEntity,
    options?: { archived?: boolean },
  ): Promise<FlagsResponse> {
    const [flags, pending] = await Promise.all([
      this.deps.store.list(service.entityRef, options),
      this.deps.store.pendingChanges(service.entityRef),
    ]);
    return {
      entityRef: service.entityRef,
      environments: this.deps.environments,
      approvalRequired: this.approvalRequired(service),
      flags: flags.map(f => this.#toApi(f)),
      pending: pending.map(c => this.#changeToApi(c)),
    };
  }

  async get(service: DeliveryEntity, key: string): Promise<ServiceFlag> {
    return this.#toApi(await this.#find(service, key, { archived: true }));
  }

  async create(
    service: DeliveryEntity,
    request: CreateFlagRequest,
    actor: Actor,
  ): Promise<ServiceFlag> {
    await this.#authorizer.authorize(
      deliveryFlagCreatePermission,
      service.entityRef,
      actor,
      'create flags of',
    );
    const type = request.type as FlagType;
    const variants = (request.variants ??
      (type === 'boolean' ? { on: true, off: false } : {})) as Record<
      string,
      FlagValue
    >;
    const names = Object.keys(variants);
    const pick = (want: boolean) =>
      type === 'boolean' ? names.find(n => variants[n] === want) : undefined;
    const offVariant = request.offVariant ?? pick(false) ?? names[0] ?? '';
    const onVariant =
      request.onVariant ??
      pick(true) ??
      names.find(n => n !== offVariant) ??
      '';
    const environments = Object.fromEntries(
      this.deps.environments.map(e => [e, offSettings({ offVariant })]),
    );
    const definition: FlagDefinition = {
      key: request.key,
      ...(request.description ? { description: request.description } : {}),
      type,
      variants,
      defaultVariant: offVariant,
      ...(request.change ? { change: request.change } : {}),
      environments,
    };
    const problems = flagDefinitionProblems(definition, this.deps.environments);
    if (FLAG_TYPES.includes(type) && names.length > 0) {
      if (!names.includes(onVariant)) {
        problems.push({
          path: 'onVariant',
          message: `${JSON.stringify(
            onVariant,
          )} is not a variant of this flag (variants: ${names.join(', ')})`,
        });
      } else if (onVariant === offVariant) {
        problems.push({
          path: 'onVariant',
          message: 'the on variant differs from the off variant',
        });
      }
      if (!names.includes(offVariant)) {
        problems.push({
          path: 'offVariant',
          message: `${JSON.stringify(
            offVariant,
          )} is not a variant of this flag (variants: ${names.join(', ')})`,
        });
      }
    }
    if (problems.length > 0) throw new FlagValidationError(problems);
    const created = await this.deps.store.create(
      {
        entityRef: service.entityRef,
        key: request.key,
        ...(request.description ? { description: request.description } : {}),
        type,
        variants,
        offVariant,
        onVariant,
        ...(request.change ? { change: request.change } : {}),
      },
      environments,
      { actor: actor.userEntityRef, now: this.#now() },
    );
    this.#changed(service.entityRef, this.deps.environments);
    return this.#toApi(created);
  }

  /**
   * Changes a flag in one environment. Where the service needs a second person, a change that
   * turns anything on is recorded as pending instead (202); turning off never waits.
   */
  async change(
    service: DeliveryEntity,
    key: string,
    environment: string,
    request: FlagEnvironmentChangeRequest,
    actor: Actor,
  ): Promise<{ result: FlagChangeResult; pending: boolean }> {
    this.#environment(environment);
    if (request.action === 'kill') {
      const flag = await this.kill(
        service,
        key,
        { environment, reason: request.reason ?? 'Kill switch' },
        actor,
      );
      return { result: { flag }, pending: false };
    }
    await this.#authorizer.authorize(
      deliveryFlagUpdatePermission,
      service.entityRef,
      actor,
      'change flags of',
    );
    const flag = await this.#find(service, key);
    const current = flag.settings[environment];
    const next = this.#settingsFor(flag, current, request, environment);
    const context: FlagChangeContext = {
      actor: actor.userEntityRef,
      now: this.#now(),
      ...(request.reason ? { reason: request.reason } : {}),
    };
    if (
      isOn(flag, next) &&
      this.approvalRequired(service).includes(environment)
    ) {
      const pending = await this.deps.store.requestChange(
        {
          flagId: flag.id,
          environment,
          action: request.action,
          summary: `${flag.key} in ${environment}: ${describe(flag, next)}`,
          before: current,
          after: next,
        },
        context,
      );
      this.#changed(service.entityRef, []);
      return {
        result: {
          flag: this.#toApi(flag),
          pending: this.#changeToApi(pending),
        },
        pending: true,
      };
    }
    await this.deps.store.apply({
      flagId: flag.id,
      environment,
      settings: next,
      action: request.action === 'toggle' ? 'toggled' : request.action,
      context,
      // Turning off supersedes what waits to turn it on.
      supersede: !isOn(flag, next),
    });
    this.#changed(service.entityRef, [environment]);
    return {
      result: { flag: await this.get(service, key) },
      pending: false,
    };
  }

  /** The kill switch: off at once in one environment or every one; never waits. */
  async kill(
    service: DeliveryEntity,
    key: string,
    options: { environment?: string; reason: string },
    actor: Actor,
  ): Promise<ServiceFlag> {
    if (options.environment) this.#environment(options.environment);
    if (
      !(await this.#authorizer.allowed(
        deliveryFlagKillPermission,
        service.entityRef,
        actor,
      )) &&
      !(await this.#authorizer.onCall(actor))
    ) {
      throw new NotAllowedError(
        `${actor.userEntityRef} may not kill flags of ${service.entityRef}: only its owners and the on-call group may`,
      );
    }
    const flag = await this.#find(service, key);
    await this.turnOff(
      flag,
      options.environment ? [options.environment] : this.deps.environments,
      {
        actor: actor.userEntityRef,
        now: this.#now(),
        reason: options.reason,
      },
    );
    this.deps.logger?.warn(
      `Flag ${flag.key} of ${service.entityRef} killed in ${
        options.environment ?? 'every environment'
      } by ${actor.userEntityRef}: ${options.reason}`,
    );
    return this.get(service, key);
  }

  /** Turns a flag off in environments (kill), superseding what waits there. */
  async turnOff(
    flag: StoredFlag,
    environments: string[],
    context: FlagChangeContext,
  ): Promise<void> {
    for (const environment of environments) {
      await this.deps.store.apply({
        flagId: flag.id,
        environment,
        settings: offSettings(flag),
        action: 'killed',
        context,
        supersede: true,
      });
    }
    this.#changed(flag.entityRef, environments);
  }

  async archive(
    service: DeliveryEntity,
    key: string,
    reason: string | undefined,
    actor: Actor,
  ): Promise<ServiceFlag> {
    await this.#authorizer.authorize(
      deliveryFlagArchivePermission,
      service.entityRef,
      actor,
      'archive flags of',
    );
    const flag = await this.#find(service, key);
    const on = this.deps.environments.filter(e => isOn(flag, flag.settings[e]));
    if (on.length > 0) {
      throw new ConflictError(
        `${flag.key} is on in ${on.join(
          ', ',
        )}: applications still reading it would fall back to their code default once it is archived. Remove it from the code, deploy, turn it off, then archive it`,
      );
    }
    await this.deps.store.archive(flag.id, {
      actor: actor.userEntityRef,
      now: this.#now(),
      ...(reason ? { reason } : {}),
    });
    this.#changed(service.entityRef, this.deps.environments);
    return this.get(service, key);
  }

  async history(
    service: DeliveryEntity,
    key: string,
  ): Promise<FlagHistoryEntry[]> {
    const flag = await this.#find(service, key, { archived: true });
    const records = await this.deps.store.history(flag.id);
    return records.map(r => ({
      id: r.id,
      flagKey: r.flagKey,
      ...(r.environment ? { environment: r.environment } : {}),
      action: r.action,
      actor: r.actor,
      at: r.at.toISOString(),
      ...(r.reason ? { reason: r.reason } : {}),
      ...(r.deployment ? { deployment: r.deployment } : {}),
      ...(r.before ? { before: r.before as any } : {}),
      ...(r.after ? { after: r.after as any } : {}),
    }));
  }

  /** What each context gets in an environment, by flagd's own evaluator. */
  async preview(
    service: DeliveryEntity,
    key: string,
    request: FlagPreviewRequest,
  ): Promise<FlagPreviewResult[]> {
    this.#environment(request.environment);
    const flag = await this.#find(service, key, { archived: true });
    const storage = new MemoryStorage(noopLogger);
    const core = new FlagdCore(storage, noopLogger);
    core.setConfigurations(
      JSON.stringify(
        flagdConfiguration(
          [
            {
              entityRef: flag.entityRef,
              key: flag.key,
              variants: flag.variants,
              settings: flag.settings[request.environment],
            },
          ],
          { namespaced: false },
        ),
      ),
    );
    return request.contexts.map(context => {
      const resolved = core.resolve(
        flag.type,
        flag.key,
        flag.variants[flag.offVariant] as any,
        context as any,
        noopLogger,
      );
      return {
        ...(typeof context.targetingKey === 'string'
          ? { targetingKey: context.targetingKey }
          : {}),
        ...(resolved.variant ? { variant: resolved.variant } : {}),
        value: resolved.value,
        reason: resolved.reason ?? 'UNKNOWN',
      };
    });
  }

  async approve(id: string, reason: string | undefined, actor: Actor) {
    return this.#decide(id, 'approved', reason, actor);
  }

  async reject(id: string, reason: string | undefined, actor: Actor) {
    return this.#decide(id, 'rejected', reason, actor);
  }

  async #decide(
    id: string,
    decision: 'approved' | 'rejected',
    reason: string | undefined,
    actor: Actor,
  ): Promise<FlagChange> {
    const change = await this.deps.store.getChange(id);
    if (!change) throw new NotFoundError(`No flag change ${id}`);
    const own = change.requestedBy === actor.userEntityRef;
    // A requester may withdraw their own change, never approve it.
    if (decision === 'approved' && own) {
      throw new NotAllowedError(
        `${actor.userEntityRef} asked for this change and cannot approve it: a second person must (two-person rule for ${change.environment})`,
      );
    }
    if (!own) {
      const allowed = await this.#authorizer.allowed(
        deliveryFlagApprovePermission,
        change.entityRef,
        actor,
      );
      if (!allowed) {
        throw new NotAllowedError(
          `${actor.userEntityRef} may not decide flag changes of ${change.entityRef}: only its owners may`,
        );
      }
    }
    const decided = await this.deps.store.decide(id, decision, {
      actor: actor.userEntityRef,
      now: this.#now(),
      ...(reason ? { reason } : {}),
    });
    this.#changed(
      decided.entityRef,
      decided.status === 'approved' ? [decided.environment] : [],
    );
    return this.#changeToApi(decided);
  }

  #settingsFor(
    flag: StoredFlag,
    current: FlagSettings,
    request: FlagEnvironmentChangeRequest,
    environment: string,
  ): FlagSettings {
    switch (request.action) {
      case 'toggle':
        if (typeof request.enabled !== 'boolean') {
          throw new InputError(
            'A toggle says whether the flag is enabled: { "action": "toggle", "enabled": true }',
          );
        }
        return rolloutSettings(request.enabled ? 100 : 0, {
          on: flag.onVariant,
          off: flag.offVariant,
        });
      case 'rollout':
        if (typeof request.percent !== 'number') {
          throw new InputError(
            'A rollout names a percentage: { "action": "rollout", "percent": 10 }',
          );
        }
        return rolloutSettings(request.percent, {
          on: flag.onVariant,
          off: flag.offVariant,
        });
      case 'targeting': {
        if (request.targeting === undefined) {
          throw new InputError(
            'A targeting change gives the rule: { "action": "targeting", "targeting": { … } }',
          );
        }
        const next: FlagSettings = {
          state: 'ENABLED',
          defaultVariant: request.defaultVariant ?? current.defaultVariant,
          ...(Object.keys(request.targeting).length > 0
            ? { targeting: request.targeting as FlagSettings['targeting'] }
            : {}),
        };
        const problems = flagDefinitionProblems(
          {
            key: flag.key,
            type: flag.type,
            variants: flag.variants,
            defaultVariant: flag.offVariant,
            environments: { ...flag.settings, [environment]: next },
          },
          this.deps.environments,
        );
        if (problems.length > 0) throw new FlagValidationError(problems);
        return next;
      }
      default:
        throw new InputError(`Unknown action ${request.action}`);
    }
  }

  #environment(environment: string) {
    if (!this.deps.environments.includes(environment)) {
      throw new NotFoundError(
        `There is no environment ${environment} (${this.deps.environments.join(
          ', ',
        )})`,
      );
    }
  }

  async #find(
    service: DeliveryEntity | { entityRef: string },
    key: string,
    options?: { archived?: boolean },
  ): Promise<StoredFlag> {
    const flag = await this.deps.store.get(service.entityRef, key);
    if (!flag) {
      throw new NotFoundError(`${service.entityRef} has no flag ${key}`);
    }
    if (flag.archivedAt && !options?.archived) {
      throw new ConflictError(`Flag ${key} is archived`);
    }
    return flag;
  }

  /**
   * The pipeline turns a deployment's flags on for `percent` % of users (no approval: the
   * deployment's own gates stand for it). It never turns a flag down, and leaves a flag with
   * targeting of its own alone: those are people's decisions.
   */
  async rollout(options: {
    entityRef: string;
    keys: string[];
    environment: string;
    percent: number;
    deployment: string;
    actor: string;
  }): Promise<{ changed: string[]; missing: string[]; kept: string[] }> {
    const changed: string[] = [];
    const missing: string[] = [];
    const kept: string[] = [];
    const flags = await this.#byKey(options.entityRef);
    for (const key of options.keys) {
      const flag = flags.get(key);
      const current = flag?.settings[options.environment];
      if (!flag || !current) {
        missing.push(key);
        continue;
      }
      const now = rolloutPercentOf(flag, current);
      if (now === undefined || now > options.percent) {
        kept.push(key);
        continue;
      }
      if (now === options.percent) continue;
      await this.deps.store.apply({
        flagId: flag.id,
        environment: options.environment,
        settings: rolloutSettings(options.percent, {
          on: flag.onVariant,
          off: flag.offVariant,
        }),
        action: 'rollout',
        context: {
          actor: options.actor,
          now: this.#now(),
          deployment: options.deployment,
          reason: `Deployment ${options.deployment}: ${options.percent} % of users`,
        },
      });
      changed.push(key);
    }
    if (changed.length > 0) {
      this.#changed(options.entityRef, [options.environment]);
    }
    return { changed, missing, kept };
  }

  /** The pipeline turns a failed deployment's flags off in an environment. */
  async turnOffForDeployment(options: {
    entityRef: string;
    keys: string[];
    environment: string;
    deployment: string;
    reason: string;
  }): Promise<{ changed: string[] }> {
    const changed: string[] = [];
    const flags = await this.#byKey(options.entityRef);
    for (const key of options.keys) {
      const flag = flags.get(key);
      const current = flag?.settings[options.environment];
      if (!flag || !current || !isOn(flag, current)) continue;
      await this.turnOff(flag, [options.environment], {
        actor: 'delivery',
        now: this.#now(),
        deployment: options.deployment,
        reason: options.reason,
      });
      changed.push(key);
    }
    return { changed };
  }

  /** Whether each of the service's flags is on for anyone in an environment, by key. */
  async onIn(
    entityRef: string,
    environment: string,
  ): Promise<Map<string, boolean>> {
    const flags = await this.#byKey(entityRef);
    return new Map(
      [...flags].map(([key, flag]) => {
        const settings = flag.settings[environment];
        return [key, settings ? isOn(flag, settings) : false];
      }),
    );
  }

  /** The flags of a service that exist and are not archived, of those asked for. */
  async unknownFlags(entityRef: string, keys: string[]): Promise<string[]> {
    const flags = await this.#byKey(entityRef);
    return keys.filter(key => !flags.has(key));
  }

  /** A service's flags that are not archived, by key, in one read. */
  async #byKey(entityRef: string): Promise<Map<string, StoredFlag>> {
    const flags = await this.deps.store.list(entityRef);
    return new Map(flags.map(f => [f.key, f]));
  }

  /**
   * Creates the flags of `delivery.flags.initial` that do not exist yet (boolean, on for the
   * given share of users), recorded as made by `config`; existing flags are left alone.
   */
  async createInitial(initial: InitialFlag[]): Promise<string[]> {
    const created: string[] = [];
    for (const wanted of initial) {
      const entityRef = serviceRef(wanted.service);
      if (await this.deps.store.get(entityRef, wanted.key)) continue;
      const variants = { on: true, off: false };
      const problems = flagDefinitionProblems(
        {
          key: wanted.key,
          type: 'boolean',
          variants,
          defaultVariant: 'off',
          environments: Object.fromEntries(
            this.deps.environments.map(e => [
              e,
              offSettings({ offVariant: 'off' }),
            ]),
          ),
        },
        this.deps.environments,
      );
      if (problems.length > 0) throw new FlagValidationError(problems);
      try {
        await this.deps.store.create(
          {
            entityRef,
            key: wanted.key,
            ...(wanted.description ? { description: wanted.description } : {}),
            type: 'boolean',
            variants,
            offVariant: 'off',
            onVariant: 'on',
            ...(wanted.change ? { change: wanted.change } : {}),
          },
          Object.fromEntries(
            this.deps.environments.map(e => [
              e,
              rolloutSettings(wanted.rollout[e] ?? 0, { on: 'on', off: 'off' }),
            ]),
          ),
          {
            actor: 'config',
            now: this.#now(),
            reason: 'delivery.flags.initial',
          },
        );
        created.push(`${entityRef}#${wanted.key}`);
        this.#changed(entityRef, this.deps.environments);
      } catch (error) {
        // Another replica created it first.
        if (!(error instanceof ConflictError)) throw error;
      }
    }
    return created;
  }

  #settingsToApi(
    flag: StoredFlag,
    environment: string,
  ): FlagEnvironmentSettings {
    const s = flag.settings[environment];
    const percent = rolloutPercentOf(flag, s);
    return {
      environment,
      state: s.state,
      defaultVariant: s.defaultVariant,
      ...(s.targeting ? { targeting: s.targeting } : {}),
      ...(percent !== undefined ? { rolloutPercent: percent } : {}),
      on: isOn(flag, s),
      updatedAt: s.updatedAt.toISOString(),
      updatedBy: s.updatedBy,
    };
  }

  #toApi(flag: StoredFlag): ServiceFlag {
    return {
      key: flag.key,
      ...(flag.description ? { description: flag.description } : {}),
      type: flag.type,
      variants: flag.variants,
      offVariant: flag.offVariant,
      onVariant: flag.onVariant,
      ...(flag.change ? { change: flag.change } : {}),
      createdAt: flag.createdAt.toISOString(),
      createdBy: flag.createdBy,
      ...(flag.archivedAt ? { archivedAt: flag.archivedAt.toISOString() } : {}),
      ...(flag.archivedBy ? { archivedBy: flag.archivedBy } : {}),
      environments: this.deps.environments
        .filter(e => flag.settings[e])
        .map(e => this.#settingsToApi(flag, e)),
    };
  }

  #changeToApi(change: FlagChangeRecord): FlagChange {
    const view = (s: FlagSettings): FlagEnvironmentSettings => {
      const percent = rolloutPercentOf(change, s);
      return {
        environment: change.environment,
        state: s.state,
        defaultVariant: s.defaultVariant,
        ...(s.targeting ? { targeting: s.targeting } : {}),
        ...(percent !== undefined ? { rolloutPercent: percent } : {}),
        on: isOn(change, s),
        updatedAt: change.requestedAt.toISOString(),
        updatedBy: change.requestedBy,
      };
    };
    return {
      id: change.id,
      entityRef: change.entityRef,
      flagKey: change.flagKey,
      environment: change.environment,
      action: change.action,
      summary: change.summary,
      requestedBy: change.requestedBy,
      requestedAt: change.requestedAt.toISOString(),
      ...(change.reason ? { reason: change.reason } : {}),
      status: change.status,
      ...(change.decidedBy ? { decidedBy: change.decidedBy } : {}),
      ...(change.decidedAt
        ? { decidedAt: change.decidedAt.toISOString() }
        : {}),
      ...(change.decisionReason
        ? { decisionReason: change.decisionReason }
        : {}),
      before: view(change.before),
      after: view(change.after),
    };
  }
}
