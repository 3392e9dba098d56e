import { ResponseError } from '@backstage/errors';

/** The backend's own message for a failed call (`body.error.message`), else the error's. */
export function errorMessage(error: unknown): string {
  if (ResponseError.is(error)) {
    return error.body?.error?.message ?? error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

/** Whether the backend refused the call as unprocessable (e.g. an ineligible commit). */
export function isUnprocessable(error: unknown): boolean {
  return ResponseError.is(error) && error.statusCode === 422;
}
