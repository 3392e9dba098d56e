/*
 * The Environments tab's rules: what each button may do and, when it may not, why, in words a
 * developer in a hurry understands. Pure, so they are tested without rendering.
 */
import {
  branchNameProblem,
  DeploymentStage,
  EPHEMERAL_BRANCH_PREFIX,
  EphemeralEnvironment,
  EphemeralLifetime,
  EphemeralSettings,
  extendedExpiry,
  formatLifetime,
} from '@internal/plugin-delivery-common';
import { EphemeralPermissions } from '../../../hooks/useEphemeralPermissions';
import { formatUser } from '../../DeploymentsTab/shared';

/** Why nothing can be created here when the backend has them turned off. */
export const NOT_ENABLED =
  'Ephemeral environments are turned off here: no cluster is configured for them, or delivery.ephemeral.enabled is false';

const CHECKING = 'Checking your permissions…';

/** The settings' lifetimes in milliseconds, as delivery-common's arithmetic takes them. */
export function lifetimeOf(settings: EphemeralSettings): EphemeralLifetime {
  return {
    ttlMs: settings.ttlMinutes * 60_000,
    maxLifetimeMs: settings.maxLifetimeMinutes * 60_000,
  };
}

/** `3 h`, `45 min`: a number of minutes for people. */
export function formatMinutes(minutes: number): string {
  return formatLifetime(minutes * 60_000);
}

/** Whether an environment is gone (listed below the live ones). */
export function isDeleted(env: Pick<EphemeralEnvironment, 'status'>): boolean {
  return env.status === 'deleted';
}

/**
 * Why a branch cannot get an environment, with the API's rules (a branch starting with the
 * prefix and naming something after it, at most 255 characters) and Git's, or undefined.
 */
export function branchProblem(
  branch: string,
  prefix: string = EPHEMERAL_BRANCH_PREFIX,
): string | undefined {
  if (!branch.startsWith(prefix)) {
    return `The branch must start with ${prefix} (e.g. ${prefix}try-new-checkout).`;
  }
  if (branch.length === prefix.length) {
    return `Name the branch after ${prefix}, e.g. ${prefix}try-new-checkout.`;
  }
  const problem = branchNameProblem(branch);
  return problem
    ? `${problem.charAt(0).toUpperCase()}${problem.slice(1)}.`
    : undefined;
}

/** Round lifetimes offered between the default and the maximum, in minutes. */
const LIFETIME_STEPS = [
  60, 120, 180, 240, 360, 480, 720, 1440, 2880, 4320, 10080,
];

/**
 * The lifetimes a new environment may be given, in minutes: the default first, round steps
 * above it, and the maximum.
 */
export function lifetimeChoices(settings: EphemeralSettings): number[] {
  const { ttlMinutes: ttl, maxLifetimeMinutes: max } = settings;
  const steps = LIFETIME_STEPS.filter(m => m > ttl && m < max);
  return [...new Set([ttl, ...steps, max])].filter(m => m > 0 && m <= max);
}

/** An extension the Extend menu offers, with the new expiry or why it is impossible. */
export interface ExtensionChoice {
  minutes: number;
  label: string;
  expiresAt?: Date;
  problem?: string;
}

/** The settings' extensions for an environment at `now`, each checked by `extendedExpiry`. */
export function extensionChoices(
  env: Pick<EphemeralEnvironment, 'createdAt' | 'expiresAt'>,
  settings: EphemeralSettings,
  now: Date,
): ExtensionChoice[] {
  const lifetime = lifetimeOf(settings);
  const times = {
    createdAt: new Date(env.createdAt),
    expiresAt: new Date(env.expiresAt),
  };
  return [...settings.extensionMinutes]
    .sort((a, b) => a - b)
    .map(minutes => {
      const result = extendedExpiry(times, minutes * 60_000, now, lifetime);
      const label = `+${formatMinutes(minutes)}`;
      if ('problem' in result) {
        return {
          minutes,
          label,
          problem: `${result.problem
            .charAt(0)
            .toUpperCase()}${result.problem.slice(1)}.`,
        };
      }
      return { minutes, label, expiresAt: result.expiresAt };
    });
}

/** Why the user cannot create an environment here, or undefined. */
export function createBlocker(
  settings: EphemeralSettings | undefined,
  permissions: EphemeralPermissions,
): string | undefined {
  if (!settings) return 'Reading the settings…';
  if (!settings.enabled) return NOT_ENABLED;
  if (permissions.loading) return CHECKING;
  if (!permissions.create) {
    return 'You need delivery.environment.create on this service (its owners have it).';
  }
  return undefined;
}

function isCreator(env: EphemeralEnvironment, user?: string): boolean {
  return (
    user !== undefined &&
    env.createdBy.toLocaleLowerCase('en-US') === user.toLocaleLowerCase('en-US')
  );
}

/** Why an environment is past changing: deleted, or being deleted. */
function goneBlocker(env: EphemeralEnvironment): string | undefined {
  if (env.status === 'deleted') return 'It was deleted.';
  if (env.status === 'deleting') return 'It is being deleted.';
  return undefined;
}

/**
 * Why the user cannot extend an environment, or undefined: its creator or anyone with
 * `delivery.environment.create` may, while it lives and is not persistent.
 */
export function extendBlocker(
  env: EphemeralEnvironment,
  permissions: EphemeralPermissions,
  user: string | undefined,
): string | undefined {
  const gone = goneBlocker(env);
  if (gone) return gone;
  if (env.persistent) return 'It is persistent: it does not expire.';
  if (isCreator(env, user)) return undefined;
  if (permissions.loading || user === undefined) return CHECKING;
  if (!permissions.create) {
    return `Only its creator (${formatUser(
      env.createdBy,
    )}) or someone with delivery.environment.create on this service may extend it.`;
  }
  return undefined;
}

/**
 * Why the user cannot delete an environment, or undefined: its creator or anyone with
 * `delivery.environment.delete` may; a persistent one only when they are an admin too.
 */
export function deleteBlocker(
  env: EphemeralEnvironment,
  permissions: EphemeralPermissions,
  user: string | undefined,
): string | undefined {
  const gone = goneBlocker(env);
  if (gone) return gone;
  if (permissions.loading || user === undefined) return CHECKING;
  if (env.persistent && !permissions.admin) {
    return 'It is persistent: only an admin (delivery.environment.admin) may delete it. Ask one to make it ephemeral again.';
  }
  if (isCreator(env, user) || permissions.delete) return undefined;
  return `Only its creator (${formatUser(
    env.createdBy,
  )}) or someone with delivery.environment.delete on this service may delete it.`;
}

/** Why an admin cannot change an environment's persistence, or undefined. */
export function persistenceBlocker(
  env: EphemeralEnvironment,
  permissions: EphemeralPermissions,
): string | undefined {
  const gone = goneBlocker(env);
  if (gone) return gone;
  if (!permissions.admin) {
    return 'Admins only (delivery.environment.admin).';
  }
  return undefined;
}

/** How urgent an expiry is: under 15 minutes an error, under an hour a warning. */
export type ExpiryTone = 'ok' | 'warning' | 'error';

export function expiryTone(msLeft: number): ExpiryTone {
  if (msLeft < 15 * 60_000) return 'error';
  if (msLeft < 60 * 60_000) return 'warning';
  return 'ok';
}

/**
 * The stage an environment's creation or update is at: the running or waiting one, else the
 * first not started, else the last one (a failed one when it failed).
 */
export function currentStage(
  stages: DeploymentStage[],
): { stage: DeploymentStage; index: number } | undefined {
  const sorted = [...stages].sort((a, b) => a.position - b.position);
  const at = (predicate: (s: DeploymentStage) => boolean) => {
    const index = sorted.findIndex(predicate);
    return index >= 0 ? { stage: sorted[index], index } : undefined;
  };
  return (
    at(s => s.status === 'running' || s.status === 'waiting') ??
    at(s => s.status === 'failed') ??
    at(s => s.status === 'pending') ??
    (sorted.length > 0
      ? { stage: sorted[sorted.length - 1], index: sorted.length - 1 }
      : undefined)
  );
}

/** How far the stages are: finished (succeeded or skipped) of all, from 0 to 100. */
export function stagesProgress(stages: DeploymentStage[]): number {
  if (stages.length === 0) return 0;
  const done = stages.filter(
    s => s.status === 'succeeded' || s.status === 'skipped',
  ).length;
  return Math.round((done / stages.length) * 100);
}

/** The kubectl command that lists what runs in an environment's namespace. */
export function kubectlHint(env: Pick<EphemeralEnvironment, 'namespace'>) {
  return `kubectl -n ${env.namespace} get all`;
}
