import { FlagPreviewResult } from '@internal/plugin-delivery-common';

/** How many sample users the distribution preview evaluates (the preview route's maximum). */
export const SAMPLE_USERS = 1_000;

/** Targeting keys of the sample users: stable, so the same users are drawn every time. */
export function sampleKeys(count = SAMPLE_USERS): string[] {
  return Array.from(
    { length: count },
    (_, i) => `sample-user-${String(i + 1).padStart(4, '0')}`,
  );
}

/** One variant's share of the sample. */
export interface Share {
  variant: string;
  count: number;
  /** Of the whole sample, 0–100. */
  percent: number;
}

/**
 * The variants the sample got, most frequent first; a result without a variant (flag not
 * served, an error) counts under its reason.
 */
export function distribution(results: FlagPreviewResult[]): Share[] {
  const counts = new Map<string, number>();
  for (const r of results) {
    const variant = r.variant ?? `(${r.reason.toLocaleLowerCase('en-US')})`;
    counts.set(variant, (counts.get(variant) ?? 0) + 1);
  }
  const total = results.length || 1;
  return [...counts.entries()]
    .map(([variant, count]) => ({
      variant,
      count,
      percent: (count / total) * 100,
    }))
    .sort((a, b) => b.count - a.count || a.variant.localeCompare(b.variant));
}
