import {
  HealthResponse,
  Rollback,
  RollbackDecision,
  RollbackLevel,
  stableRollbackEnvironments,
} from '@internal/plugin-delivery-common';
import { shortSha } from '../../DeploymentsTab/shared';

/** The levels a person may start, in the order the process escalates through them. */
export const ROLLBACK_LEVELS: RollbackLevel[] = [1, 2, 3, 5, 6];

/** What each level is called on its button and in the lists. */
export const LEVEL_TITLE: Record<RollbackLevel, string> = {
  1: 'Turn flags off',
  2: 'Roll back to stable',
  3: 'Reroute, then restore',
  5: 'Restore the backup',
  6: 'Escalate',
};

/** `Level 2 · Roll back to stable`. */
export function levelLabel(level: RollbackLevel | 0 | 'hold'): string {
  if (level === 0) return 'Level 0 · Nothing to do';
  if (level === 'hold') return 'Hold · Ask a person';
  return `Level ${level} · ${LEVEL_TITLE[level]}`;
}

/** What the engine recommends, in words. */
export function recommendationText(decision: RollbackDecision): string {
  switch (decision.action) {
    case 'none':
      return 'Nothing to do: health is within the thresholds.';
    case 'flag-off':
      return `Turn off ${flagList(decision.flags ?? [])} (level 1).`;
    case 'stable-rollback':
      return 'Roll back to the stable version, canary first (level 2).';
    case 'reroute':
      return 'Reroute traffic away from the failing pods, then restore the backup (level 3, then 5).';
    case 'ask': {
      const then =
        decision.then === 'flag-off'
          ? 'turning the flags off (level 1)'
          : 'a rollback to the stable version (level 2)';
      return `Hold: a person should judge; if it is the change, ${then}.`;
    }
    case 'escalate':
      return 'Escalate to on-call (level 6).';
    default:
      return String(decision.action);
  }
}

/**
 * The level a person is pointed to: the recommended one, or for a held decision the one it
 * would lead to. Undefined when nothing is to be done.
 */
export function recommendedLevel(
  decision: RollbackDecision | undefined,
): RollbackLevel | undefined {
  if (!decision) return undefined;
  if (decision.level === 'hold') {
    if (decision.then === 'flag-off') return 1;
    if (decision.then === 'stable-rollback') return 2;
    return undefined;
  }
  if (decision.level === 0) return undefined;
  return decision.level as RollbackLevel;
}

/** The flags a level-1 rollback turns off in an environment: the change's flags that are on. */
export function flagsOn(health: HealthResponse | undefined): string[] {
  return (health?.flags ?? []).filter(f => f.on).map(f => f.key);
}

/** What the tab knows about an environment when it decides about a level. */
export interface LevelSituation {
  environment: string;
  /** The environments in pipeline order. */
  pipeline: string[];
  /** Health by environment (absent where it could not be read). */
  health: Record<string, HealthResponse | undefined>;
  /** The stable version per environment from the environments read, as a fallback. */
  stable: Record<string, string | undefined>;
  /** The running version per environment from the environments read, as a fallback. */
  running: Record<string, string | undefined>;
  permissions: { start: boolean; loading: boolean };
  /** The rollback running now, if any. */
  runningRollback?: Rollback;
}

/** The version an environment runs, from its health or else the environments read. */
export function versionIn(
  situation: LevelSituation,
  environment: string,
): string | undefined {
  return (
    situation.health[environment]?.version ?? situation.running[environment]
  );
}

/** The version marked stable in an environment, from its health or the environments read. */
export function stableVersionIn(
  situation: LevelSituation,
  environment: string,
): string | undefined {
  return (
    situation.health[environment]?.stableVersion ??
    situation.stable[environment]
  );
}

/** Why a level cannot be started in the environment now; undefined when it can. */
export function levelBlocker(
  level: RollbackLevel,
  situation: LevelSituation,
): string | undefined {
  const { environment, permissions, runningRollback } = situation;
  if (permissions.loading) return 'Checking your permissions…';
  if (!permissions.start) {
    return 'Only the service’s owners and the on-call group may roll it back.';
  }
  if (runningRollback) {
    return `Rollback ${runningRollback.id} (level ${runningRollback.level} in ${runningRollback.environment}) is running; wait until it finishes.`;
  }
  if (level === 1) {
    const health = situation.health[environment];
    if (!health) {
      return `The change’s flags in ${environment} are unknown while its health cannot be read.`;
    }
    if (flagsOn(health).length === 0) {
      return `No flag of the newest change is on in ${environment}.`;
    }
  }
  if (level === 2) {
    // Every environment of the chain returns to the failing one's target.
    if (!stableVersionIn(situation, environment)) {
      return `No stable version is recorded in ${environment} to return to.`;
    }
    const version = versionIn(situation, environment);
    if (version && version === stableVersionIn(situation, environment)) {
      return `${environment} already runs its stable version (${shortSha(
        version,
      )}).`;
    }
  }
  if (level === 3 || level === 5) {
    const health = situation.health[environment];
    if (!health) {
      return `Whether ${environment} has a pre-deployment backup is unknown while its health cannot be read.`;
    }
    if (!health.backupVersion) {
      return `No pre-deployment backup of ${environment} is recorded: no deployment through the portal changed it lately.`;
    }
  }
  return undefined;
}

/** What starting the level will do, sentence by sentence, for the confirmation. */
export function levelConsequences(
  level: RollbackLevel,
  situation: LevelSituation,
): string[] {
  const { environment } = situation;
  const health = situation.health[environment];
  const version = (env: string) => {
    const v = versionIn(situation, env);
    return v ? shortSha(v) : 'an unknown version';
  };
  const where = health?.cluster
    ? `${environment} (cluster ${health.cluster}${
        health.namespace ? `, namespace ${health.namespace}` : ''
      })`
    : environment;
  const common =
    'The service’s deployment queue is locked and an incident is opened.';
  const backup = health?.backupVersion
    ? ` ${shortSha(health.backupVersion)}`
    : '';
  switch (level) {
    case 1:
      return [
        `Turns off ${flagList(flagsOn(health))} in ${where}, within seconds.`,
        `The version stays as it is (${version(environment)}).`,
        common,
      ];
    case 2:
      return [
        ...stableRollbackEnvironments(environment, situation.pipeline).map(
          (env, i) => {
            const stable = stableVersionIn(situation, environment);
            return `${i === 0 ? 'First' : 'Then'} returns ${env} from ${version(
              env,
            )} to the stable version ${stable ? shortSha(stable) : '—'}.`;
          },
        ),
        common,
      ];
    case 3:
      return [
        `Reroutes user traffic away from the failing pods in ${where}.`,
        `Then restores ${environment} to its pre-deployment backup${backup} (image, environment variables, replicas), replacing ${version(
          environment,
        )}.`,
        common,
      ];
    case 5:
      return [
        `Restores ${where} to its pre-deployment backup${backup} (image, environment variables, replicas), replacing ${version(
          environment,
        )}.`,
        common,
      ];
    case 6:
      return [
        'Pages on-call through PagerDuty and tells the on-call group.',
        `Nothing in ${environment} is changed.`,
        common,
      ];
    default:
      return [];
  }
}

function flagList(flags: string[]): string {
  if (flags.length === 0) return 'the newest change’s flags';
  const names = flags.map(f => `“${f}”`);
  const list =
    names.length === 1
      ? names[0]
      : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  return `the flag${flags.length === 1 ? '' : 's'} ${list}`;
}
