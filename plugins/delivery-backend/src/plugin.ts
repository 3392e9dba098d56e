import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { actionsRegistryServiceRef } from '@backstage/backend-plugin-api/alpha';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import {
  ANNOTATION_JENKINS_JOB,
  DoraEvent,
  deliveryPermissions,
} from '@internal/plugin-delivery-common';
import {
  MetricsProviderFactory,
  deliveryMetricsExtensionPoint,
  startFlagSyncServer,
} from '@internal/plugin-delivery-node';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { readDeliveryConfig } from './config';
import { DatabaseDeploymentStore } from './database/DatabaseDeploymentStore';
import { DatabaseObservedVersionsStore } from './database/DatabaseObservedVersionsStore';
import { DeploymentService } from './deployments/DeploymentService';
import { createDeploymentRunKind } from './deployments/DeploymentRunKind';
import {
  createApprovalStage,
  createBackupStage,
  createDeployStage,
  createJenkinsStage,
  createMarkStableStage,
  createRollbackStage,
  createRolloutStage,
  createValidateStage,
  createVerifyStage,
  createFlagStepStage,
  createFlagsOffStage,
  DeploymentFlags,
} from './deployments/stages';
import { DatabaseRunStore, RunEngine } from './engine';
import {
  GitHubResponseCache,
  OctokitGitHubProvider,
  readGitHubBudgetConfig,
} from './providers/github';
import { DatabaseRateLimitStore } from './database/DatabaseRateLimitStore';
import { EligibilityRateLimiter } from './services/EligibilityRateLimiter';
import { ClientNodeKubernetesProvider } from './providers/kubernetes';
import {
  createJenkinsProvider,
  readJenkinsParameterNames,
} from './providers/jenkins';
import { OwnershipChecker } from './deployments/ownership';
import { pruneDelivery } from './services/retention';
import {
  BUILT_IN_METRICS_PROVIDERS,
  createMetricsProvider,
} from './providers/metrics';
import { DeployQueue } from './queue/DeployQueue';
import { createRouter } from './router/router';
import { CommitsService } from './services/CommitsService';
import { EligibilityService } from './services/EligibilityService';
import { EntityResolver } from './services/EntityResolver';
import { EnvironmentsService } from './services/EnvironmentsService';
import { Notifier } from './services/Notifier';
import { DatabaseFlagStore } from './flags/DatabaseFlagStore';
import { FlagsService } from './flags/FlagsService';
import { FlagSync } from './flags/FlagSync';
import { readFlagsConfig } from './flags/config';
import { createPagerDutyProvider } from './providers/pagerduty';
import { DatabaseDecisionStore } from './rollback/DatabaseDecisionStore';
import { DatabaseRollbackStore } from './rollback/DatabaseRollbackStore';
import { HealthAnalysisService } from './rollback/HealthAnalysisService';
import { RollbackAutomation } from './rollback/RollbackAutomation';
import { createRollbackRunKind } from './rollback/RollbackRunKind';
import { RollbackService } from './rollback/RollbackService';
import { readRollbackConfig } from './rollback/config';
import { DatabaseDoraStore } from './dora/DatabaseDoraStore';
import { DoraService } from './dora/DoraService';
import { PortalDoraIngestion } from './dora/PortalDoraIngestion';
import { readDoraConfig } from './dora/config';
import { registerDoraAction } from './dora/action';
import {
  createGitHubDoraSubscriber,
  createRepositoryEntities,
  processGitHubDoraInbox,
} from './dora/github';
import { environmentLinks, readEphemeralConfig } from './ephemeral/config';
import { DatabaseEphemeralStore } from './ephemeral/DatabaseEphemeralStore';
import { createEnvironmentRunKind } from './ephemeral/EnvironmentRunKind';
import {
  EnvironmentEvents,
  EphemeralEnvironmentService,
} from './ephemeral/EphemeralEnvironmentService';
import {
  createGitHubEphemeralSubscriber,
  processEphemeralInbox,
} from './ephemeral/github';
import {
  createAnnounceStage,
  createBuildStage,
  createCopyFlagsStage,
  createEnvironmentRolloutStage,
  createNamespaceStage,
  createWorkloadStage,
} from './ephemeral/stages';
import { ClientNodeNamespaceProvider } from './providers/kubernetes/ClientNodeNamespaceProvider';
import { WorkloadRegistrationService } from './services/WorkloadRegistrationService';
import {
  createEscalateStage,
  createRecoveryVerifyStage,
  createRerouteStage,
  createRestoreStage,
  createRollbackFlagsOffStage,
  createStableRollbackStage,
} from './rollback/stages';

/**
 * The delivery backend plugin: environments, commits, the deployment queue and the progressive
 * pipeline, against Kubernetes, GitHub, a metrics system and Jenkins. Routes under
 * `/api/delivery`.
 *
 * @public
 */
export const deliveryPlugin = createBackendPlugin({
  pluginId: 'delivery',
  register(env) {
    // Metrics providers by type: the built-in ones, then those modules add (a module may replace
    // a built-in one by adding a factory of the same type).
    const metricsFactories = new Map<string, MetricsProviderFactory>(
      BUILT_IN_METRICS_PROVIDERS.map(f => [f.type, f]),
    );
    env.registerExtensionPoint(deliveryMetricsExtensionPoint, {
      addMetricsProviderFactory(factory) {
        metricsFactories.set(factory.type, factory);
      },
    });

    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        database: coreServices.database,
        auth: coreServices.auth,
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        userInfo: coreServices.userInfo,
        auditor: coreServices.auditor,
        scheduler: coreServices.scheduler,
        cache: coreServices.cache,
        lifecycle: coreServices.lifecycle,
        catalog: catalogServiceRef,
        actionsRegistry: actionsRegistryServiceRef,
        events: eventsServiceRef,
        notifications: notificationService,
        signals: signalsServiceRef,
      },
      async init(deps) {
        const {
          config,
          logger,
          database,
          auth,
          httpAuth,
          httpRouter,
          scheduler,
        } = deps;
        deps.permissionsRegistry.addPermissions(deliveryPermissions);
        const delivery = readDeliveryConfig(config);
        const { environments, pipeline } = delivery;
        const timeoutMs = delivery.requestTimeoutMs;
        const kubernetes = new ClientNodeKubernetesProvider({
          clusters: delivery.clusters,
          timeoutMs,
        });
        const githubBudget = readGitHubBudgetConfig(config);
        const github = OctokitGitHubProvider.fromConfig(config, {
          host: delivery.githubHost,
          timeoutMs,
          cache: new GitHubResponseCache({
            cache: deps.cache,
            ttlMs: githubBudget.cache.ttlMs,
            factTtlMs: githubBudget.cache.settledForMs,
            logger,
          }),
        });
        const metrics = createMetricsProvider(config, {
          timeoutMs,
          factories: metricsFactories.values(),
        });
        const jenkins = createJenkinsProvider(config, { timeoutMs });
        const observedVersions = await DatabaseObservedVersionsStore.create({
          database,
        });
        const store = await DatabaseDeploymentStore.create({ database });
        const runs = new DatabaseRunStore(await database.getClient());
        const entities = new EntityResolver(deps.catalog);
        const eligibility = new EligibilityService({
          github,
          blockingLabel: delivery.blockingLabel,
          branches: delivery.branches,
        });
        const notifier = new Notifier({
          logger,
          notifications: deps.notifications,
          signals: deps.signals,
          chatWebhookUrl: delivery.chatWebhookUrl,
          onCallGroup: delivery.onCallGroup,
          // Links in messages point at the portal; relative when no app URL is configured.
          appBaseUrl: config.getOptionalString('app.baseUrl') ?? '',
        });
        const jenkinsSettings = jenkins
          ? {
              environment: pipeline.jenkinsEnvironment,
              timeoutMs: pipeline.jenkinsTimeoutMs,
              jobAnnotation: ANNOTATION_JENKINS_JOB,
              parameters: readJenkinsParameterNames(config),
            }
          : undefined;
        // Everything a service's annotations point at must be the service's: checked on
        // request and again before the pipeline writes anything.
        const ownership = new OwnershipChecker({
          kubernetes,
          environments,
          ...(jenkins
            ? {
                jenkins: {
                  jobAnnotation: ANNOTATION_JENKINS_JOB,
                  jobOwners: delivery.jenkinsJobOwners,
                },
              }
            : {}),
        });
        const queue = new DeployQueue({
          store,
          notifier,
          callTimeoutMs: delivery.callTimeoutMs,
        });
        const environmentNames = environments.map(e => e.name);
        const flagsConfig = readFlagsConfig(config, environmentNames);
        const flagStore = await DatabaseFlagStore.create({ database });
        const flagSync = new FlagSync({
          store: flagStore,
          environments: environmentNames,
          pollIntervalMs: flagsConfig.sync.pollIntervalMs,
          logger,
        });
        const flags = new FlagsService({
          store: flagStore,
          environments: environmentNames,
          permissions: deps.permissions,
          userInfo: deps.userInfo,
          approvalRequired: flagsConfig.approvalRequired,
          ...(delivery.onCallGroup
            ? { onCallGroup: delivery.onCallGroup }
            : {}),
          logger,
          onChange: ({ entityRef, environments: changed }) => {
            flagSync.changed(changed);
            notifier.flagsChanged({ entityRef, environments: changed });
          },
        });
        const seeded = await flags.createInitial(flagsConfig.initial);
        if (seeded.length > 0) {
          logger.info(
            `Created ${
              seeded.length
            } flags of delivery.flags.initial: ${seeded.join(', ')}`,
          );
        }
        // DORA: one store every source is ingested into.
        const doraConfig = readDoraConfig(config);
        const dora = await DatabaseDoraStore.create({ database });
        // GitHub's signed webhooks (deployments made elsewhere, pushes, incident issues).
        const gitHubDora = {
          ingest: (event: DoraEvent) => dora.ingest(event),
          entitiesOfRepository: createRepositoryEntities({
            catalog: deps.catalog,
            credentials: () => auth.getOwnServiceCredentials(),
          }),
          productionEnvironments: doraConfig.productionEnvironments,
          inbox: dora,
          logger,
        };
        await createGitHubDoraSubscriber({
          events: deps.events,
          ...gitHubDora,
        });
        const rollbackStore = await DatabaseRollbackStore.create({ database });
        const portalDora = new PortalDoraIngestion({
          store: dora,
          deployments: store,
          runs,
          rollbacks: rollbackStore,
          github,
          catalog: deps.catalog,
          credentials: () => auth.getOwnServiceCredentials(),
          productionEnvironment: environments[environments.length - 1].name,
          logger,
        });
        const { pollIntervalMs, rolloutTimeoutMs } = pipeline;
        const engine = new RunEngine({
          store: runs,
          logger,
          instanceId: `${hostname()}-${process.pid}-${randomUUID().slice(
            0,
            8,
          )}`,
          leaseMs: pipeline.leaseMs,
          retry: {
            maxAttempts: 10,
            backoffMs: errors => Math.min(pollIntervalMs * errors, 30_000),
          },
        });
        // The flags service as the pipeline drives it.
        const deploymentFlags: DeploymentFlags = {
          rollout: o => flags.rollout(o),
          turnOff: o => flags.turnOffForDeployment(o),
        };
        const verify = createVerifyStage({
          metrics,
          github,
          environments,
          thresholds: pipeline.thresholds,
          consecutiveBreaches: pipeline.consecutiveBreaches,
          verification: pipeline.verification,
          sampleWindowMs: pipeline.sampleWindowMs,
          verifyWithoutMetrics: pipeline.verifyWithoutMetrics,
        });
        engine.register(
          createDeploymentRunKind({
            entities,
            credentials: () => auth.getOwnServiceCredentials(),
            queue,
            store,
            notifier,
            finished: token => portalDora.deploymentFinished(token),
            handlers: [
              createValidateStage({
                eligibility,
                approvals: store,
                ownership,
              }),
              createBackupStage({
                kubernetes,
                environments,
                locks: store,
                pollIntervalMs,
              }),
              createDeployStage({ kubernetes, github, environments }),
              createRolloutStage({
                kubernetes,
                rolloutTimeoutMs,
                pollIntervalMs,
              }),
              verify,
              createFlagStepStage({ flags: deploymentFlags, verify }),
              createFlagsOffStage({ flags: deploymentFlags, pollIntervalMs }),
              createApprovalStage({
                approvals: store,
                pollIntervalMs,
                timeoutMs: pipeline.approvalTimeoutMs,
              }),
              createJenkinsStage({
                jenkins,
                settings: jenkinsSettings,
                pollIntervalMs,
              }),
              createRollbackStage({
                kubernetes,
                github,
                queue: store,
                onCall: notifier,
                rolloutTimeoutMs,
                pollIntervalMs,
              }),
              createMarkStableStage({
                kubernetes,
                environments,
                stable: store,
                pollIntervalMs,
              }),
            ],
          }),
        );

        // Rollback: the health analysis, the rollback runs, and the automation.
        const rollbackConfig = readRollbackConfig(config);
        const decisions = await DatabaseDecisionStore.create({ database });
        const pagerduty = createPagerDutyProvider(config);
        const rollbackTargets: { current?: RollbackService } = {};
        const analysis = new HealthAnalysisService({
          metrics,
          kubernetes,
          environments,
          rollbacks: rollbackStore,
          deployments: store,
          currentStage: async token => {
            const run = await runs.getRun({ id: token });
            if (!run || run.status !== 'running') return undefined;
            const stages = await runs.listStages({ runIds: [token] });
            const current = stages[run.currentStage];
            return (
              current && {
                kind: current.kind,
                environment: current.environment,
              }
            );
          },
          flagsOn: (ref, environment) => flags.onIn(ref, environment),
          // The rollback service is made below, with this analysis.
          targets: async (service, environment, running) =>
            rollbackTargets.current?.targets(service, environment, running) ??
            {},
          thresholds: rollbackConfig.thresholds,
          windowSeconds: pipeline.sampleWindowMs / 1000,
          baselineSeconds: rollbackConfig.baselineSeconds,
          watchAfterDeployMs: rollbackConfig.watchAfterDeployMs,
          automation: rollbackConfig.automation,
        });
        const deploymentRunning = async (entityRef: string) =>
          (await store.listQueue({ entityRef })).find(
            d => d.status === 'running',
          )?.token;
        const setVersionDeps = {
          kubernetes,
          environments,
          deploymentRunning,
          rolloutTimeoutMs,
          pollIntervalMs,
        };
        engine.register(
          createRollbackRunKind({
            store: rollbackStore,
            changed: async (input, what) => {
              await notifier.rollbackChanged({
                entityRef: input.entityRef,
                environment: input.environment,
                type: 'rollback',
                id: input.id,
              });
              if (what !== 'finished') return;
              const done = await rollbackStore.getRollback({ id: input.id });
              if (!done) return;
              for (const incident of await rollbackStore.incidentsOf({
                rollbackIds: [input.id],
              })) {
                await portalDora.incidentChanged(incident);
              }
              const ok = done.status === 'succeeded';
              await notifier.rollbackAlert({
                entityRef: input.entityRef,
                id: input.id,
                severity: ok ? 'warning' : 'critical',
                resolved: ok,
                title: ok
                  ? `Rollback ${input.id} finished`
                  : `Rollback ${input.id} failed`,
                description: ok
                  ? `${input.entityRef} in ${input.environment}: level ${input.level} done and health restored. The queue stays locked until an owner unlocks it.`
                  : `${input.entityRef} in ${input.environment}: ${
                      done.outcomeReason ?? 'failed'
                    }. On-call was paged.`,
              });
            },
            handlers: [
              createRollbackFlagsOffStage({
                flags: deploymentFlags,
                pollIntervalMs,
              }),
              createStableRollbackStage(setVersionDeps),
              createRestoreStage(setVersionDeps),
              createRerouteStage({ kubernetes, environments }),
              createRecoveryVerifyStage({
                metrics,
                kubernetes,
                environments,
                thresholds: pipeline.thresholds,
                consecutiveBreaches: pipeline.consecutiveBreaches,
                verification: pipeline.verification,
                sampleWindowMs: pipeline.sampleWindowMs,
                verifyWithoutMetrics: pipeline.verifyWithoutMetrics,
              }),
              createEscalateStage({
                ...(pagerduty ? { pagerduty } : {}),
                onCall: notifier,
                link: ref => notifier.rollbackLink(ref),
                pollIntervalMs,
              }),
            ],
          }),
        );
        const rollbacks = new RollbackService({
          store: rollbackStore,
          decisions,
          analysis,
          engine,
          runs,
          deployments: store,
          kubernetes,
          environments,
          permissions: deps.permissions,
          userInfo: deps.userInfo,
          ...(delivery.onCallGroup
            ? { onCallGroup: delivery.onCallGroup }
            : {}),
          started: async (rollback, incident) => {
            await portalDora.incidentChanged(incident);
            await notifier.rollbackChanged({
              entityRef: rollback.entityRef,
              environment: rollback.environment,
              type: 'incident',
              id: rollback.id,
            });
            await notifier.rollbackAlert({
              entityRef: rollback.entityRef,
              id: rollback.id,
              severity:
                incident.severity === 'info' ? 'warning' : incident.severity,
              title: `${
                rollback.automated ? 'Automated rollback' : 'Rollback'
              } ${rollback.id} (level ${rollback.level}) of ${
                rollback.entityRef
              }`,
              description: `${rollback.environment}, by ${rollback.requestedBy}: ${rollback.reason}. Incident ${incident.id} opened; the queue is locked.`,
            });
          },
        });
        rollbackTargets.current = rollbacks;
        const automation = new RollbackAutomation({
          deployments: store,
          entities,
          credentials: () => auth.getOwnServiceCredentials(),
          analysis,
          rollbacks,
          store: rollbackStore,
          decisions,
          environments,
          watchAfterDeployMs: rollbackConfig.watchAfterDeployMs,
          ask: async (entityRef, found) => {
            await notifier.rollbackChanged({
              entityRef,
              environment: found.environment,
              type: 'decision',
            });
            await notifier.rollbackAlert({
              entityRef,
              id: `${entityRef}:${found.environment}:ask`,
              severity: found.decision.severity,
              title: `A person must judge ${entityRef} in ${found.environment}`,
              description: found.decision.reasons.join('; '),
            });
          },
          logger,
        });

        // Ephemeral environments of deploy/* branches.
        const ephemeralConfig = readEphemeralConfig(
          config,
          environments,
          delivery.clusters.map(c => c.name),
        );
        const ephemeralStore = await DatabaseEphemeralStore.create({
          database,
        });
        const namespaces = new ClientNodeNamespaceProvider({
          clusters: delivery.clusters,
          timeoutMs,
        });
        const ephemeralEvents: EnvironmentEvents = {
          changed: record =>
            notifier.environmentChanged({
              entityRef: record.entityRef,
              type: 'ephemeral',
              id: record.id,
            }),
          told: (type, record, detail) =>
            notifier.environmentEvent({
              type,
              environment: record,
              detail,
              links: environmentLinks(ephemeralConfig, record),
            }),
        };
        const ephemeral = new EphemeralEnvironmentService({
          store: ephemeralStore,
          config: ephemeralConfig,
          engine,
          runs,
          kubernetes,
          namespaces,
          github,
          permissions: deps.permissions,
          imageTemplate: delivery.imageTemplate,
          ownership,
          events: ephemeralEvents,
          auditor: deps.auditor,
          logger,
        });
        engine.register(
          createEnvironmentRunKind({
            store: ephemeralStore,
            entities,
            credentials: () => auth.getOwnServiceCredentials(),
            changed: record => ephemeralEvents.changed(record),
            failed: (record, reason) =>
              ephemeralEvents.told('failed', record, reason),
            handlers: [
              createBuildStage({
                jenkins,
                parameters: readJenkinsParameterNames(config),
                branchParameter: ephemeralConfig.jenkinsBranchParameter,
                timeoutMs: ephemeralConfig.buildTimeoutMs,
                pollIntervalMs,
                recordBuild: async (id, build) => {
                  await ephemeralStore.update(
                    id,
                    { build },
                    { at: new Date() },
                  );
                },
              }),
              createNamespaceStage({ namespaces, config: ephemeralConfig }),
              createWorkloadStage({ namespaces, config: ephemeralConfig }),
              createEnvironmentRolloutStage({
                kubernetes,
                rolloutTimeoutMs,
                pollIntervalMs,
              }),
              createCopyFlagsStage({
                namespaces,
                copyFrom: ephemeralConfig.copyFrom.name,
                flagdConfiguration: async (environment, entityRef) =>
                  (await flagSync.snapshot({ environment, service: entityRef }))
                    .configuration,
                recordFlags: async (id, copied) => {
                  await ephemeralStore.update(
                    id,
                    { flags: copied },
                    { at: new Date() },
                  );
                },
              }),
              createAnnounceStage({
                markReady: (id, runId, at) =>
                  ephemeralStore.update(
                    id,
                    { status: 'ready', statusReason: null, readyAt: at },
                    { statuses: ['creating', 'updating'], runId, at },
                  ),
                announce: (record, update) =>
                  ephemeralEvents.told(
                    update ? 'updated' : 'ready',
                    record,
                    `ready until ${record.expiresAt.toISOString()}`,
                  ),
              }),
            ],
          }),
        );
        const gitHubEphemeral = {
          store: ephemeralStore,
          service: ephemeral,
          entities,
          entitiesOfRepository: gitHubDora.entitiesOfRepository,
          catalog: deps.catalog,
          credentials: () => auth.getOwnServiceCredentials(),
          logger,
        };
        await createGitHubEphemeralSubscriber(deps.events, gitHubEphemeral);

        const doraService = new DoraService({
          store: dora,
          catalog: deps.catalog,
          config: doraConfig,
        });
        registerDoraAction(deps.actionsRegistry, doraService);

        httpRouter.use(
          await createRouter({
            httpAuth,
            auditor: deps.auditor,
            entities,
            environments: new EnvironmentsService({
              environments,
              kubernetes,
              observedVersions,
            }),
            commits: new CommitsService({
              github,
              limit: delivery.commitLimit,
            }),
            eligibilityLimit: new EligibilityRateLimiter({
              store: await DatabaseRateLimitStore.create({ database }),
              ...githubBudget.eligibilityRateLimit,
            }),
            deployments: new DeploymentService({
              store,
              queue,
              engine,
              runs,
              eligibility,
              entities,
              kubernetes,
              permissions: deps.permissions,
              userInfo: deps.userInfo,
              ownership,
              imageTemplate: delivery.imageTemplate,
              canVerify: metrics !== undefined || pipeline.verifyWithoutMetrics,
              ...(delivery.onCallGroup
                ? { onCallGroup: delivery.onCallGroup }
                : {}),
              notifier,
              environments,
              approvalGates: pipeline.approvalGates,
              ...(jenkinsSettings ? { jenkins: jenkinsSettings } : {}),
              flags: {
                unknownFlags: (ref, keys) => flags.unknownFlags(ref, keys),
                steps: flagsConfig.rolloutSteps,
              },
              commitMessage: (slug, sha) => github.getCommitMessage(slug, sha),
            }),
            flags,
            rollback: { analysis, rollbacks },
            dora: doraService,
            ephemeral,
            workloads: new WorkloadRegistrationService({
              environments,
              namespaces,
              permissions: deps.permissions,
            }),
            flagSync: {
              sync: flagSync,
              ...(flagsConfig.sync.token
                ? { token: flagsConfig.sync.token }
                : {}),
            },
          }),
        );
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });
        // flagd authenticates with its own bearer token (delivery.flags.sync.token).
        httpRouter.addAuthPolicy({ path: '/flagd', allow: 'unauthenticated' });
        // flagd's gRPC sync on its own port: in-process OpenFeature providers stream from it.
        if (flagsConfig.sync.grpc) {
          // It logs where it listens.
          const server = await startFlagSyncServer({
            source: flagSync,
            host: flagsConfig.sync.grpc.host,
            port: flagsConfig.sync.grpc.port,
            logger,
          });
          deps.lifecycle.addShutdownHook(async () => {
            await server.close();
            flagSync.close();
          });
        }

        // Every replica calls queue heads and advances due runs; conditional updates and fenced
        // leases in the database keep them from colliding.
        await scheduler.scheduleTask({
          id: 'delivery-pipeline',
          scope: 'local',
          frequency: { milliseconds: delivery.tickMs },
          timeout: { minutes: 5 },
          fn: async () => {
            await queue.tick();
            await engine.runDue();
          },
        });
        // The rollback automation, on one replica at a time.
        if (rollbackConfig.automation) {
          await scheduler.scheduleTask({
            id: 'delivery-rollback-automation',
            scope: 'global',
            frequency: { milliseconds: rollbackConfig.analysisIntervalMs },
            timeout: { minutes: 2 },
            fn: async () => {
              await automation.tick();
            },
          });
        }
        // DORA's catch-up: whatever a finished deployment's or rollback's hook could not ingest.
        await scheduler.scheduleTask({
          id: 'delivery-dora-catch-up',
          scope: 'global',
          frequency: { minutes: 5 },
          timeout: { minutes: 5 },
          initialDelay: { seconds: 30 },
          fn: async () => {
            const ingested = await portalDora.catchUp();
            if (ingested > 0) {
              logger.info(`DORA: caught up with ${ingested} portal events`);
            }
          },
        });
        // GitHub deliveries waiting in DORA's inbox: the catalog did not know their repository
        // yet (it reads its locations after start), or their processing failed. Kept a week.
        await scheduler.scheduleTask({
          id: 'delivery-dora-inbox',
          scope: 'global',
          frequency: { seconds: 30 },
          timeout: { minutes: 5 },
          fn: async () => {
            await dora.pruneInbox({ before: Date.now() - 7 * 86_400_000 });
            const done = await processGitHubDoraInbox(gitHubDora);
            if (done > 0) {
              logger.info(`DORA: ${done} waiting GitHub deliveries ingested`);
            }
          },
        });
        // Ephemeral environments: the sweep, on one replica at a time (and on demand).
        if (ephemeralConfig.enabled) {
          await scheduler.scheduleTask({
            id: 'delivery-ephemeral-sweep',
            scope: 'global',
            frequency: { milliseconds: ephemeralConfig.sweepIntervalMs },
            timeout: { minutes: 10 },
            initialDelay: { seconds: 20 },
            fn: async () => {
              const swept = await ephemeral.sweep({
                type: 'system',
                ref: 'delivery',
              });
              if (swept.deleted.length + swept.failed.length > 0) {
                logger.info(
                  `Ephemeral sweep: deleted ${swept.deleted.length} namespaces${
                    swept.failed.length > 0
                      ? `, ${swept.failed.length} failed (${swept.failed
                          .map(f => `${f.namespace}: ${f.reason}`)
                          .join('; ')})`
                      : ''
                  } in ${swept.durationMs} ms`,
                );
              }
            },
          });
        }
        // Reminders before expiry, and GitHub deliveries waiting in the inbox (kept a day).
        await scheduler.scheduleTask({
          id: 'delivery-ephemeral-minutely',
          scope: 'global',
          frequency: { seconds: 30 },
          timeout: { minutes: 5 },
          fn: async () => {
            await ephemeralStore.pruneInbox({
              before: Date.now() - 86_400_000,
            });
            await processEphemeralInbox(gitHubEphemeral);
            await ephemeral.remind();
          },
        });
        // Retention, on one replica at a time.
        await scheduler.scheduleTask({
          id: 'delivery-retention',
          scope: 'global',
          frequency: { hours: 1 },
          timeout: { minutes: 10 },
          initialDelay: { minutes: 1 },
          fn: async () => {
            const pruned = await pruneDelivery({
              runs,
              deployments: store,
              rollbacks: rollbackStore,
              decisions,
              environments: ephemeralStore,
              retention: delivery.retention,
              now: new Date(),
            });
            if (
              pruned.logs +
                pruned.runs +
                pruned.deployments +
                pruned.rollbacks +
                pruned.decisions +
                pruned.environments >
              0
            ) {
              logger.info(
                `Retention: deleted ${pruned.logs} log lines, ${pruned.runs} runs, ${pruned.deployments} deployments, ${pruned.rollbacks} rollbacks, ${pruned.decisions} rollback decisions and ${pruned.environments} deleted ephemeral environments`,
              );
            }
          },
        });
      },
    });
  },
});
