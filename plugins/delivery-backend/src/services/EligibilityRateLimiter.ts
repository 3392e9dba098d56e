import { CustomErrorBase } from '@backstage/errors';
import { DatabaseRateLimitStore } from '../database/DatabaseRateLimitStore';

/** A user asked more often than their limit allows; answered 429 with `Retry-After`. */
export class TooManyRequestsError extends CustomErrorBase {
  name = 'TooManyRequestsError' as const;
  readonly statusCode = 429;

  constructor(message: string, readonly retryAfterSeconds: number) {
    super(message);
  }
}

/**
 * Limits how often each user may ask for the eligibility of commits, which costs up to three
 * GitHub calls per commit: a token bucket per user entity ref holding `requests` tokens, refilled
 * at `requests` per `perMs`. The buckets live in the plugin's database, so every replica counts
 * against the same limit and a restart forgets nothing.
 */
export class EligibilityRateLimiter {
  constructor(
    private readonly options: {
      store: DatabaseRateLimitStore;
      requests: number;
      perMs: number;
      clock?: () => Date;
    },
  ) {}

  /** Takes one request from the user's bucket; throws {@link TooManyRequestsError} when empty. */
  async take(userEntityRef: string): Promise<void> {
    const { store, requests, perMs } = this.options;
    const refillPerMs = requests / perMs;
    const { allowed, tokens } = await store.take({
      bucket: `eligibility:${userEntityRef}`,
      capacity: requests,
      refillPerMs,
      now: this.options.clock?.() ?? new Date(),
    });
    if (allowed) return;
    const retryAfterSeconds = Math.max(
      1,
      Math.ceil((1 - tokens) / refillPerMs / 1000),
    );
    throw new TooManyRequestsError(
      `Too many eligibility checks by ${userEntityRef}: at most ${requests} every ${describeMs(
        perMs,
      )} (each costs GitHub calls shared by the whole organisation); try again in ${retryAfterSeconds} s`,
      retryAfterSeconds,
    );
  }
}

function describeMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${ms / 1000} s`;
}
