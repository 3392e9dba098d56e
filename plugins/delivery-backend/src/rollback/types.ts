import { StageContext, StageHandler } from '../engine';
import { Backup } from '../deployments/types';
import { RollbackLevel } from './DatabaseRollbackStore';

/** The kind name of rollback runs. */
export const ROLLBACK_RUN_KIND = 'rollback';

/**
 * What a rollback run is given when it starts (its run id is the rollback's id). It carries
 * where the service runs, so a rollback needs neither the catalog nor its annotations.
 */
export interface RollbackRunInput {
  id: string;
  entityRef: string;
  /** The environment it was started for (the one that failed). */
  environment: string;
  level: RollbackLevel;
  reason: string;
  requestedBy: string;
  automated: boolean;
  /** `backstage.io/kubernetes-id` of the service. */
  kubernetesId: string;
  /** `backstage.io/kubernetes-namespace`, when the service names its own. */
  kubernetesNamespace?: string;
  /** Level 1: the flags to turn off. */
  flags?: string[];
  /** Level 2: the stable version every environment returns to. */
  target?: { commitSha: string; image: string };
  /** Levels 3 and 5: the pre-deployment backup of the environment to restore. */
  backup?: Backup;
  /** The deployment whose change it undoes, when known. */
  deploymentToken?: string;
  /** The incident it opened. */
  incidentId: string;
}

/** A rollback's steps need nothing loaded: the input says where. */
export type RollbackTarget = Record<string, never>;

export type RollbackStageHandler<TState extends object> = StageHandler<
  RollbackRunInput,
  RollbackTarget,
  TState
>;

export type RollbackStageContext<TState extends object> = StageContext<
  RollbackRunInput,
  RollbackTarget,
  TState
>;

/** The annotation recording, on a workload, which rollback put its version there. */
export const WORKLOAD_ANNOTATION_ROLLBACK = 'delivery.backstage.io/rollback';
