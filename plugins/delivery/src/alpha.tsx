import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import { Content } from '@backstage/core-components';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import { Entity } from '@backstage/catalog-model';
import AssessmentIcon from '@material-ui/icons/Assessment';
import { DeliveryClient, deliveryApiRef } from './api';
import { isDeliveryAvailable } from './conditions';
import { isDoraAvailable } from './components/DoraTab/conditions';
import { doraRouteRef } from './routes';

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
 * The Environments tab on the same Component pages: the service's ephemeral environments, one
 * per `deploy/*` branch, with their countdown, links, quota use and stages; create, extend,
 * delete, and for admins persistence and the sweep.
 */
export const environmentsEntityContent = EntityContentBlueprint.make({
  name: 'environments',
  params: {
    path: '/environments',
    title: 'Environments',
    filter: isDeliveryAvailable,
    loader: () =>
      import('./components/EnvironmentsTab').then(m => <m.EnvironmentsTab />),
  },
});

/**
 * The DORA tab on Component pages with a GitHub repository: the six metrics with tiers, targets,
 * trends and the lists behind them.
 */
export const doraEntityContent = EntityContentBlueprint.make({
  name: 'dora',
  params: {
    path: '/dora',
    title: 'DORA',
    filter: isDoraAvailable,
    loader: () => import('./components/DoraTab').then(m => <m.DoraTab />),
  },
});

/** The DORA summary card on the same Components' overview, linking to the tab. */
export const doraEntityCard = EntityCardBlueprint.make({
  name: 'dora',
  params: {
    filter: isDoraAvailable,
    loader: () =>
      import('./components/DoraTab').then(m => <m.EntityDoraCard />),
  },
});

function isGroup(entity: Entity): boolean {
  return entity.kind.toLocaleLowerCase('en-US') === 'group';
}

/** The DORA summary card on Group pages, rolled up over what the group and its sub-teams own. */
export const groupDoraEntityCard = EntityCardBlueprint.make({
  name: 'group-dora',
  params: {
    filter: isGroup,
    loader: () => import('./components/DoraTab').then(m => <m.GroupDoraCard />),
  },
});

/** The DORA organisation page at `/dora`, in the sidebar as "DORA". */
export const doraPage = PageBlueprint.make({
  name: 'dora',
  params: {
    path: '/dora',
    title: 'DORA',
    icon: <AssessmentIcon />,
    routeRef: doraRouteRef,
    loader: () =>
      import('./components/DoraTab').then(m => (
        <Content>
          <m.DoraOrganisationPage />
        </Content>
      )),
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
  routes: { dora: doraRouteRef },
  extensions: [
    deliveryApi,
    deploymentsEntityContent,
    flagsEntityContent,
    rollbackEntityContent,
    environmentsEntityContent,
    doraEntityContent,
    doraEntityCard,
    groupDoraEntityCard,
    doraPage,
  ],
});
