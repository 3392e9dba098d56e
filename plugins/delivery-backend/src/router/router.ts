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
import { FlagsService } from '../flags/FlagsService';
import { FlagSync } from '../flags/FlagSync';
import { timingSafeEqual } from 'node:crypto';
import { HealthAnalysisService } from '../rollback/HealthAnalysisService';
import { RollbackService } from '../rollback/RollbackService';
import { AuthenticationError } from '@backstage/errors';
import { DoraService } from '../dora/DoraService';
import {
  EnvironmentActor,
  EphemeralEnvironmentService,
} from '../ephemeral/EphemeralEnvironmentService';
import { WorkloadRegistrationService } from '../services/WorkloadRegistrationService';

/** The entries of `meta` that have a value. */
function definedOnly(
  meta: Record<string, string | undefined>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(meta).filter(
      (e): e is [string, string] => e[1] !== undefined,
    ),
  );
}

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
  flags: FlagsService;
  /** flagd's HTTP sync source, and the bearer token it wants (none: it refuses everyone). */
  flagSync: { sync: FlagSync; token?: string };
  /** Health analysis and rollbacks. */
  rollback: { analysis: HealthAnalysisService; rollbacks: RollbackService };
  /** DORA's metrics. */
  dora: DoraService;
  /** Ephemeral environments of deploy/* branches. */
  ephemeral: EphemeralEnvironmentService;
  /** A new service's namespace and first workload in every environment. */
  workloads: WorkloadRegistrationService;
}) {
  const { httpAuth, auditor, entities, environments, commits, deployments } =
    options;
  const router = await createOpenApiRouter();

  const actor = async (req: Request<unknown>): Promise<Actor> => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    return { userEntityRef: credentials.principal.userEntityRef, credentials };
  };
  const service = async (
    req: Request<
      { namespace: string; kind: string; name: string },
      any,
      any,
      any
    >,
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

  router.post(
    '/entities/:namespace/:kind/:name/environments',
    async (req, res) => {
      const found = await service(req);
      const who = await actor(req);
      const { manifests, dryRun } = req.body;
      const register = () =>
        options.workloads.register(found, manifests, who, { dryRun });
      res.json(
        dryRun
          ? await register()
          : await audited(
              req,
              'workload-register',
              {
                entityRef: found.entityRef,
                objects: manifests
                  .map(
                    m =>
                      `${String(m.kind)}/${String((m.metadata as any)?.name)}`,
                  )
                  .join(','),
              },
              register,
            ),
      );
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
          ...(req.body.flags?.length
            ? { flags: req.body.flags.join(',') }
            : {}),
        },
        () =>
          deployments.request(found, req.body.commitSha, who, req.body.flags),
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

  // Flags

  const flags = options.flags;
  /** Audit metadata of a flag route: the service, the actor, and what is given. */
  const flagMeta = (
    found: { entityRef: string },
    who: Actor,
    extra: Record<string, string | undefined>,
  ) =>
    definedOnly({
      entityRef: found.entityRef,
      actor: who.userEntityRef,
      ...extra,
    });

  router.get('/entities/:namespace/:kind/:name/flags', async (req, res) => {
    res.json(
      await flags.list(await service(req), {
        archived: String(req.query?.archived) === 'true',
      }),
    );
  });

  router.post('/entities/:namespace/:kind/:name/flags', async (req, res) => {
    const found = await service(req);
    const who = await actor(req);
    const created = await audited(
      req,
      'flag-create',
      flagMeta(found, who, { flag: req.body.key }),
      () => flags.create(found, req.body, who),
    );
    res.status(201).json(created);
  });

  router.get(
    '/entities/:namespace/:kind/:name/flags/:key',
    async (req, res) => {
      res.json(await flags.get(await service(req), req.params.key));
    },
  );

  router.post(
    '/entities/:namespace/:kind/:name/flags/:key/environments/:environment',
    async (req, res) => {
      const found = await service(req);
      const who = await actor(req);
      const { key, environment } = req.params;
      const { result, pending } = await audited(
        req,
        req.body.action === 'kill' ? 'flag-kill' : 'flag-change',
        flagMeta(found, who, {
          flag: key,
          environment,
          action: req.body.action,
          reason: req.body.reason,
        }),
        () => flags.change(found, key, environment, req.body, who),
      );
      res.status(pending ? 202 : 200).json(result);
    },
  );

  router.post(
    '/entities/:namespace/:kind/:name/flags/:key/kill',
    async (req, res) => {
      const found = await service(req);
      const who = await actor(req);
      const { key } = req.params;
      res.json(
        await audited(
          req,
          'flag-kill',
          flagMeta(found, who, {
            flag: key,
            environment: req.body.environment ?? 'all',
            reason: req.body.reason,
          }),
          () =>
            flags.kill(
              found,
              key,
              {
                ...(req.body.environment
                  ? { environment: req.body.environment }
                  : {}),
                reason: req.body.reason.trim(),
              },
              who,
            ),
        ),
      );
    },
  );

  router.post(
    '/entities/:namespace/:kind/:name/flags/:key/archive',
    async (req, res) => {
      const found = await service(req);
      const who = await actor(req);
      const { key } = req.params;
      res.json(
        await audited(
          req,
          'flag-archive',
          flagMeta(found, who, { flag: key, reason: req.body?.reason }),
          () => flags.archive(found, key, req.body?.reason, who),
        ),
      );
    },
  );

  router.get(
    '/entities/:namespace/:kind/:name/flags/:key/history',
    async (req, res) => {
      res.json({
        history: await flags.history(await service(req), req.params.key),
      });
    },
  );

  router.post(
    '/entities/:namespace/:kind/:name/flags/:key/preview',
    async (req, res) => {
      res.json({
        results: await flags.preview(
          await service(req),
          req.params.key,
          req.body,
        ),
      });
    },
  );

  for (const decision of ['approve', 'reject'] as const) {
    router.post(`/flag-changes/:id/${decision}`, async (req, res) => {
      const who = await actor(req);
      const { id } = req.params;
      res.json(
        await audited(
          req,
          `flag-change-${decision}`,
          definedOnly({
            change: id,
            actor: who.userEntityRef,
            reason: req.body?.reason,
          }),
          () => flags[decision](id, req.body?.reason, who),
        ),
      );
    });
  }

  // Ephemeral environments.
  const { ephemeral } = options;
  const user = async (req: Request<unknown>): Promise<EnvironmentActor> => ({
    type: 'user',
    ...(await actor(req)),
  });
  router.get(
    '/entities/:namespace/:kind/:name/ephemeral-environments',
    async (req, res) => {
      res.json(await ephemeral.list(await service(req)));
    },
  );
  router.post(
    '/entities/:namespace/:kind/:name/ephemeral-environments',
    async (req, res) => {
      const who = await user(req);
      const found = await service(req);
      const { branch, commitSha, ttlMinutes } = req.body;
      const created = await audited(
        req,
        'ephemeral-environment-create',
        definedOnly({
          entityRef: found.entityRef,
          branch,
          commitSha,
          ttlMinutes: ttlMinutes === undefined ? undefined : String(ttlMinutes),
        }),
        () =>
          ephemeral.create({
            service: found,
            branch,
            ...(commitSha ? { commitSha } : {}),
            ...(ttlMinutes !== undefined ? { ttlMs: ttlMinutes * 60_000 } : {}),
            actor: who,
          }),
      );
      res.status(202).json(await ephemeral.get(created.id));
    },
  );
  router.get('/ephemeral-environments/:id', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['user'] });
    res.json(await ephemeral.get(req.params.id));
  });
  router.delete('/ephemeral-environments/:id', async (req, res) => {
    const who = await user(req);
    const deleted = await audited(
      req,
      'ephemeral-environment-delete',
      { id: req.params.id },
      () => ephemeral.delete(req.params.id, who, 'deleted by a person'),
    );
    res.json(await ephemeral.get(deleted.id));
  });
  router.post('/ephemeral-environments/:id/extend', async (req, res) => {
    const who = await user(req);
    const extended = await audited(
      req,
      'ephemeral-environment-extend',
      { id: req.params.id, minutes: String(req.body.minutes) },
      () => ephemeral.extend(req.params.id, req.body.minutes * 60_000, who),
    );
    res.json(await ephemeral.get(extended.id));
  });
  router.put('/ephemeral-environments/:id/persistent', async (req, res) => {
    const who = await user(req);
    const changed = await audited(
      req,
      'ephemeral-environment-persistence',
      { id: req.params.id, persistent: String(req.body.persistent) },
      () => ephemeral.setPersistent(req.params.id, req.body.persistent, who),
    );
    res.json(await ephemeral.get(changed.id));
  });
  router.post('/ephemeral-environments/sweep', async (req, res) => {
    const who = await user(req);
    res.json(
      await audited(req, 'ephemeral-environment-sweep', {}, () =>
        ephemeral.sweep(who),
      ),
    );
  });

  // flagd's HTTP sync source: flagd sends its authHeader verbatim; not a Backstage token.
  const expected = options.flagSync.token
    ? Buffer.from(`Bearer ${options.flagSync.token}`)
    : undefined;
  const { analysis, rollbacks } = options.rollback;
  router.get('/entities/:namespace/:kind/:name/health', async (req, res) => {
    const found = await service(req);
    res.json(await analysis.health(found, req.query.environment));
  });
  router.get('/entities/:namespace/:kind/:name/rollbacks', async (req, res) => {
    res.json(await rollbacks.list(await service(req)));
  });
  router.post(
    '/entities/:namespace/:kind/:name/rollbacks',
    async (req, res) => {
      const found = await service(req);
      const who = await actor(req);
      const reason = req.body.reason.trim();
      const rollback = await audited(
        req,
        'rollback-start',
        definedOnly({
          entityRef: found.entityRef,
          actor: who.userEntityRef,
          environment: req.body.environment,
          level: String(req.body.level),
          reason,
          flags: req.body.flags?.join(','),
        }),
        () =>
          rollbacks.start(
            found,
            { ...req.body, reason },
            { type: 'user', actor: who },
          ),
      );
      res.status(202).json({ rollback });
    },
  );
  router.get('/rollbacks/:id', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['user'] });
    res.json(await rollbacks.get(req.params.id));
  });
  router.get('/entities/:namespace/:kind/:name/incidents', async (req, res) => {
    res.json(await rollbacks.incidents(await service(req)));
  });
  router.get(
    '/entities/:namespace/:kind/:name/rollback-decisions',
    async (req, res) => {
      res.json(
        await rollbacks.decisions(await service(req), req.query?.environment),
      );
    },
  );

  router.get('/dora', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    res.json(await options.dora.metrics(req.query ?? {}, credentials));
  });
  router.get('/dora/details', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    if (req.query.format !== 'csv') {
      res.json(await options.dora.details(req.query, credentials));
      return;
    }
    const { filename, csv } = await options.dora.detailsCsv(
      req.query,
      credentials,
    );
    res
      .status(200)
      .setHeader('Content-Type', 'text/csv; charset=utf-8')
      .setHeader('Content-Disposition', `attachment; filename="${filename}"`)
      .end(csv);
  });

  router.get('/flagd/:environment', async (req, res) => {
    const given = Buffer.from(req.header('authorization') ?? '');
    if (
      !expected ||
      given.length !== expected.length ||
      !timingSafeEqual(given, expected)
    ) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="delivery flagd sync"');
      throw new AuthenticationError(
        expected
          ? 'The flagd sync source needs the bearer token of delivery.flags.sync.token (flagd: authHeader "Bearer <token>")'
          : 'The flagd sync source is closed: no delivery.flags.sync.token is configured',
      );
    }
    const snapshot = await options.flagSync.sync.snapshot({
      environment: req.params.environment,
      ...(req.query?.service ? { service: req.query.service } : {}),
    });
    const etag = `"${snapshot.revision}"`;
    res.setHeader('ETag', etag);
    res.setHeader('Cache-Control', 'no-cache');
    const match = (req.header('if-none-match') ?? '')
      .split(',')
      .map(t => t.trim().replace(/^W\//, ''));
    if (match.includes(etag) || match.includes('*')) {
      res.status(304).end();
      return;
    }
    res.type('application/json').end(snapshot.configuration);
  });

  return router;
}
