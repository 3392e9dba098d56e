import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { createDeliveryEnvironmentsAction } from './actions/registerEnvironments';
import { createDeliveryFlagAction } from './actions/createFlag';

/**
 * The delivery suite's scaffolder actions: `delivery:flags:create` and
 * `delivery:environments:register`. They call the delivery backend as the person running the
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
      },
      async init({ scaffolder, discovery, auth }) {
        scaffolder.addActions(
          createDeliveryFlagAction({ discovery, auth }),
          createDeliveryEnvironmentsAction({ discovery, auth }),
        );
      },
    });
  },
});
