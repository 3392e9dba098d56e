import { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { CompoundEntityRef } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import {
  CommitsResponse,
  DefaultApiClient,
  Deployment,
  DeploymentsResponse,
  EnvironmentsResponse,
  Eligibility,
  RequestDeploymentResponse,
  TypedResponse,
  CreateFlagRequest,
  FlagChange,
  FlagEnvironmentChangeRequest,
  FlagHistoryEntry,
  FlagPreviewRequest,
  FlagPreviewResult,
  FlagsResponse,
  KillFlagRequest,
  ServiceFlag,
  DecisionRecord,
  HealthResponse,
  Incident,
  Rollback,
  StartRollbackRequest,
  DoraDetailsResponse,
  DoraResponse,
  CreateEphemeralEnvironmentRequest,
  EphemeralEnvironment,
  EphemeralEnvironmentsResponse,
  SweepResponse,
} from '@internal/plugin-delivery-common';
import {
  DeliveryApi,
  DoraCsvFile,
  DoraDetailsQuery,
  DoraQuery,
  FlagChangeOutcome,
} from './DeliveryApi';

/**
 * {@link DeliveryApi} over HTTP, through discovery and the app's authenticated fetch: the client
 * generated from the backend's OpenAPI spec, with errors turned into `ResponseError`s.
 */
export class DeliveryClient implements DeliveryApi {
  readonly #api: DefaultApiClient;

  constructor(options: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {
    this.#api = new DefaultApiClient(options);
  }

  getEnvironments(entity: CompoundEntityRef): Promise<EnvironmentsResponse> {
    return body(this.#api.getEnvironments({ path: entityPath(entity) }));
  }

  getCommits(entity: CompoundEntityRef): Promise<CommitsResponse> {
    return body(this.#api.getCommits({ path: entityPath(entity) }));
  }

  async getEligibility(
    entity: CompoundEntityRef,
    commitShas: string[],
  ): Promise<Eligibility[]> {
    if (commitShas.length === 0) return [];
    const { eligibility } = await body(
      this.#api.getEligibility({
        path: entityPath(entity),
        query: { commit: commitShas },
      }),
    );
    return eligibility;
  }

  getDeployments(entity: CompoundEntityRef): Promise<DeploymentsResponse> {
    return body(this.#api.getDeployments({ path: entityPath(entity) }));
  }

  getDeployment(token: string): Promise<Deployment> {
    return body(this.#api.getDeployment({ path: { token } }));
  }

  requestDeployment(
    entity: CompoundEntityRef,
    commitSha: string,
  ): Promise<RequestDeploymentResponse> {
    return body(
      this.#api.requestDeployment({
        path: entityPath(entity),
        body: { commitSha },
      }),
    );
  }

  startDeployment(token: string): Promise<Deployment> {
    return body(this.#api.startDeployment({ path: { token } }));
  }

  cancelDeployment(token: string, reason?: string): Promise<Deployment> {
    return body(
      this.#api.cancelDeployment({
        path: { token },
        ...(reason ? { body: { reason } } : {}),
      }),
    );
  }

  approveDeployment(token: string): Promise<Deployment> {
    return body(this.#api.approveDeployment({ path: { token } }));
  }

  lockQueue(
    entity: CompoundEntityRef,
    reason: string,
  ): Promise<DeploymentsResponse> {
    return body(
      this.#api.lockQueue({ path: entityPath(entity), body: { reason } }),
    );
  }

  unlockQueue(entity: CompoundEntityRef): Promise<DeploymentsResponse> {
    return body(this.#api.unlockQueue({ path: entityPath(entity) }));
  }

  getFlags(
    entity: CompoundEntityRef,
    options: { archived?: boolean } = {},
  ): Promise<FlagsResponse> {
    return body(
      this.#api.getFlags({
        path: entityPath(entity),
        query: options.archived ? { archived: true } : {},
      }),
    );
  }

  getFlag(entity: CompoundEntityRef, key: string): Promise<ServiceFlag> {
    return body(this.#api.getFlag({ path: { ...entityPath(entity), key } }));
  }

  createFlag(
    entity: CompoundEntityRef,
    request: CreateFlagRequest,
  ): Promise<ServiceFlag> {
    return body(
      this.#api.createFlag({ path: entityPath(entity), body: request }),
    );
  }

  async changeFlag(
    entity: CompoundEntityRef,
    key: string,
    environment: string,
    change: FlagEnvironmentChangeRequest,
  ): Promise<FlagChangeOutcome> {
    const response = await this.#api.changeFlag({
      path: { ...entityPath(entity), key, environment },
      body: change,
    });
    if (!response.ok) {
      throw await ResponseError.fromResponse(response as Response);
    }
    const result = await response.json();
    // 202: accepted, not applied; it waits for someone else's approval.
    return { result, pending: response.status === 202 };
  }

  killFlag(
    entity: CompoundEntityRef,
    key: string,
    request: KillFlagRequest,
  ): Promise<ServiceFlag> {
    return body(
      this.#api.killFlag({
        path: { ...entityPath(entity), key },
        body: request,
      }),
    );
  }

  archiveFlag(
    entity: CompoundEntityRef,
    key: string,
    reason?: string,
  ): Promise<ServiceFlag> {
    return body(
      this.#api.archiveFlag({
        path: { ...entityPath(entity), key },
        ...(reason ? { body: { reason } } : {}),
      }),
    );
  }

  async getFlagHistory(
    entity: CompoundEntityRef,
    key: string,
  ): Promise<FlagHistoryEntry[]> {
    const { history } = await body(
      this.#api.getFlagHistory({ path: { ...entityPath(entity), key } }),
    );
    return history;
  }

  async previewFlag(
    entity: CompoundEntityRef,
    key: string,
    request: FlagPreviewRequest,
  ): Promise<FlagPreviewResult[]> {
    const { results } = await body(
      this.#api.previewFlag({
        path: { ...entityPath(entity), key },
        body: request,
      }),
    );
    return results;
  }

  approveFlagChange(id: string, reason?: string): Promise<FlagChange> {
    return body(
      this.#api.approveFlagChange({
        path: { id },
        ...(reason ? { body: { reason } } : {}),
      }),
    );
  }

  rejectFlagChange(id: string, reason?: string): Promise<FlagChange> {
    return body(
      this.#api.rejectFlagChange({
        path: { id },
        ...(reason ? { body: { reason } } : {}),
      }),
    );
  }

  getServiceHealth(
    entity: CompoundEntityRef,
    environment: string,
  ): Promise<HealthResponse> {
    return body(
      this.#api.getServiceHealth({
        path: entityPath(entity),
        query: { environment },
      }),
    );
  }

  async getRollbacks(entity: CompoundEntityRef): Promise<Rollback[]> {
    const { items } = await body(
      this.#api.getRollbacks({ path: entityPath(entity) }),
    );
    return items;
  }

  getRollback(id: string): Promise<Rollback> {
    return body(this.#api.getRollback({ path: { id } }));
  }

  async startRollback(
    entity: CompoundEntityRef,
    request: StartRollbackRequest,
  ): Promise<Rollback> {
    const { rollback } = await body(
      this.#api.startRollback({ path: entityPath(entity), body: request }),
    );
    return rollback;
  }

  async getIncidents(entity: CompoundEntityRef): Promise<Incident[]> {
    const { items } = await body(
      this.#api.getIncidents({ path: entityPath(entity) }),
    );
    return items;
  }

  async getRollbackDecisions(
    entity: CompoundEntityRef,
    environment?: string,
  ): Promise<DecisionRecord[]> {
    const { items } = await body(
      this.#api.getRollbackDecisions({
        path: entityPath(entity),
        query: environment ? { environment } : {},
      }),
    );
    return items;
  }

  getDora(query: DoraQuery): Promise<DoraResponse> {
    return body(this.#api.getDora({ query }));
  }

  getDoraDetails(query: DoraDetailsQuery): Promise<DoraDetailsResponse> {
    return body(this.#api.getDoraDetails({ query }));
  }

  async getDoraDetailsCsv(
    query: Omit<DoraDetailsQuery, 'limit' | 'offset'>,
  ): Promise<DoraCsvFile> {
    const response = await this.#api.getDoraDetails({
      query: { ...query, format: 'csv' },
    });
    if (!response.ok) {
      throw await ResponseError.fromResponse(response as Response);
    }
    const filename = attachmentName(
      response.headers.get('Content-Disposition'),
    );
    return { blob: await response.blob(), ...(filename ? { filename } : {}) };
  }

  getEphemeralEnvironments(
    entity: CompoundEntityRef,
  ): Promise<EphemeralEnvironmentsResponse> {
    return body(
      this.#api.getEphemeralEnvironments({ path: entityPath(entity) }),
    );
  }

  createEphemeralEnvironment(
    entity: CompoundEntityRef,
    request: CreateEphemeralEnvironmentRequest,
  ): Promise<EphemeralEnvironment> {
    return body(
      this.#api.createEphemeralEnvironment({
        path: entityPath(entity),
        body: request,
      }),
    );
  }

  getEphemeralEnvironment(id: string): Promise<EphemeralEnvironment> {
    return body(this.#api.getEphemeralEnvironment({ path: { id } }));
  }

  deleteEphemeralEnvironment(id: string): Promise<EphemeralEnvironment> {
    return body(this.#api.deleteEphemeralEnvironment({ path: { id } }));
  }

  extendEphemeralEnvironment(
    id: string,
    minutes: number,
  ): Promise<EphemeralEnvironment> {
    return body(
      this.#api.extendEphemeralEnvironment({
        path: { id },
        body: { minutes },
      }),
    );
  }

  setEphemeralPersistence(
    id: string,
    persistent: boolean,
  ): Promise<EphemeralEnvironment> {
    return body(
      this.#api.setEphemeralPersistence({
        path: { id },
        body: { persistent },
      }),
    );
  }

  sweepEphemeralEnvironments(): Promise<SweepResponse> {
    return body(this.#api.sweepEphemeralEnvironments());
  }
}

/** The file name of a `Content-Disposition: attachment; filename="…"` header, if it gives one. */
function attachmentName(header: string | null): string | undefined {
  const match = header?.match(/filename\*?=(?:UTF-8'')?"?([^";]+)"?/i);
  if (!match) return undefined;
  try {
    return decodeURIComponent(match[1].trim());
  } catch {
    return match[1].trim();
  }
}

/** The typed body of a successful response; a `ResponseError` otherwise. */
async function body<T>(pending: Promise<TypedResponse<T>>): Promise<T> {
  const response = await pending;
  if (!response.ok) {
    throw await ResponseError.fromResponse(response as Response);
  }
  return response.json();
}

/** Catalog refs are case-insensitive; the backend's routes take them in lower case. */
function entityPath(entity: CompoundEntityRef) {
  const lower = (part: string) => part.toLocaleLowerCase('en-US');
  return {
    namespace: lower(entity.namespace),
    kind: lower(entity.kind),
    name: lower(entity.name),
  };
}
