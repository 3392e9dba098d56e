/*
 * The in-memory model behind the sandbox PagerDuty: the incidents its alert events opened, keyed
 * by routing key and dedup key as PagerDuty de-duplicates them, and every event it received
 * (accepted or not), for tests and people to inspect.
 */
import { randomUUID } from 'node:crypto';
import {
  PagerDutyAlertEvent,
  PagerDutyImage,
  PagerDutyLink,
  PagerDutyPayload,
  parseAlertEvent,
  parseChangeEvent,
} from './events';

/**
 * The routing key (integration key) the sandbox accepts unless told others: 32 alphanumeric
 * characters, like a real Events API v2 integration key.
 */
export const SANDBOX_PAGERDUTY_ROUTING_KEY = 'sandboxpagerdutyroutingkey000001';

export type PagerDutyIncidentStatus = 'triggered' | 'acknowledged' | 'resolved';

/**
 * An incident: what PagerDuty opens for the first trigger of a dedup key (one alert, one
 * incident here; the sandbox does not group alerts).
 */
export interface PagerDutyIncident {
  /** The sandbox's own sequence number, from 1. */
  number: number;
  dedupKey: string;
  routingKey: string;
  status: PagerDutyIncidentStatus;
  /** The payload of the trigger that opened it. */
  payload: PagerDutyPayload;
  links: PagerDutyLink[];
  images: PagerDutyImage[];
  client?: string;
  clientUrl?: string;
  /** Trigger events applied to it: 1 for the one that opened it, more for de-duplicated ones. */
  triggers: number;
  /** Milliseconds since the epoch. */
  createdAt: number;
  acknowledgedAt?: number;
  resolvedAt?: number;
}

/** What an accepted event did. */
export type PagerDutyEventOutcome =
  /** A trigger opened a new incident. */
  | 'opened'
  /** A trigger for an open incident's dedup key was added to it. */
  | 'deduplicated'
  | 'acknowledged'
  | 'resolved'
  /**
   * An acknowledge or resolve with no open incident for its routing and dedup key (never
   * triggered, already resolved, or triggered through another routing key), or an acknowledge
   * of an acknowledged incident: accepted, and nothing changes, as in PagerDuty.
   */
  | 'dropped'
  /** A change event, kept as context only. */
  | 'change';

/** An event as the sandbox received it. */
export interface PagerDutyReceivedEvent {
  /** Milliseconds since the epoch. */
  receivedAt: number;
  /** `alert` from `/v2/enqueue`, `change` from `/v2/change/enqueue`. */
  kind: 'alert' | 'change';
  /** The JSON body as sent. */
  body: unknown;
  /** The HTTP status it was answered with. */
  status: 202 | 400;
  /** With 400: the problems named in the answer. */
  errors?: string[];
  /** With 202 alert events: the dedup key answered (generated for a trigger without one). */
  dedupKey?: string;
  /** With 202. */
  outcome?: PagerDutyEventOutcome;
  /** The incident it opened or changed. */
  incidentNumber?: number;
}

/** How the sandbox answers an event, before it becomes HTTP. */
export type PagerDutyReceipt =
  | { status: 202; dedupKey?: string; outcome: PagerDutyEventOutcome }
  | { status: 400; errors: string[] };

/** Incidents and received events of the sandbox PagerDuty. */
export class PagerDutyState {
  readonly #routingKeys: Set<string>;
  readonly #now: () => number;
  #incidents: PagerDutyIncident[] = [];
  #events: PagerDutyReceivedEvent[] = [];

  constructor(options: { routingKeys: string[]; now: () => number }) {
    this.#routingKeys = new Set(options.routingKeys);
    this.#now = options.now;
  }

  /** The routing keys events are accepted for. */
  routingKeys(): string[] {
    return [...this.#routingKeys];
  }

  /**
   * Takes the JSON body of `POST /v2/enqueue` (`alert`) or `POST /v2/change/enqueue`
   * (`change`): validates it, applies it and records it.
   */
  receive(
    kind: 'alert' | 'change',
    body: Record<string, unknown>,
  ): PagerDutyReceipt {
    const receivedAt = this.#now();
    const record = (
      event: Omit<PagerDutyReceivedEvent, 'receivedAt' | 'kind' | 'body'>,
    ) =>
      this.#events.push({
        receivedAt,
        kind,
        body: structuredClone(body),
        ...event,
      });
    const parsed =
      kind === 'alert'
        ? { alert: parseAlertEvent(body) }
        : { change: parseChangeEvent(body) };
    const errors = [...((parsed.alert ?? parsed.change).errors ?? [])];
    // Whether PagerDuty knows the key is asked only of keys of the right form.
    if (
      !errors.some(e => e.includes("'routing_key'")) &&
      !this.#routingKeys.has(body.routing_key as string)
    ) {
      errors.push('Invalid routing key');
    }
    if (errors.length > 0) {
      record({ status: 400, errors });
      return { status: 400, errors };
    }
    if (parsed.alert?.event) {
      const result = this.#apply(parsed.alert.event, receivedAt);
      record({ status: 202, ...result });
      return {
        status: 202,
        outcome: result.outcome,
        dedupKey: result.dedupKey,
      };
    }
    record({ status: 202, outcome: 'change' });
    return { status: 202, outcome: 'change' };
  }

  /** Every incident, oldest first (copies). */
  incidents(): PagerDutyIncident[] {
    return this.#incidents.map(i => structuredClone(i));
  }

  /** The newest incident with this dedup key (a resolved key triggered again opens another). */
  incident(dedupKey: string): PagerDutyIncident | undefined {
    const found = this.#incidents.findLast(i => i.dedupKey === dedupKey);
    return found && structuredClone(found);
  }

  /** Every event received, accepted or not, oldest first (copies). */
  events(): PagerDutyReceivedEvent[] {
    return this.#events.map(e => structuredClone(e));
  }

  /** Forgets every incident and event (for tests sharing a server). */
  reset() {
    this.#incidents = [];
    this.#events = [];
  }

  #open(routingKey: string, dedupKey: string): PagerDutyIncident | undefined {
    return this.#incidents.find(
      i =>
        i.routingKey === routingKey &&
        i.dedupKey === dedupKey &&
        i.status !== 'resolved',
    );
  }

  #apply(
    event: PagerDutyAlertEvent,
    now: number,
  ): {
    dedupKey: string;
    outcome: PagerDutyEventOutcome;
    incidentNumber?: number;
  } {
    // PagerDuty generates a UUID when a trigger comes without a dedup key.
    const dedupKey = event.dedupKey ?? randomUUID().replace(/-/g, '');
    const open = this.#open(event.routingKey, dedupKey);
    if (event.action === 'trigger') {
      if (open) {
        // Added to the open alert; an acknowledged one stays acknowledged (and quiet).
        open.triggers++;
        return {
          dedupKey,
          outcome: 'deduplicated',
          incidentNumber: open.number,
        };
      }
      const incident: PagerDutyIncident = {
        number: this.#incidents.length + 1,
        dedupKey,
        routingKey: event.routingKey,
        status: 'triggered',
        payload: event.payload!,
        links: event.links,
        images: event.images,
        ...(event.client !== undefined ? { client: event.client } : {}),
        ...(event.clientUrl !== undefined
          ? { clientUrl: event.clientUrl }
          : {}),
        triggers: 1,
        createdAt: now,
      };
      this.#incidents.push(incident);
      return { dedupKey, outcome: 'opened', incidentNumber: incident.number };
    }
    if (
      !open ||
      (event.action === 'acknowledge' && open.status !== 'triggered')
    )
      return {
        dedupKey,
        outcome: 'dropped',
        ...(open ? { incidentNumber: open.number } : {}),
      };
    if (event.action === 'acknowledge') {
      open.status = 'acknowledged';
      open.acknowledgedAt = now;
      return { dedupKey, outcome: 'acknowledged', incidentNumber: open.number };
    }
    open.status = 'resolved';
    open.resolvedAt = now;
    return { dedupKey, outcome: 'resolved', incidentNumber: open.number };
  }
}
