/*
 * The portal backend: catalog, auth, permission (with the delivery policy), scaffolder,
 * notifications, signals and the delivery orchestrator.
 */
import { createBackend } from '@backstage/backend-defaults';
import { deliveryEventsModuleGitHub } from '@internal/plugin-delivery-backend';

const backend = createBackend();

backend.add(import('@backstage/plugin-app-backend'));

backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));

backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(
  import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'),
);
backend.add(import('@backstage/plugin-catalog-backend-module-logs'));

backend.add(import('@backstage/plugin-permission-backend'));
backend.add(import('./modules/permissionPolicy'));

backend.add(import('@backstage/plugin-scaffolder-backend'));
backend.add(
  import('@backstage/plugin-scaffolder-backend-module-notifications'),
);
// publish:github and friends (the demo's GitHub is the sandbox's), and the delivery actions
// of the "Flag-ready service" template (examples/templates/).
backend.add(import('@backstage/plugin-scaffolder-backend-module-github'));
backend.add(import('@internal/plugin-scaffolder-backend-module-delivery'));

backend.add(import('@backstage/plugin-user-settings-backend'));
backend.add(import('@backstage/plugin-notifications-backend'));
backend.add(import('@backstage/plugin-events-backend'));
// GitHub webhooks (signature-checked) on /api/events/http/github, for DORA.
backend.add(deliveryEventsModuleGitHub);
backend.add(import('@backstage/plugin-signals-backend'));

backend.add(import('@internal/plugin-delivery-backend'));

backend.start();
