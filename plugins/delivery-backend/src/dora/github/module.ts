/*
 * GitHub webhooks into the Backstage events backend, signature-checked: a module of the `events`
 * plugin that registers the HTTP ingress topic `github` (POST `/api/events/http/github`) with a
 * validator of `X-Hub-Signature-256` against `delivery.dora.github.webhookSecret`. Only verified
 * deliveries are published (with the request headers as metadata); ./GitHubDoraEvents.ts turns
 * them into DORA events.
 */
import {
  coreServices,
  createBackendModule,
  LoggerService,
  RootConfigService,
} from '@backstage/backend-plugin-api';
import type { RequestValidator } from '@backstage/plugin-events-node';
import { eventsExtensionPoint } from '@backstage/plugin-events-node/alpha';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { GITHUB_EVENTS_TOPIC } from './GitHubDoraEvents';

/** Where the webhook secret is configured. */
export const GITHUB_WEBHOOK_SECRET_CONFIG =
  'delivery.dora.github.webhookSecret';

/** `sha256=<hex>`: the `X-Hub-Signature-256` GitHub sends for `body` signed with `secret`. */
export function gitHubSignature(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Whether `signature` (`sha256=<hex>`) is the body's HMAC-SHA256 with `secret`, in constant time. */
export function verifyGitHubSignature(
  secret: string,
  body: Buffer,
  signature: string | undefined,
): boolean {
  const match = /^sha256=([0-9a-f]{64})$/i.exec(signature?.trim() ?? '');
  if (!match) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  return timingSafeEqual(Buffer.from(match[1], 'hex'), expected);
}

function unauthorized(message: string) {
  return {
    status: 401,
    payload: {
      error: { name: 'AuthenticationError', message },
      response: { statusCode: 401 },
    },
  };
}

/**
 * The validator of the `github` topic. The secret is read for every delivery, so a changed
 * configuration applies without a restart.
 */
export function createGitHubSignatureValidator(options: {
  config: RootConfigService;
  logger: LoggerService;
}): RequestValidator {
  const { config, logger } = options;
  return async (request, context) => {
    const secret = config.getOptionalString(GITHUB_WEBHOOK_SECRET_CONFIG);
    const delivery = request.headers['x-github-delivery'];
    const describe = `GitHub webhook delivery ${
      (Array.isArray(delivery) ? delivery[0] : delivery) ?? '(no id)'
    }`;
    if (!secret) {
      logger.warn(
        `${describe} refused: ${GITHUB_WEBHOOK_SECRET_CONFIG} is not configured`,
      );
      context.reject(
        unauthorized(
          `The GitHub webhook secret is not configured (${GITHUB_WEBHOOK_SECRET_CONFIG}): no delivery is accepted`,
        ),
      );
      return;
    }
    const header = request.headers['x-hub-signature-256'];
    const signature = Array.isArray(header) ? header[0] : header;
    if (!signature) {
      logger.warn(`${describe} refused: no X-Hub-Signature-256 header`);
      context.reject(
        unauthorized(
          'Missing X-Hub-Signature-256: sign deliveries with the webhook secret',
        ),
      );
      return;
    }
    if (!verifyGitHubSignature(secret, request.raw.body, signature)) {
      logger.warn(`${describe} refused: bad X-Hub-Signature-256`);
      context.reject(
        unauthorized(
          'Bad X-Hub-Signature-256: it is not the HMAC-SHA256 of the body with the webhook secret',
        ),
      );
    }
  };
}

/**
 * The events backend's ingress for GitHub webhooks (topic `github`), signature-checked. Point
 * the repository's or organisation's webhook at `<backend>/api/events/http/github`, content type
 * `application/json`, with the secret of `delivery.dora.github.webhookSecret`.
 */
export const deliveryEventsModuleGitHub = createBackendModule({
  pluginId: 'events',
  moduleId: 'delivery-github',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        events: eventsExtensionPoint,
      },
      async init({ config, logger, events }) {
        if (!config.getOptionalString(GITHUB_WEBHOOK_SECRET_CONFIG)) {
          logger.warn(
            `${GITHUB_WEBHOOK_SECRET_CONFIG} is not configured: every GitHub webhook delivery to /api/events/http/${GITHUB_EVENTS_TOPIC} is refused with 401`,
          );
        }
        events.addHttpPostIngress({
          topic: GITHUB_EVENTS_TOPIC,
          validator: createGitHubSignatureValidator({ config, logger }),
        });
      },
    });
  },
});
