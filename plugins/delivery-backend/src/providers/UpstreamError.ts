import { CustomErrorBase } from '@backstage/errors';

/**
 * A system the portal depends on failed. Answered as 503 when the system could not be reached
 * in time, and 502 when it answered with an error. The message names the system.
 */
export class UpstreamError extends CustomErrorBase {
  name = 'UpstreamError' as const;
  readonly statusCode: 502 | 503;
  readonly system: string;

  constructor(options: {
    system: string;
    statusCode: 502 | 503;
    message: string;
    cause?: unknown;
  }) {
    // The cause is not chained: CustomErrorBase would append its text to the message users see.
    super(options.message);
    this.system = options.system;
    this.statusCode = options.statusCode;
  }
}

/** True for errors of fetch that mean "nobody answered in time": refused, reset, timed out. */
export function isUnreachable(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: any = error;
  while (current && !seen.has(current)) {
    seen.add(current);
    if (
      current.name === 'AbortError' ||
      current.name === 'TimeoutError' ||
      [
        'ECONNREFUSED',
        'ECONNRESET',
        'ENOTFOUND',
        'ETIMEDOUT',
        'EHOSTUNREACH',
        'UND_ERR_CONNECT_TIMEOUT',
        'UND_ERR_SOCKET',
        'UND_ERR_HEADERS_TIMEOUT',
      ].includes(current.code) ||
      current.message === 'fetch failed'
    ) {
      return true;
    }
    current = current.cause;
  }
  return false;
}

/** A short reason for a network error, looking through `cause` chains. */
export function describeNetworkError(error: unknown): string {
  let current: any = error;
  const parts: string[] = [];
  for (let i = 0; current && i < 4; i++) {
    if (current.name === 'TimeoutError' || current.name === 'AbortError') {
      return 'no answer before the request timeout';
    }
    if (current.code)
      return `${current.code}${current.message ? ` (${current.message})` : ''}`;
    if (current.message) parts.push(current.message);
    current = current.cause;
  }
  return parts.join(': ') || String(error);
}
