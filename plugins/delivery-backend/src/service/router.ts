import { HttpAuthService } from '@backstage/backend-plugin-api';
import { Router } from 'express';
import * as openApiUtils from '@backstage/backend-openapi-utils';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { EntityResolver } from '../services/EntityResolver';
import { EnvironmentsService } from '../services/EnvironmentsService';
import { CommitsService } from '../services/CommitsService';

/** The OpenAPI document of the plugin, read from `src/schema/openapi.yaml`. */
export const deliveryOpenApiSpec = parse(
  readFileSync(
    resolvePackagePath(
      '@internal/plugin-delivery-backend',
      'src/schema/openapi.yaml',
    ),
    'utf8',
  ),
);

const createOpenApiRouter: (spec: unknown) => Router = (
  openApiUtils as { createValidatedOpenApiRouter: any }
).createValidatedOpenApiRouter;

/** Builds the plugin's routes: validate input, call a service, return its result. */
export function createRouter(options: {
  httpAuth: HttpAuthService;
  entities: EntityResolver;
  environments: EnvironmentsService;
  commits: CommitsService;
}) {
  const { httpAuth, entities, environments, commits } = options;
  // The spec is read at run time, so the router is typed as a plain express Router; the
  // validator still checks every request against the spec.
  const router: Router = createOpenApiRouter(deliveryOpenApiSpec);

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get(
    '/entities/:namespace/:kind/:name/environments',
    async (req, res) => {
      const credentials = await httpAuth.credentials(req, { allow: ['user'] });
      const service = await entities.resolve(req.params, credentials);
      res.json({
        entityRef: service.entityRef,
        environments: await environments.list(service),
      });
    },
  );

  router.get('/entities/:namespace/:kind/:name/commits', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const service = await entities.resolve(req.params, credentials);
    res.json(await commits.list(service));
  });

  return router;
}
