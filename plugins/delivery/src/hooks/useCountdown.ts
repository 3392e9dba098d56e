import { useState } from 'react';
import useInterval from 'react-use/esm/useInterval';

/** Milliseconds left until `until`, ticking every second; undefined without a time. */
export function useCountdown(until?: string): number | undefined {
  const [now, setNow] = useState(() => Date.now());
  useInterval(() => setNow(Date.now()), until ? 1_000 : null);
  if (!until) return undefined;
  const target = Date.parse(until);
  return Number.isNaN(target) ? undefined : target - now;
}
