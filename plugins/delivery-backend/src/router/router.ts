import { AuditorService, HttpAuthService } from '@backstage/backend-plugin-api';
import { Request } from 'express';
import { createOpenApiRouter } from '../schema/openapi/generated/router';
import { EntityResolver } from '../services/EntityResolver';
import { EnvironmentsService } from '../services/EnvironmentsService';
import { CommitsService } from '../services/CommitsService';
import { Actor, DeploymentService } from '../deployments/DeploymentService';
import {
  EligibilityRateLimiter,
  TooManyRequestsError,
} from '../services/EligibilityRateLimiter';

/** Builds the plugin's routes: validate input, call a service, return its result. */
export async function createRouter(options: {
  httpAuth: HttpAuthService;
  auditor: AuditorService;
  entities: EntityResolver;
  environments: EnvironmentsService;
  commits: CommitsService;
  deployments: DeploymentService;
  /** Per-user limit of eligibility checks (they cost GitHub calls). */
  eligibilityLimit?: EligibilityRateLimiter;
}) {
  const { httpAuth, auditor, entities, environments, commits, deployments } =
    options;
  const router = await createOpenApiRouter();

  const actor = async (req: Request<unknown>): Promise<Actor> => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    return { userEntityRef: credentials.principal.userEntityRef, credentials };
  };
  const service = async (
    req: Request<{ namespace: string; kind: string; name: string }>,
  ) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    return entities.resolve(req.params, credentials);
  };
  /** Runs a mutating action inside an audit event that records the actor and the outcome. */
  const audited = async <T>(
    req: Request<unknown>,
    eventId: string,
    meta: Record<string, string>,
    fn: () => Promise<T>,
  ): Promise<T> => {
    const event = await auditor.createEvent({
      eventId,
      request: req,
      meta,
      severityLevel: 'medium',
    });
    try {
      const result = await fn();
      await event.success();
      return result;
    } catch (error) {
      await event.fail({ error: error as Error });
      throw error;
    }
  };

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get(
    '/entities/:namespace/:kind/:name/environments',
    async (req, res) => {
      const found = await service(req);
      res.json({
        entityRef: found.entityRef,
        environments: await environments.list(found),
      });
    },
  );

  router.get('/entities/:namespace/:kind/:name/commits', async (req, res) => {
    res.json(await commits.list(await service(req)));
  });

  router.get(
    '/entities/:namespace/:kind/:name/eligibility',
    async (req, res) => {
      const who = await actor(req);
      await options.eligibilityLimit?.take(who.userEntityRef).catch(error => {
        if (error instanceof TooManyRequestsError) {
          res.setHeader('Retry-After', String(error.retryAfterSeconds));
        }
        throw error;
      });
      res.json({
        eligibility: await deployments.eligibility(
          await service(req),
          req.query.commit,
        ),
      });
    },
  );

  router.get(
    '/entities/:namespace/:kind/:name/deployments',
    async (req, res) => {
      res.json(await deployments.list(await service(req)));
    },
  );

  router.post(
    '/entities/:namespace/:kind/:name/deployments',
    async (req, res) => {
      const found = await service(req);
      const who = await actor(req);
      const result = await audited(
        req,
        'deployment-request',
        {
          entityRef: found.entityRef,
          commitSha: req.body.commitSha,
          actor: who.userEntityRef,
        },
        () => deployments.request(found, req.body.commitSha, who),
      );
      res.status(201).json(result);
    },
  );

  router.post(
    '/entities/:namespace/:kind/:name/queue/lock',
    async (req, res) => {
      const found = await service(req);
      const who = await actor(req);
      res.json(
        await audited(
          req,
          'queue-lock',
          {
            entityRef: found.entityRef,
            reason: req.body.reason,
            actor: who.userEntityRef,
          },
          () => deployments.lock(found, req.body.reason.trim(), who),
        ),
      );
    },
  );

  router.post(
    '/entities/:namespace/:kind/:name/queue/unlock',
    async (req, res) => {
      const found = await service(req);
      const who = await actor(req);
      res.json(
        await audited(
          req,
          'queue-unlock',
          { entityRef: found.entityRef, actor: who.userEntityRef },
          () => deployments.unlock(found, who),
        ),
      );
    },
  );

  router.get('/deployments/:token', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['user'] });
    res.json(await deployments.get(req.params.token));
  });

  for (const action of ['start', 'approve'] as const) {
    router.post(`/deployments/:token/${action}`, async (req, res) => {
      const who = await actor(req);
      const token = req.params.token;
      res.json(
        await audited(
          req,
          `deployment-${action}`,
          { token, actor: who.userEntityRef },
          () => deployments[action](token, who),
        ),
      );
    });
  }

  router.post('/deployments/:token/cancel', async (req, res) => {
    const who = await actor(req);
    const token = req.params.token;
    const reason = req.body?.reason?.trim();
    res.json(
      await audited(
        req,
        'deployment-cancel',
        {
          token,
          actor: who.userEntityRef,
          ...(reason ? { reason } : {}),
        },
        () => deployments.cancel(token, who, reason),
      ),
    );
  });

  return router;
}
