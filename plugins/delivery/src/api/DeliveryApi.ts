import { createApiRef } from '@backstage/core-plugin-api';
import { CompoundEntityRef } from '@backstage/catalog-model';
import {
  CommitsResponse,
  EnvironmentsResponse,
} from '@internal/plugin-delivery-common';

/** The delivery backend, as the tabs use it. */
export interface DeliveryApi {
  getEnvironments(entity: CompoundEntityRef): Promise<EnvironmentsResponse>;
  getCommits(entity: CompoundEntityRef): Promise<CommitsResponse>;
}

/** Reference to the {@link DeliveryApi}. */
export const deliveryApiRef = createApiRef<DeliveryApi>({
  id: 'plugin.delivery.api',
});
