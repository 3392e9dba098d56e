/** How impacted the affected system is; PagerDuty derives the incident's urgency from it. */
export type PagerDutySeverity = 'critical' | 'error' | 'warning' | 'info';

/** A link shown on the alert and its incident, e.g. to the run in the portal. */
export interface PagerDutyLink {
  href: string;
  text?: string;
}

/** What {@link PagerDutyProvider.trigger} sends: PagerDuty's common event format. */
export interface PagerDutyAlert {
  /**
   * Identifies the alert: a stable key the caller derives from what it alerts about, e.g.
   * `<service>:<environment>:<incident id>`, at most 255 characters. A repeated trigger with the
   * same key while the alert is open is added to it (no second incident, no second page), so a
   * trigger is safe to repeat after a crash or a timeout; after a resolve the same key opens a
   * new incident.
   */
  dedupKey: string;
  /** The alert's title. Longer than PagerDuty's 1024 characters, it is shortened. */
  summary: string;
  /** The affected system, e.g. `payments-api (production)`. */
  source: string;
  severity: PagerDutySeverity;
  /** The part of the system that is broken, e.g. the workload. */
  component?: string;
  /** A grouping of sources, e.g. the environment. */
  group?: string;
  /** The kind of problem, e.g. `rollback failed`. */
  class?: string;
  /** Free-form details (figures, reasons), shown on the alert. */
  customDetails?: Record<string, unknown>;
  links?: PagerDutyLink[];
}

/**
 * Pages people through PagerDuty: opens, acknowledges and resolves alerts by dedup key. Each
 * call is bounded by a request timeout; failures are `UpstreamError`s naming PagerDuty.
 * PagerDuty asks clients to retry after a 429, a 5xx or a network error: every call here is
 * idempotent by dedup key, so the caller may simply repeat it.
 */
export interface PagerDutyProvider {
  /** Opens an alert, or adds to the open one with the same dedup key. */
  trigger(alert: PagerDutyAlert): Promise<{ dedupKey: string }>;
  /** Acknowledges the open alert with this dedup key (PagerDuty drops it when there is none). */
  acknowledge(dedupKey: string): Promise<void>;
  /** Resolves the open alert with this dedup key (PagerDuty drops it when there is none). */
  resolve(dedupKey: string): Promise<void>;
}
