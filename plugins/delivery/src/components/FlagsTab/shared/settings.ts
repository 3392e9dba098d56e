import {
  FlagChange,
  FlagEnvironmentSettings,
  FlagsResponse,
  ServiceFlag,
} from '@internal/plugin-delivery-common';
import { FlagPermissions } from '../../../hooks/useFlagPermissions';

/** How a flag stands in one environment, in a word or two. */
export type FlagStateKind =
  | 'off'
  | 'on'
  | 'percentage'
  | 'targeting'
  | 'unserved';

/**
 * What a flag serves in one environment: off (its off variant for everyone), on (one other
 * variant for everyone), a percentage rollout, a targeting rule, or not served at all (flagd's
 * DISABLED: applications use their code default).
 */
export function describeSettings(
  settings: Pick<
    FlagEnvironmentSettings,
    'state' | 'defaultVariant' | 'on' | 'rolloutPercent' | 'targeting'
  >,
  flag?: Pick<ServiceFlag, 'onVariant'>,
): { kind: FlagStateKind; label: string } {
  if (settings.state === 'DISABLED') {
    return { kind: 'unserved', label: 'not served' };
  }
  if (!settings.on) return { kind: 'off', label: 'off' };
  const percent = settings.rolloutPercent;
  if (percent !== undefined && percent < 100) {
    return { kind: 'percentage', label: `${percent} %` };
  }
  if (percent === 100) return { kind: 'on', label: 'on' };
  if (settings.targeting && Object.keys(settings.targeting).length > 0) {
    return { kind: 'targeting', label: 'targeting' };
  }
  return {
    kind: 'on',
    label:
      flag && settings.defaultVariant !== flag.onVariant
        ? `on (${settings.defaultVariant})`
        : 'on',
  };
}

/**
 * A recorded before/after (history, pending changes) in a few words; the backend keeps these
 * as loose objects, so anything unexpected is shown as compact JSON.
 */
export function summarizeRecorded(value?: { [key: string]: unknown }): string {
  if (!value || Object.keys(value).length === 0) return '—';
  const { state, defaultVariant, on, rolloutPercent, targeting } = value;
  if (
    (state === 'ENABLED' || state === 'DISABLED') &&
    typeof defaultVariant === 'string' &&
    typeof on === 'boolean'
  ) {
    return describeSettings({
      state,
      defaultVariant,
      on,
      rolloutPercent:
        typeof rolloutPercent === 'number' ? rolloutPercent : undefined,
      targeting:
        typeof targeting === 'object' && targeting !== null
          ? (targeting as { [key: string]: unknown })
          : undefined,
    }).label;
  }
  if (typeof on === 'boolean') return on ? 'on' : 'off';
  return JSON.stringify(value);
}

/** The pending changes of a flag in an environment. */
export function pendingFor(
  flags: FlagsResponse | undefined,
  key: string,
  environment: string,
): FlagChange[] {
  return (flags?.pending ?? []).filter(
    c =>
      c.flagKey === key &&
      c.environment === environment &&
      c.status === 'pending',
  );
}

/** The environments where a flag is on. */
export function environmentsOn(flag: ServiceFlag): string[] {
  return flag.environments.filter(e => e.on).map(e => e.environment);
}

/** Why the user may not change a flag (toggle, rollout, targeting) now; undefined when they may. */
export function changeBlocker(
  flag: ServiceFlag,
  permissions: FlagPermissions,
): string | undefined {
  if (permissions.loading) return 'Checking your permissions…';
  if (flag.archivedAt) {
    return 'Archived: the flag is served nowhere and cannot change.';
  }
  if (!permissions.update) {
    return "You do not have permission to change this service's flags (its owners do).";
  }
  return undefined;
}

/** Why the user may not use the kill switch on a flag; undefined when they may. */
export function killBlocker(
  flag: ServiceFlag,
  permissions: FlagPermissions,
): string | undefined {
  if (permissions.loading) return 'Checking your permissions…';
  if (flag.archivedAt) return 'Archived: the flag is already served nowhere.';
  if (!permissions.kill) {
    return 'Only the service’s owners and the on-call group may use the kill switch.';
  }
  return undefined;
}

/** Why the user may not archive a flag; undefined when they may. */
export function archiveBlocker(
  flag: ServiceFlag,
  permissions: FlagPermissions,
): string | undefined {
  if (permissions.loading) return 'Checking your permissions…';
  if (flag.archivedAt) return 'Already archived.';
  if (!permissions.archive) {
    return "You do not have permission to archive this service's flags (its owners do).";
  }
  const on = environmentsOn(flag);
  if (on.length > 0) {
    return `On in ${on.join(
      ', ',
    )}: turn it off everywhere first, or applications still reading it fall back to their code default.`;
  }
  return undefined;
}

/** Whether a user ref is the given one (refs are case-insensitive). */
export function sameUser(a?: string, b?: string): boolean {
  return (
    a !== undefined &&
    b !== undefined &&
    a.toLocaleLowerCase('en-US') === b.toLocaleLowerCase('en-US')
  );
}

/** What the approval rule means in an environment, for captions and tooltips. */
export function approvalNote(environment: string): string {
  return `In ${environment} a change that turns anything on waits for a second person’s approval; turning off applies at once.`;
}
