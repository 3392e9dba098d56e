import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { DeliveryClient, deliveryApiRef } from './api';
import { doraRouteRef } from './routes';

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
  routes: { dora: doraRouteRef },
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

/**
 * The Environments tab content for legacy apps (the service's ephemeral environments, one per
 * `deploy/*` branch): put it in an `EntityLayout.Route` at `/environments` with
 * `if={isDeliveryAvailable}`.
 */
export const EntityEnvironmentsContent = deliveryPlugin.provide(
  createComponentExtension({
    name: 'EntityEnvironmentsContent',
    component: {
      lazy: () =>
        import('./components/EnvironmentsTab').then(m => m.EnvironmentsTab),
    },
  }),
);

/**
 * The DORA tab content for legacy apps: put it in an `EntityLayout.Route` at `/dora` with
 * `if={isDoraAvailable}`.
 */
export const EntityDoraContent = deliveryPlugin.provide(
  createComponentExtension({
    name: 'EntityDoraContent',
    component: {
      lazy: () => import('./components/DoraTab').then(m => m.DoraTab),
    },
  }),
);

/**
 * The DORA summary card for a service's overview (the four keys and their tiers, linking to the
 * DORA tab): put it in the overview's grid with `if={isDoraAvailable}`.
 */
export const EntityDoraCard = deliveryPlugin.provide(
  createComponentExtension({
    name: 'EntityDoraCard',
    component: {
      lazy: () => import('./components/DoraTab').then(m => m.EntityDoraCard),
    },
  }),
);

/**
 * The DORA summary card for Group pages, rolled up over the services the group and its
 * sub-teams own.
 */
export const GroupDoraCard = deliveryPlugin.provide(
  createComponentExtension({
    name: 'GroupDoraCard',
    component: {
      lazy: () => import('./components/DoraTab').then(m => m.GroupDoraCard),
    },
  }),
);

/**
 * The DORA organisation page for legacy apps: a group picker, the group's cards and a table of
 * its teams. Mount it on a route, e.g. `<Route path="/dora" element={<DoraPage />} />`.
 */
export const DoraPage = deliveryPlugin.provide(
  createRoutableExtension({
    name: 'DoraPage',
    component: () => import('./components/DoraTab').then(m => m.DoraPage),
    mountPoint: doraRouteRef,
  }),
);
