import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { readDeliveryConfig } from './config';
import { DatabaseObservedVersionsStore } from './database/DatabaseObservedVersionsStore';
import { GitHubProvider } from './providers/GitHubProvider';
import { KubernetesProvider } from './providers/KubernetesProvider';
import { CommitsService } from './services/CommitsService';
import { EntityResolver } from './services/EntityResolver';
import { EnvironmentsService } from './services/EnvironmentsService';
import { createRouter } from './service/router';

/**
 * The delivery backend plugin: environments and commits of services, read from Kubernetes and
 * GitHub. Routes are served under `/api/delivery`.
 *
 * @public
 */
export const deliveryPlugin = createBackendPlugin({
  pluginId: 'delivery',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        database: coreServices.database,
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
        catalog: catalogServiceRef,
      },
      async init({ config, database, httpAuth, httpRouter, catalog }) {
        const delivery = readDeliveryConfig(config);
        const kubernetes = new KubernetesProvider({
          clusters: delivery.clusters,
          timeoutMs: delivery.requestTimeoutMs,
        });
        const github = GitHubProvider.fromConfig(config, {
          host: delivery.githubHost,
          timeoutMs: delivery.requestTimeoutMs,
        });
        const observedVersions = await DatabaseObservedVersionsStore.create({
          database,
        });

        httpRouter.use(
          createRouter({
            httpAuth,
            entities: new EntityResolver(catalog),
            environments: new EnvironmentsService({
              environments: delivery.environments,
              kubernetes,
              observedVersions,
            }),
            commits: new CommitsService({
              github,
              limit: delivery.commitLimit,
            }),
          }),
        );
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });
      },
    });
  },
});
