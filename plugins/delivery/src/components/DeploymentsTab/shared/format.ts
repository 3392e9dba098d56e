/** A short relative age such as `5m`, `3h`, `2d` (from `now`, default the current time). */
export function formatAge(iso: string, now: number = Date.now()): string {
  const ms = now - Date.parse(iso);
  if (Number.isNaN(ms)) return '—';
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes}m ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ago`;
  return `${Math.floor(hours / 24)}d ago`;
}

/** A user or actor entity ref for display: `user:default/jane` → `jane`. */
export function formatUser(ref: string): string {
  const match = /^(?:([^:]+):)?(?:([^/]+)\/)?(.+)$/.exec(ref);
  if (!match) return ref;
  const [, kind, namespace, name] = match;
  if ((kind ?? 'user') !== 'user') return ref;
  return namespace && namespace !== 'default' ? `${namespace}/${name}` : name;
}

/** A duration such as `45s`, `4m 05s`, `1h 03m`. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${pad(seconds % 60)}s`;
  return `${Math.floor(minutes / 60)}h ${pad(minutes % 60)}m`;
}

/** Time left as `m:ss` (or `h:mm:ss`), never negative. */
export function formatCountdown(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

/** A timestamp in the user's locale, `—` without one. */
export function formatTime(iso?: string): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '—' : date.toLocaleString();
}

/** The first 7 characters of a commit sha. */
export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
