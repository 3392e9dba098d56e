import { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { CompoundEntityRef } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import {
  CommitsResponse,
  EnvironmentsResponse,
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
    return this.#get(`${entityPath(entity)}/environments`);
  }

  getCommits(entity: CompoundEntityRef): Promise<CommitsResponse> {
    return this.#get(`${entityPath(entity)}/commits`);
  }

  async #get<T>(path: string): Promise<T> {
    const baseUrl = await this.options.discoveryApi.getBaseUrl('delivery');
    const response = await this.options.fetchApi.fetch(`${baseUrl}/${path}`);
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
