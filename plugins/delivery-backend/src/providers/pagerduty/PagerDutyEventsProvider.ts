import { Config, readDurationFromConfig } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { durationToMilliseconds } from '@backstage/types';
import {
  UpstreamError,
  describeNetworkError,
  isUnreachable,
} from '../UpstreamError';
import { PagerDutyAlert, PagerDutyProvider } from './PagerDutyProvider';

/** PagerDuty's Events API (EU accounts use `https://events.eu.pagerduty.com`). */
export const DEFAULT_PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com';

/** PagerDuty's limits on an alert event. */
const MAX_SUMMARY_LENGTH = 1024;
const MAX_DEDUP_KEY_LENGTH = 255;

export interface PagerDutyEventsProviderOptions {
  /** Root of the Events API, e.g. {@link DEFAULT_PAGERDUTY_EVENTS_URL}; events go to `/v2/enqueue`. */
  baseUrl: string;
  /** The integration key of an Events API v2 integration on the service to page. */
  routingKey: string;
  /** How long one call may take before it fails with 503. */
  timeoutMs: number;
}

/** The summary within PagerDuty's 1024 characters (a longer one would be refused with 400). */
function fitSummary(summary: string): string {
  return summary.length > MAX_SUMMARY_LENGTH
    ? `${summary.slice(0, MAX_SUMMARY_LENGTH - 1)}…`
    : summary;
}

function checkDedupKey(dedupKey: string) {
  if (typeof dedupKey !== 'string' || dedupKey.trim() === '') {
    throw new InputError('A PagerDuty dedup key must not be empty');
  }
  if (dedupKey.length > MAX_DEDUP_KEY_LENGTH) {
    throw new InputError(
      `A PagerDuty dedup key has at most ${MAX_DEDUP_KEY_LENGTH} characters; '${dedupKey.slice(
        0,
        40,
      )}…' has ${dedupKey.length}`,
    );
  }
}

/** A short readable text from an answer that is not PagerDuty's JSON (a proxy's page, say). */
function shortText(text: string): string {
  const plain = text
    .replace(/<head>[\s\S]*?<\/head>/i, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return plain.length > 200 ? `${plain.slice(0, 200)}…` : plain;
}

/** `message: error; error` from PagerDuty's error body, else the answer's text. */
function describeAnswer(text: string): string {
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    return shortText(text);
  }
  const errors: string[] = Array.isArray(body?.errors)
    ? body.errors.filter((e: unknown) => typeof e === 'string')
    : [];
  let message = '';
  if (typeof body?.message === 'string' && body.message) message = body.message;
  else if (typeof body?.status === 'string') message = body.status;
  return [message, errors.join('; ')].filter(Boolean).join(': ');
}

/**
 * PagerDuty through its Events API v2 (`POST /v2/enqueue`). The routing key is the only
 * credential, sent in the body and never in a message. Every call is bounded by the timeout;
 * no answer in time is a 503 {@link UpstreamError}, an answer other than 2xx a 502 naming what
 * PagerDuty said (a 400 lists the problems with the event, e.g. `Invalid routing key`).
 */
export class PagerDutyEventsProvider implements PagerDutyProvider {
  readonly #baseUrl: string;
  readonly #routingKey: string;
  readonly #timeoutMs: number;

  constructor(options: PagerDutyEventsProviderOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#routingKey = options.routingKey;
    this.#timeoutMs = options.timeoutMs;
  }

  /** The Events API root events are sent to (for logs; the routing key stays private). */
  get baseUrl(): string {
    return this.#baseUrl;
  }

  get #where() {
    return `PagerDuty (${this.#baseUrl})`;
  }

  async trigger(alert: PagerDutyAlert): Promise<{ dedupKey: string }> {
    checkDedupKey(alert.dedupKey);
    const payload = {
      summary: fitSummary(alert.summary),
      source: alert.source,
      severity: alert.severity,
      ...(alert.component !== undefined ? { component: alert.component } : {}),
      ...(alert.group !== undefined ? { group: alert.group } : {}),
      ...(alert.class !== undefined ? { class: alert.class } : {}),
      ...(alert.customDetails !== undefined
        ? { custom_details: alert.customDetails }
        : {}),
    };
    const answer = await this.#enqueue('trigger', alert.dedupKey, {
      payload,
      ...(alert.links?.length ? { links: alert.links } : {}),
    });
    return {
      dedupKey:
        typeof answer?.dedup_key === 'string' && answer.dedup_key
          ? answer.dedup_key
          : alert.dedupKey,
    };
  }

  async acknowledge(dedupKey: string): Promise<void> {
    checkDedupKey(dedupKey);
    await this.#enqueue('acknowledge', dedupKey, {});
  }

  async resolve(dedupKey: string): Promise<void> {
    checkDedupKey(dedupKey);
    await this.#enqueue('resolve', dedupKey, {});
  }

  /** Sends one alert event; resolves with PagerDuty's JSON answer (undefined if not JSON). */
  async #enqueue(
    action: 'trigger' | 'acknowledge' | 'resolve',
    dedupKey: string,
    fields: Record<string, unknown>,
  ): Promise<any> {
    const what = `${action} alert '${dedupKey}'`;
    let status: number;
    let text: string;
    try {
      const res = await fetch(`${this.#baseUrl}/v2/enqueue`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body: JSON.stringify({
          routing_key: this.#routingKey,
          event_action: action,
          dedup_key: dedupKey,
          ...fields,
        }),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      status = res.status;
      text = await res.text();
    } catch (error) {
      throw new UpstreamError({
        system: 'pagerduty',
        statusCode: isUnreachable(error) ? 503 : 502,
        message: `${this.#where} is unreachable: ${describeNetworkError(
          error,
        )}`,
        cause: error,
      });
    }
    if (status >= 200 && status < 300) {
      try {
        return JSON.parse(text);
      } catch {
        return undefined;
      }
    }
    const detail = describeAnswer(text);
    let hint = '';
    if (status === 400 && /routing.?key/i.test(detail)) {
      hint =
        ' (check delivery.pagerduty.routingKey: the integration key of an Events API v2 integration)';
    } else if (status === 429) {
      hint = ' (PagerDuty throttles this integration; retry later)';
    }
    throw new UpstreamError({
      system: 'pagerduty',
      statusCode: 502,
      message: `${this.#where} refused to ${what}: HTTP ${status}${
        detail ? ` ${detail}` : ''
      }${hint}`,
    });
  }
}

/**
 * The PagerDuty provider configured under `delivery.pagerduty`, or undefined without a
 * `routingKey` (nothing is paged then). `baseUrl` defaults to {@link DEFAULT_PAGERDUTY_EVENTS_URL};
 * `timeout` to `delivery.requestTimeout`, else 10 s. A routing key that is not 32 letters and
 * digits, or a base URL that is not http(s), is a start-up error rather than a page that fails
 * when it is needed.
 */
export function createPagerDutyProvider(
  config: Config,
): PagerDutyProvider | undefined {
  const section = config.getOptionalConfig('delivery.pagerduty');
  const routingKey = section?.getOptionalString('routingKey')?.trim();
  if (!section || !routingKey) return undefined;
  if (!/^[A-Za-z0-9]{32}$/.test(routingKey)) {
    // The key is a secret: say what is wrong with it, never what it is.
    throw new InputError(
      `delivery.pagerduty.routingKey must be the 32-character integration key of an Events API v2 integration (letters and digits); the configured one has ${
        routingKey.length
      } characters${
        /[^A-Za-z0-9]/.test(routingKey) ? ', not all letters and digits' : ''
      }`,
    );
  }
  const baseUrl =
    section.getOptionalString('baseUrl') ?? DEFAULT_PAGERDUTY_EVENTS_URL;
  let protocol: string | undefined;
  try {
    protocol = new URL(baseUrl).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new InputError(
      `delivery.pagerduty.baseUrl must be an http(s) URL, e.g. ${DEFAULT_PAGERDUTY_EVENTS_URL}; got '${baseUrl}'`,
    );
  }
  const timeoutKey = section.has('timeout')
    ? 'delivery.pagerduty.timeout'
    : 'delivery.requestTimeout';
  const timeoutMs = config.has(timeoutKey)
    ? durationToMilliseconds(
        readDurationFromConfig(config, { key: timeoutKey }),
      )
    : 10_000;
  if (!(timeoutMs > 0)) {
    throw new InputError(`${timeoutKey} must be longer than 0`);
  }
  return new PagerDutyEventsProvider({ baseUrl, routingKey, timeoutMs });
}
