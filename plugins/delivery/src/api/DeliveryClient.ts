import { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { CompoundEntityRef } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import {
  CommitsResponse,
  Deployment,
  DeploymentsResponse,
  EnvironmentsResponse,
  Eligibility,
  RequestDeploymentResponse,
} from '@internal/plugin-delivery-common';
import { DeliveryApi } from './DeliveryApi';

/** {@link DeliveryApi} over HTTP, through discovery and the app's authenticated fetch. */
export class DeliveryClient implements DeliveryApi {
  constructor(
    private readonly options: {
      discoveryApi: DiscoveryApi;
      fetchApi: FetchApi;
    },
  ) {}

  getEnvironments(entity: CompoundEntityRef): Promise<EnvironmentsResponse> {
    return this.#call('GET', `${entityPath(entity)}/environments`);
  }

  getCommits(entity: CompoundEntityRef): Promise<CommitsResponse> {
    return this.#call('GET', `${entityPath(entity)}/commits`);
  }

  async getEligibility(
    entity: CompoundEntityRef,
    commitShas: string[],
  ): Promise<Eligibility[]> {
    if (commitShas.length === 0) return [];
    const query = commitShas
      .map(sha => `commit=${encodeURIComponent(sha)}`)
      .join('&');
    const body = await this.#call<{ eligibility: Eligibility[] }>(
      'GET',
      `${entityPath(entity)}/eligibility?${query}`,
    );
    return body.eligibility;
  }

  getDeployments(entity: CompoundEntityRef): Promise<DeploymentsResponse> {
    return this.#call('GET', `${entityPath(entity)}/deployments`);
  }

  getDeployment(token: string): Promise<Deployment> {
    return this.#call('GET', `deployments/${encodeURIComponent(token)}`);
  }

  requestDeployment(
    entity: CompoundEntityRef,
    commitSha: string,
  ): Promise<RequestDeploymentResponse> {
    return this.#call('POST', `${entityPath(entity)}/deployments`, {
      commitSha,
    });
  }

  startDeployment(token: string): Promise<Deployment> {
    return this.#call('POST', `deployments/${encodeURIComponent(token)}/start`);
  }

  cancelDeployment(token: string): Promise<Deployment> {
    return this.#call(
      'POST',
      `deployments/${encodeURIComponent(token)}/cancel`,
    );
  }

  approveDeployment(token: string): Promise<Deployment> {
    return this.#call(
      'POST',
      `deployments/${encodeURIComponent(token)}/approve`,
    );
  }

  lockQueue(
    entity: CompoundEntityRef,
    reason: string,
  ): Promise<DeploymentsResponse> {
    return this.#call('POST', `${entityPath(entity)}/queue/lock`, { reason });
  }

  unlockQueue(entity: CompoundEntityRef): Promise<DeploymentsResponse> {
    return this.#call('POST', `${entityPath(entity)}/queue/unlock`);
  }

  async #call<T>(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<T> {
    const baseUrl = await this.options.discoveryApi.getBaseUrl('delivery');
    const url = `${baseUrl}/${path}`;
    const response =
      method === 'GET'
        ? await this.options.fetchApi.fetch(url)
        : await this.options.fetchApi.fetch(url, {
            method,
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify(body ?? {}),
          });
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return (await response.json()) as T;
  }
}

function entityPath(entity: CompoundEntityRef): string {
  return ['entities', entity.namespace, entity.kind, entity.name]
    .map(part => encodeURIComponent(part.toLocaleLowerCase('en-US')))
    .join('/');
}
