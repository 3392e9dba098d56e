import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { createDeliveryEnvironmentsAction } from './actions/registerEnvironments';
import { createDeliveryFlagAction } from './actions/createFlag';
import { createValidateOwnerAction } from './actions/validateOwner';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';

/**
 * The delivery suite's scaffolder actions: `delivery:owner:validate`, `delivery:flags:create`
 * and `delivery:environments:register`. They call the delivery backend as the person running the
 * template, so its permission policy and audit apply.
 */
export const scaffolderModuleDelivery = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'delivery',
  register(reg) {
    reg.registerInit({
      deps: {
        scaffolder: scaffolderActionsExtensionPoint,
        discovery: coreServices.discovery,
        auth: coreServices.auth,
        userInfo: coreServices.userInfo,
        catalog: catalogServiceRef,
      },
      async init({ scaffolder, discovery, auth, userInfo, catalog }) {
        scaffolder.addActions(
          createValidateOwnerAction({ catalog, userInfo }),
          createDeliveryFlagAction({ discovery, auth }),
          createDeliveryEnvironmentsAction({ discovery, auth }),
        );
      },
    });
  },
});
