import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { DeliveryClient, deliveryApiRef } from './api';

/** The delivery plugin for apps on the legacy frontend system. */
export const deliveryPlugin = createPlugin({
  id: 'delivery',
  apis: [
    createApiFactory({
      api: deliveryApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new DeliveryClient({ discoveryApi, fetchApi }),
    }),
  ],
});

/**
 * The Deployments tab content for legacy apps: put it in an `EntityLayout.Route` with
 * `if={isDeliveryAvailable}`.
 */
export const EntityDeploymentsContent = deliveryPlugin.provide(
  createComponentExtension({
    name: 'EntityDeploymentsContent',
    component: {
      lazy: () =>
        import('./components/DeploymentsTab').then(m => m.DeploymentsTab),
    },
  }),
);

/**
 * The Flags tab content for legacy apps: put it in an `EntityLayout.Route` with
 * `if={isDeliveryAvailable}`.
 */
export const EntityFlagsContent = deliveryPlugin.provide(
  createComponentExtension({
    name: 'EntityFlagsContent',
    component: {
      lazy: () => import('./components/FlagsTab').then(m => m.FlagsTab),
    },
  }),
);

/**
 * The Rollback tab content for legacy apps: put it in an `EntityLayout.Route` with
 * `if={isDeliveryAvailable}`, next to the Flags tab.
 */
export const EntityRollbackContent = deliveryPlugin.provide(
  createComponentExtension({
    name: 'EntityRollbackContent',
    component: {
      lazy: () => import('./components/RollbackTab').then(m => m.RollbackTab),
    },
  }),
);
