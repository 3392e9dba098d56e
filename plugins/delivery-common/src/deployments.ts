/**
 * The deployment queue and pipeline, as the backend API exposes them.
 *
 * A developer requests a deployment of a commit; it gets a token `DEP-<timestamp>-<seq>` and a
 * place in the service's FIFO queue. The head of the queue is *called* when nothing else is
 * running for the service and the queue is not locked; the requester must start it before the
 * call expires. Started, it runs the pipeline stage by stage. The API types are generated from
 * the OpenAPI spec (see ./types).
 */
import type { DeploymentStatus } from './types';

/** Statuses after which nothing changes any more. */
export const TERMINAL_DEPLOYMENT_STATUSES: readonly DeploymentStatus[] = [
  'succeeded',
  'rolled_back',
  'failed',
  'cancelled',
  'expired',
];

/** Signal channel on which the backend announces changes to a service's deployments. */
export function deliverySignalChannel(entityRef: string): string {
  return `delivery:${entityRef}`;
}

/** Signal channel on which the backend announces changes to a service's flags. */
export function deliveryFlagsSignalChannel(entityRef: string): string {
  return `delivery-flags:${entityRef}`;
}

/** Signal channel on which the backend announces a service's rollbacks, decisions and incidents. */
export function deliveryRollbackSignalChannel(entityRef: string): string {
  return `delivery-rollback:${entityRef}`;
}

/** Signal channel on which the backend announces changes to a service's ephemeral environments. */
export function deliveryEnvironmentsSignalChannel(entityRef: string): string {
  return `delivery-environments:${entityRef}`;
}

/** Payload of an environments signal: which ephemeral environment changed. */
export type DeliveryEnvironmentsSignal = {
  entityRef: string;
  type: 'ephemeral';
  /** The environment's id. */
  id: string;
};

/** Payload of a rollback signal: what changed (a rollback's stage, a decision, an incident). */
export type DeliveryRollbackSignal = {
  entityRef: string;
  environment: string;
  type: 'rollback' | 'decision' | 'incident';
  /** The rollback's id, for `rollback`. */
  id?: string;
};

/** Payload of a flags signal: which service's flags changed, and in which environments. */
export type DeliveryFlagsSignal = {
  entityRef: string;
  environments: string[];
};

/** Payload of a delivery signal (a type alias, so it satisfies `useSignal`'s JSON constraint). */
export type DeliverySignal = {
  token: string;
  status: DeploymentStatus;
  /** Name of the stage that changed, when a stage changed. */
  stage?: string;
};
