import {
  AuthService,
  BackstageCredentials,
  DiscoveryService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { CompoundEntityRef, parseEntityRef } from '@backstage/catalog-model';
import {
  ConsumedResponse,
  InputError,
  NotAllowedError,
  parseErrorResponseBody,
} from '@backstage/errors';
import { DefaultApiClient } from '@internal/plugin-delivery-common';
import type { z as zod } from 'zod/v3';

/** What the actions need to call the delivery backend as the person running the template. */
export interface DeliveryApiOptions {
  discovery: DiscoveryService;
  auth: AuthService;
}

/** A client of the delivery backend and a token for it, on behalf of `credentials`. */
export async function deliveryClient(
  options: DeliveryApiOptions,
  credentials: BackstageCredentials,
): Promise<{ client: DefaultApiClient; token: string }> {
  const { token } = await options.auth.getPluginRequestToken({
    onBehalfOf: credentials,
    targetPluginId: 'delivery',
  });
  return {
    client: new DefaultApiClient({ discoveryApi: options.discovery }),
    token,
  };
}

/** The `entityRef` input of both actions. */
export const entityRefInput = (z: typeof zod, what: string) =>
  z
    .string()
    .min(1)
    .describe(
      `The service, e.g. component:default/my-service (it must be in the catalog, or get there within waitForCatalogSeconds); ${what}`,
    );

/** The `waitForCatalogSeconds` input of both actions. */
export const waitForCatalogInput = (z: typeof zod) =>
  z
    .number()
    .int()
    .min(0)
    .max(900)
    .default(120)
    .describe(
      'How long to wait for the service to appear in the catalog (after catalog:register)',
    );

/** A Component's ref, parsed; `component` and `default` are the defaults. */
export function componentRef(ref: string): CompoundEntityRef {
  try {
    return parseEntityRef(ref, {
      defaultKind: 'component',
      defaultNamespace: 'default',
    });
  } catch (error) {
    throw new InputError(
      `entityRef: ${
        (error as Error).message
      } (expected e.g. component:default/my-service)`,
    );
  }
}

/** The message of the backend's error body, or the status when there is none. */
export async function errorMessage(
  response: ConsumedResponse & { text(): Promise<string> },
): Promise<string> {
  return (await parseErrorResponseBody(response)).error.message;
}

/**
 * The error of a call the backend refused: 403 says who may finish the task, anything else
 * names what could not be done.
 */
export async function refused(
  response: ConsumedResponse & { text(): Promise<string> },
  doing: string,
): Promise<Error> {
  const message = await errorMessage(response);
  if (response.status === 403) {
    return new NotAllowedError(
      `Cannot ${doing}: ${message}. The template's delivery:owner:validate step prevents this; otherwise a member of the owning team finishes it by running this action again (it is safe to repeat).`,
    );
  }
  return new Error(`Cannot ${doing}: ${message}`);
}

/**
 * Calls `attempt` until it answers something other than 404 (the service is not in the catalog
 * yet: `catalog:register` adds its location, and the catalog processes the entity a moment
 * later), for at most the action's `waitForCatalogSeconds`.
 */
export async function untilInCatalog<T extends { status: number }>(
  ctx: {
    input: { entityRef: string; waitForCatalogSeconds?: number };
    logger: LoggerService;
    signal?: AbortSignal;
  },
  attempt: () => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + (ctx.input.waitForCatalogSeconds ?? 120) * 1000;
  let waited = false;
  for (;;) {
    const response = await attempt();
    if (response.status !== 404 || Date.now() >= deadline) return response;
    if (!waited) {
      ctx.logger.info(
        `Waiting for ${ctx.input.entityRef} to appear in the catalog`,
      );
    }
    waited = true;
    if (ctx.signal?.aborted) return response;
    await new Promise(resolve => setTimeout(resolve, 1000));
  }
}

/**
 * A value as plain JSON: the task runner's template engine refuses arrays of another JavaScript
 * realm (what fetch's JSON gives under jest's VM contexts).
 */
export function plainJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value));
}
