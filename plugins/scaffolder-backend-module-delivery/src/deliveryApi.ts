import {
  AuthService,
  BackstageCredentials,
  DiscoveryService,
} from '@backstage/backend-plugin-api';
import { CompoundEntityRef, parseEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
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
export async function errorMessage(response: {
  status: number;
  statusText: string;
  text(): Promise<string>;
}): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text);
    if (typeof body?.error?.message === 'string') return body.error.message;
  } catch {
    // not JSON
  }
  return `${response.status} ${response.statusText}${text ? `: ${text}` : ''}`;
}

/**
 * Calls `attempt` until it answers something other than 404 (the service is not in the catalog
 * yet: `catalog:register` adds its location, and the catalog processes the entity a moment
 * later), for at most `waitMs`.
 */
export async function untilInCatalog<T extends { status: number }>(
  attempt: () => Promise<T>,
  options: {
    waitMs: number;
    intervalMs?: number;
    signal?: AbortSignal;
    onWait?: () => void;
  },
): Promise<T> {
  const deadline = Date.now() + options.waitMs;
  let waited = false;
  for (;;) {
    const response = await attempt();
    if (response.status !== 404 || Date.now() >= deadline) return response;
    if (!waited) options.onWait?.();
    waited = true;
    if (options.signal?.aborted) return response;
    await new Promise(resolve =>
      setTimeout(resolve, options.intervalMs ?? 1000),
    );
  }
}
