import { createApiRef } from '@backstage/core-plugin-api';
import { CompoundEntityRef } from '@backstage/catalog-model';
import {
  CommitsResponse,
  Deployment,
  DeploymentsResponse,
  Eligibility,
  EnvironmentsResponse,
  RequestDeploymentResponse,
} from '@internal/plugin-delivery-common';

/** The delivery backend, as the tabs use it. */
export interface DeliveryApi {
  getEnvironments(entity: CompoundEntityRef): Promise<EnvironmentsResponse>;
  getCommits(entity: CompoundEntityRef): Promise<CommitsResponse>;
  /** Eligibility of each of the given commits (the Deploy buttons' state and reasons). */
  getEligibility(
    entity: CompoundEntityRef,
    commitShas: string[],
  ): Promise<Eligibility[]>;
  /** The service's queue (running first), its finished deployments and its lock. */
  getDeployments(entity: CompoundEntityRef): Promise<DeploymentsResponse>;
  /** One deployment with its stages and logs. */
  getDeployment(token: string): Promise<Deployment>;
  /** Requests a deployment; rejects with a 422 ResponseError listing reasons when ineligible. */
  requestDeployment(
    entity: CompoundEntityRef,
    commitSha: string,
  ): Promise<RequestDeploymentResponse>;
  startDeployment(token: string): Promise<Deployment>;
  /**
   * Cancels a deployment (its requester), or aborts someone else's (the service's owners and
   * the on-call group) with a reason its requester is told.
   */
  cancelDeployment(token: string, reason?: string): Promise<Deployment>;
  approveDeployment(token: string): Promise<Deployment>;
  lockQueue(
    entity: CompoundEntityRef,
    reason: string,
  ): Promise<DeploymentsResponse>;
  unlockQueue(entity: CompoundEntityRef): Promise<DeploymentsResponse>;
}

/** Reference to the {@link DeliveryApi}. */
export const deliveryApiRef = createApiRef<DeliveryApi>({
  id: 'plugin.delivery.api',
});
