import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/frontend-plugin-api';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { DeliveryClient, deliveryApiRef } from './api';
import { isDeliveryAvailable } from './conditions';

const deliveryApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: deliveryApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new DeliveryClient({ discoveryApi, fetchApi }),
    }),
});

/** The Deployments tab on Component pages that carry the delivery annotations. */
export const deploymentsEntityContent = EntityContentBlueprint.make({
  name: 'deployments',
  params: {
    path: '/deployments',
    title: 'Deployments',
    filter: isDeliveryAvailable,
    loader: () =>
      import('./components/DeploymentsTab').then(m => <m.DeploymentsTab />),
  },
});

/** The Flags tab on the same Component pages: flags per environment, rollouts, approvals. */
export const flagsEntityContent = EntityContentBlueprint.make({
  name: 'flags',
  params: {
    path: '/flags',
    title: 'Flags',
    filter: isDeliveryAvailable,
    loader: () => import('./components/FlagsTab').then(m => <m.FlagsTab />),
  },
});

/**
 * The Rollback tab on the same Component pages: health per environment, the decision engine's
 * recommendation, the rollback levels, the running rollback and the incidents.
 */
export const rollbackEntityContent = EntityContentBlueprint.make({
  name: 'rollback',
  params: {
    path: '/rollback',
    title: 'Rollback',
    filter: isDeliveryAvailable,
    loader: () =>
      import('./components/RollbackTab').then(m => <m.RollbackTab />),
  },
});

/**
 * The delivery plugin for apps on the new frontend system.
 *
 * @alpha
 */
export default createFrontendPlugin({
  pluginId: 'delivery',
  title: 'Delivery',
  extensions: [
    deliveryApi,
    deploymentsEntityContent,
    flagsEntityContent,
    rollbackEntityContent,
  ],
});
