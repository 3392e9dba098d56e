import { createApiRef } from '@backstage/core-plugin-api';
import { CompoundEntityRef } from '@backstage/catalog-model';
import {
  CommitsResponse,
  Deployment,
  DeploymentsResponse,
  Eligibility,
  EnvironmentsResponse,
  RequestDeploymentResponse,
  CreateFlagRequest,
  FlagChange,
  FlagChangeResult,
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

/**
 * What came of a flag change: applied at once (200), or waiting for a second person's approval
 * (202, `pending` true and `result.pending` the waiting change).
 */
export interface FlagChangeOutcome {
  result: FlagChangeResult;
  pending: boolean;
}

/**
 * Whose DORA metrics: a service (`entity`, e.g. `component:default/payments-api`) or a team
 * (`group`, e.g. `group:default/team-payments`, rolled up over the services it and its sub-teams
 * own). Exactly one of the two.
 */
export type DoraScopeQuery = { entity: string } | { group: string };

/**
 * A DORA query: the scope and the period [from, to). `from` should carry the user's offset
 * (a local midnight), since the trend's intervals start there.
 */
export type DoraQuery = DoraScopeQuery & {
  from?: string;
  to?: string;
  /** The trend's intervals (week by default). */
  interval?: 'day' | 'week';
};

/** Which list lies behind a DORA metric. */
export type DoraDetailsKind = 'deployments' | 'commits' | 'incidents';

/** A page of the list behind a metric. */
export type DoraDetailsQuery = DoraScopeQuery & {
  from?: string;
  to?: string;
  kind: DoraDetailsKind;
  limit?: number;
  offset?: number;
};

/** A CSV export as the backend answered it, ready to be saved. */
export interface DoraCsvFile {
  blob: Blob;
  /** The name the backend suggests (Content-Disposition), if any. */
  filename?: string;
}

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

  /**
   * The service's flags with their settings per environment (pipeline order), the environments
   * where changes wait for approval, and the changes waiting. Archived flags only on request.
   */
  getFlags(
    entity: CompoundEntityRef,
    options?: { archived?: boolean },
  ): Promise<FlagsResponse>;
  /** One flag, archived or not. */
  getFlag(entity: CompoundEntityRef, key: string): Promise<ServiceFlag>;
  /** Creates a flag, off everywhere; a 422 names each problem, a 409 a taken key. */
  createFlag(
    entity: CompoundEntityRef,
    request: CreateFlagRequest,
  ): Promise<ServiceFlag>;
  /**
   * Changes a flag in one environment. Where approval is required, a change that turns anything
   * on is not applied but waits: the outcome says `pending`.
   */
  changeFlag(
    entity: CompoundEntityRef,
    key: string,
    environment: string,
    change: FlagEnvironmentChangeRequest,
  ): Promise<FlagChangeOutcome>;
  /** The kill switch: off at once in one environment, or all when none is named. */
  killFlag(
    entity: CompoundEntityRef,
    key: string,
    request: KillFlagRequest,
  ): Promise<ServiceFlag>;
  /** Archives a flag; a 409 while it is on anywhere. */
  archiveFlag(
    entity: CompoundEntityRef,
    key: string,
    reason?: string,
  ): Promise<ServiceFlag>;
  /** Every recorded change of a flag, newest first. */
  getFlagHistory(
    entity: CompoundEntityRef,
    key: string,
  ): Promise<FlagHistoryEntry[]>;
  /** What each context gets in an environment, evaluated by flagd's own evaluator. */
  previewFlag(
    entity: CompoundEntityRef,
    key: string,
    request: FlagPreviewRequest,
  ): Promise<FlagPreviewResult[]>;
  /** Approves someone else's pending change, which is applied at once. */
  approveFlagChange(id: string, reason?: string): Promise<FlagChange>;
  /** Rejects a pending change (its requester withdraws it this way). */
  rejectFlagChange(id: string, reason?: string): Promise<FlagChange>;

  /**
   * The service's health in one environment, the window it covers, the last hour's series, the
   * decision engine's recommendation and whether it acts on its own there. A 503 or 502 when the
   * metrics cannot be read.
   */
  getServiceHealth(
    entity: CompoundEntityRef,
    environment: string,
  ): Promise<HealthResponse>;
  /** The service's rollbacks, newest first, running ones included. */
  getRollbacks(entity: CompoundEntityRef): Promise<Rollback[]>;
  /** One rollback with its stages and their logs. */
  getRollback(id: string): Promise<Rollback>;
  /**
   * Starts a rollback (202); a 409 while another rollback of the service runs, a 403 when the
   * user may not.
   */
  startRollback(
    entity: CompoundEntityRef,
    request: StartRollbackRequest,
  ): Promise<Rollback>;
  /** The service's incidents, newest first. */
  getIncidents(entity: CompoundEntityRef): Promise<Incident[]>;
  /** The engine's recent decisions, newest first, in one environment or all. */
  getRollbackDecisions(
    entity: CompoundEntityRef,
    environment?: string,
  ): Promise<DecisionRecord[]>;

  /** DORA's metrics of a service or a team over a period, with tiers, targets and a trend. */
  getDora(query: DoraQuery): Promise<DoraResponse>;
  /** A page of the deployments, commits or incidents behind the metrics, newest first. */
  getDoraDetails(query: DoraDetailsQuery): Promise<DoraDetailsResponse>;
  /**
   * The whole list behind the metrics as CSV (up to 100,000 rows), read through the app's
   * authenticated fetch: the route needs the user's token, so a plain link would not do.
   */
  getDoraDetailsCsv(
    query: Omit<DoraDetailsQuery, 'limit' | 'offset'>,
  ): Promise<DoraCsvFile>;

  /**
   * The service's ephemeral environments (live ones first, newest first, with their quota use;
   * then the last deleted ones) and how they are set up here (`delivery.ephemeral`).
   */
  getEphemeralEnvironments(
    entity: CompoundEntityRef,
  ): Promise<EphemeralEnvironmentsResponse>;
  /**
   * Creates the environment of a `deploy/*` branch, as a push of the branch would (202, being
   * created); a 409 when the branch already has a live one, a 422 for a lifetime beyond the
   * maximum, a 503 when no cluster is configured for them.
   */
  createEphemeralEnvironment(
    entity: CompoundEntityRef,
    request: CreateEphemeralEnvironmentRequest,
  ): Promise<EphemeralEnvironment>;
  /** One environment with the stages and logs of its latest creation or update. */
  getEphemeralEnvironment(id: string): Promise<EphemeralEnvironment>;
  /** Deletes an environment's namespace now (its creator, or with the delete permission). */
  deleteEphemeralEnvironment(id: string): Promise<EphemeralEnvironment>;
  /** Moves an environment's expiry by some minutes; a 422 beyond the maximum lifetime. */
  extendEphemeralEnvironment(
    id: string,
    minutes: number,
  ): Promise<EphemeralEnvironment>;
  /** Makes an environment persistent (the sweep leaves it) or ephemeral again; admins only. */
  setEphemeralPersistence(
    id: string,
    persistent: boolean,
  ): Promise<EphemeralEnvironment>;
  /** Runs the sweep of expired environments and orphaned namespaces now; admins only. */
  sweepEphemeralEnvironments(): Promise<SweepResponse>;
}

/** Reference to the {@link DeliveryApi}. */
export const deliveryApiRef = createApiRef<DeliveryApi>({
  id: 'plugin.delivery.api',
});
