import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import { ANNOTATION_JENKINS_JOB } from '@internal/plugin-delivery-common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { readDeliveryConfig } from './config';
import { DatabaseDeploymentStore } from './database/DatabaseDeploymentStore';
import { DatabaseObservedVersionsStore } from './database/DatabaseObservedVersionsStore';
import { GitHubProvider } from './providers/GitHubProvider';
import { KubernetesProvider } from './providers/KubernetesProvider';
import { createJenkinsProvider } from './providers/jenkins';
import { createMetricsProvider } from './providers/metrics';
import { CommitsService } from './services/CommitsService';
import { DeploymentService } from './services/DeploymentService';
import { EligibilityService } from './services/EligibilityService';
import { EntityResolver } from './services/EntityResolver';
import { EnvironmentsService } from './services/EnvironmentsService';
import { Notifier } from './services/Notifier';
import { PipelineEngine } from './services/pipeline/PipelineEngine';
import { createRouter } from './router/router';

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
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        database: coreServices.database,
        auth: coreServices.auth,
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
        permissions: coreServices.permissions,
        auditor: coreServices.auditor,
        scheduler: coreServices.scheduler,
        catalog: catalogServiceRef,
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
        const delivery = readDeliveryConfig(config);
        const timeoutMs = delivery.requestTimeoutMs;
        const kubernetes = new KubernetesProvider({
          clusters: delivery.clusters,
          timeoutMs,
        });
        const github = GitHubProvider.fromConfig(config, {
          host: delivery.githubHost,
          timeoutMs,
        });
        const metrics = createMetricsProvider(config, { timeoutMs });
        const jenkins = createJenkinsProvider(config, { timeoutMs });
        const observedVersions = await DatabaseObservedVersionsStore.create({
          database,
        });
        const store = await DatabaseDeploymentStore.create({ database });
        const entities = new EntityResolver(deps.catalog);
        const eligibility = new EligibilityService({
          github,
          blockingLabel: delivery.blockingLabel,
        });
        const notifier = new Notifier({
          logger,
          notifications: deps.notifications,
          signals: deps.signals,
          chatWebhookUrl: delivery.chatWebhookUrl,
          // Links in messages point at the portal; relative when no app URL is configured.
          appBaseUrl: config.getOptionalString('app.baseUrl') ?? '',
        });
        const jenkinsSettings = jenkins
          ? {
              environment: delivery.pipeline.jenkinsEnvironment,
              timeoutMs: delivery.pipeline.jenkinsTimeoutMs,
              jobAnnotation: ANNOTATION_JENKINS_JOB,
            }
          : undefined;
        const engine = new PipelineEngine({
          store,
          kubernetes,
          github,
          metrics,
          jenkins,
          eligibility,
          entities,
          credentials: () => auth.getOwnServiceCredentials(),
          notifier,
          logger,
          settings: {
            environments: delivery.environments,
            callTimeoutMs: delivery.callTimeoutMs,
            rolloutTimeoutMs: delivery.pipeline.rolloutTimeoutMs,
            verification: delivery.pipeline.verification,
            thresholds: delivery.pipeline.thresholds,
            consecutiveBreaches: delivery.pipeline.consecutiveBreaches,
            productionApproval: delivery.pipeline.productionApproval,
            ...(jenkinsSettings ? { jenkins: jenkinsSettings } : {}),
            maxStepAttempts: 10,
            pollIntervalMs: delivery.pipeline.pollIntervalMs,
            leaseMs: delivery.pipeline.leaseMs,
          },
          instanceId: `${hostname()}-${process.pid}-${randomUUID().slice(
            0,
            8,
          )}`,
        });

        httpRouter.use(
          await createRouter({
            httpAuth,
            auditor: deps.auditor,
            entities,
            environments: new EnvironmentsService({
              environments: delivery.environments,
              kubernetes,
              observedVersions,
            }),
            commits: new CommitsService({
              github,
              limit: delivery.commitLimit,
            }),
            deployments: new DeploymentService({
              store,
              engine,
              eligibility,
              entities,
              kubernetes,
              permissions: deps.permissions,
              notifier,
              environments: delivery.environments,
              productionApproval: delivery.pipeline.productionApproval,
              ...(jenkinsSettings ? { jenkins: jenkinsSettings } : {}),
            }),
          }),
        );
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });

        // Every replica advances due runs; leases in the database keep them from colliding.
        await scheduler.scheduleTask({
          id: 'delivery-pipeline',
          scope: 'local',
          frequency: { milliseconds: delivery.tickMs },
          timeout: { minutes: 5 },
          fn: () => engine.tick(),
        });
      },
    });
  },
});
