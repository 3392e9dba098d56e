/*
 * Ephemeral environments' pure rules: which branches get one, the namespace name a service and
 * branch get (a DNS-1123 label, collision-free by a hash suffix), the label-safe forms of a
 * branch, an owner and an expiry time, and the lifetime arithmetic (TTL, extension, maximum).
 * Shared by the backend (which names and labels namespaces) and the tab (which explains why an
 * extension is refused before it is asked for).
 */

/** Branches whose pushes create an ephemeral environment (PROCESS.md step 4). */
export const EPHEMERAL_BRANCH_PREFIX = 'deploy/';

/** Labels and annotations the portal puts on an ephemeral namespace. */
export const EPHEMERAL_LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const EPHEMERAL_MANAGED_BY = 'backstage-delivery';
/** `"true"` on every ephemeral namespace: what the sweep lists. */
export const EPHEMERAL_LABEL = 'delivery.backstage.io/ephemeral';
/** The catalog entity's name (label-safe). */
export const EPHEMERAL_LABEL_SERVICE = 'delivery.backstage.io/service';
/** The creator's user name (label-safe). */
export const EPHEMERAL_LABEL_OWNER = 'delivery.backstage.io/owner';
/** The branch, label-safe (`deploy/Try this` → `deploy_Try_this`); the annotation has it whole. */
export const EPHEMERAL_LABEL_BRANCH = 'delivery.backstage.io/branch';
/**
 * The process's `expiration` label. A label value cannot hold `:`, so it carries the UTC time
 * as `2024-01-15T15-30-00Z`; {@link EPHEMERAL_ANNOTATION_EXPIRATION} carries the ISO time.
 */
export const EPHEMERAL_LABEL_EXPIRATION = 'expiration';
/** The expiry as an ISO time, `2024-01-15T15:30:00Z`. */
export const EPHEMERAL_ANNOTATION_EXPIRATION =
  'delivery.backstage.io/expiration';
/** The branch as pushed. */
export const EPHEMERAL_ANNOTATION_BRANCH = 'delivery.backstage.io/branch';
/** The catalog entity ref of the service. */
export const EPHEMERAL_ANNOTATION_ENTITY = 'delivery.backstage.io/entity-ref';
/** The creator's user entity ref. */
export const EPHEMERAL_ANNOTATION_CREATED_BY =
  'delivery.backstage.io/created-by';
/** `"true"` when an admin made the environment persistent: the sweep leaves it. */
export const EPHEMERAL_LABEL_PERSISTENT = 'delivery.backstage.io/persistent';

/** The longest DNS-1123 label (a namespace name) and label value. */
const MAX_LABEL = 63;
/** Hex characters of the hash suffix: 40 bits. */
const HASH_CHARS = 10;

/** Whether a branch name (without `refs/heads/`) gets an ephemeral environment. */
export function isEphemeralBranch(branch: string): boolean {
  return (
    branch.startsWith(EPHEMERAL_BRANCH_PREFIX) &&
    branch.length > EPHEMERAL_BRANCH_PREFIX.length
  );
}

/**
 * Why a branch name cannot be a Git branch at all (git check-ref-format's rules, the ones a
 * user can break by typing), or undefined when it can.
 */
export function branchNameProblem(branch: string): string | undefined {
  if (branch.length === 0) return 'the branch name is empty';
  if (branch.length > 255)
    return 'the branch name is longer than 255 characters';
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(branch)) {
    return 'a branch name cannot hold spaces, control characters or any of ~ ^ : ? * [ \\';
  }
  if (
    branch.startsWith('/') ||
    branch.endsWith('/') ||
    branch.includes('//') ||
    branch.includes('..') ||
    branch.includes('@{') ||
    branch.endsWith('.') ||
    branch === '@' ||
    branch.split('/').some(p => p.startsWith('.') || p.endsWith('.lock'))
  ) {
    return 'the branch name breaks git check-ref-format (a leading, trailing or double slash, "..", "@{", a part starting with "." or ending with ".lock")';
  }
  return undefined;
}

/**
 * FNV-1a, 64 bits, of a string's UTF-16 code units: a stable hash that runs in the browser and
 * in Node alike (not for secrets; names only).
 */
export function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n;
  for (let i = 0; i < text.length; i++) {
    hash ^= BigInt(text.charCodeAt(i));
    hash = (hash * prime) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0');
}

/** Lower case, runs of anything but `[a-z0-9]` made one `-`, no `-` at either end. */
function dnsSlug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * The namespace of a service's environment for a branch: `<service>-<branch>-<hash>`, a DNS-1123
 * label of at most 63 characters, whatever the branch holds. The hash (40 bits of FNV-1a over
 * the entity ref and the exact branch) keeps `deploy/Foo` and `deploy/foo`, or two long
 * branches that share their first 50 characters, apart; the store refuses a name already used by
 * a live environment of another branch, so even a hash collision cannot make two share one.
 */
export function ephemeralNamespaceName(
  entityRef: string,
  branch: string,
): string {
  const name = entityRef.slice(entityRef.lastIndexOf('/') + 1);
  const description = branch.startsWith(EPHEMERAL_BRANCH_PREFIX)
    ? branch.slice(EPHEMERAL_BRANCH_PREFIX.length)
    : branch;
  const hash = fnv1a64(`${entityRef.toLowerCase()}\n${branch}`).slice(
    0,
    HASH_CHARS,
  );
  const room = MAX_LABEL - HASH_CHARS - 1;
  const service = dnsSlug(name).slice(0, 24).replace(/-+$/, '');
  const slug = dnsSlug(
    [service, dnsSlug(description)].filter(Boolean).join('-'),
  )
    .slice(0, room)
    .replace(/-+$/, '');
  return slug ? `${slug}-${hash}` : `env-${hash}`;
}

/**
 * A label-safe form of any text (a Kubernetes label value: at most 63 characters of
 * `[A-Za-z0-9._-]`, starting and ending with a letter or digit; empty is allowed): other
 * characters become `_`, and the ends are trimmed. The full text goes in an annotation.
 */
export function labelSafe(text: string): string {
  return text
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, MAX_LABEL)
    .replace(/[^A-Za-z0-9]+$/, '');
}

/** An expiry time as a label value: the UTC ISO time without `:` and milliseconds. */
export function expirationLabel(at: Date): string {
  return `${at.toISOString().slice(0, 19).replace(/:/g, '-')}Z`;
}

/** An expiry time as the annotation holds it: ISO, UTC, whole seconds. */
export function expirationAnnotation(at: Date): string {
  return `${at.toISOString().slice(0, 19)}Z`;
}

/** Reads {@link expirationLabel} back (undefined when it is not one). */
export function parseExpirationLabel(value: string): Date | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const at = new Date(`${m[1]}T${m[2]}:${m[3]}:${m[4]}Z`);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

/** An ephemeral environment's lifetime settings (`delivery.ephemeral`). */
export interface EphemeralLifetime {
  /** Lifetime at creation when none is chosen (the process's 3 h). */
  ttlMs: number;
  /** The longest an environment may live from its creation, extensions included. */
  maxLifetimeMs: number;
}

/** The process's lifetime: 3 h by default, at most a day in all. */
export const DEFAULT_EPHEMERAL_LIFETIME: EphemeralLifetime = {
  ttlMs: 3 * 3_600_000,
  maxLifetimeMs: 24 * 3_600_000,
};

/**
 * When an environment created at `createdAt` expires if it should live `ttlMs` (the default
 * when not given), or why it may not: a lifetime must be positive and end within the maximum.
 */
export function initialExpiry(
  createdAt: Date,
  lifetime: EphemeralLifetime,
  ttlMs: number = lifetime.ttlMs,
): { expiresAt: Date } | { problem: string } {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
    return { problem: 'the lifetime must be a positive number of minutes' };
  }
  if (ttlMs > lifetime.maxLifetimeMs) {
    return {
      problem: `the lifetime may be at most ${formatLifetime(
        lifetime.maxLifetimeMs,
      )}`,
    };
  }
  return { expiresAt: new Date(createdAt.getTime() + ttlMs) };
}

/**
 * The new expiry of an environment extended by `byMs` at `now` (counted from its current expiry,
 * or from now when it already passed), or why it may not be: it must stay within the maximum
 * lifetime from its creation.
 */
export function extendedExpiry(
  env: { createdAt: Date; expiresAt: Date },
  byMs: number,
  now: Date,
  lifetime: EphemeralLifetime,
): { expiresAt: Date } | { problem: string } {
  if (!Number.isFinite(byMs) || byMs <= 0) {
    return { problem: 'an extension must be a positive number of minutes' };
  }
  const from = Math.max(env.expiresAt.getTime(), now.getTime());
  const latest = env.createdAt.getTime() + lifetime.maxLifetimeMs;
  if (from + byMs > latest) {
    const room = latest - from;
    return {
      problem:
        room >= 60_000
          ? `an environment lives at most ${formatLifetime(
              lifetime.maxLifetimeMs,
            )} from its creation: this one can be extended by ${formatLifetime(
              room,
            )} at most`
          : `an environment lives at most ${formatLifetime(
              lifetime.maxLifetimeMs,
            )} from its creation: this one cannot be extended any more`,
    };
  }
  return { expiresAt: new Date(from + byMs) };
}

/** `3 h`, `1 h 30 min`, `45 min` (whole minutes, rounded down). */
export function formatLifetime(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  if (h === 0) return `${m} min`;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

/** Whether an environment is due for the sweep at `now`. */
export function isExpired(
  env: { expiresAt: Date; persistent: boolean },
  now: Date,
): boolean {
  return !env.persistent && env.expiresAt.getTime() <= now.getTime();
}

/** How a flag an environment started with reads: `off`, `on`, `off, targeted`, `disabled`. */
export function ephemeralFlagSummary(flag: {
  state: string;
  defaultVariant?: string;
  targeted?: boolean;
}): string {
  if (flag.state === 'DISABLED') return 'disabled';
  const value = flag.defaultVariant ?? 'enabled';
  return flag.targeted ? `${value}, targeted` : value;
}
