import { DeliveryEntity } from '../services/EntityResolver';
import { EphemeralRecord } from './DatabaseEphemeralStore';

/** The run kind of an ephemeral environment's creation or update. */
export const ENVIRONMENT_RUN_KIND = 'environment';

/** What an environment run carries out. */
export interface EnvironmentRunInput {
  environmentId: string;
  entityRef: string;
  branch: string;
  commitSha: string;
  /** The image the branch's build is deployed as. */
  image: string;
  cluster: string;
  namespace: string;
  /** False on creation, true when a push updates a live environment. */
  update: boolean;
}

/** What each step of an environment run acts on, loaded before it. */
export interface EnvironmentTarget {
  /** The environment as stored now. */
  environment: EphemeralRecord;
  /** The service, from the catalog. */
  service: DeliveryEntity;
}

/** Why a stage must not act: its environment was deleted or a newer run replaced this one. */
export function staleReason(
  target: EnvironmentTarget,
  runId: string,
): string | undefined {
  const env = target.environment;
  if (env.status === 'deleted' || env.status === 'deleting') {
    return `the environment was deleted (${env.statusReason ?? 'deleted'})`;
  }
  if (env.runId && env.runId !== runId) {
    return `a newer run (${env.runId}) replaced this one`;
  }
  return undefined;
}
