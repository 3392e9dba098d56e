import { StageContext, StageHandler, StageRecord } from '../engine';
import { EnvironmentConfig } from '../config';
import { DeliveryEntity } from '../services/EntityResolver';
import { WorkloadEnvVar } from '../providers/kubernetes';

/** The kind name of deployment runs. */
export const DEPLOYMENT_RUN_KIND = 'deployment';

/** Annotation on workloads: the deployment token that put the running version there. */
export const WORKLOAD_ANNOTATION_TOKEN =
  'delivery.backstage.io/deployment-token';

/** What a deployment run is given when it starts (its run id is the token). */
export interface DeploymentRunInput {
  token: string;
  entityRef: string;
  commitSha: string;
  /** The image to deploy: the image template filled with the full sha. */
  image: string;
  requestedBy: string;
  /** `owner/repo`, so that a rollback can tell GitHub even without the catalog. */
  projectSlug?: string;
  /** Keys of the service's flags the change ships behind. */
  flags?: string[];
}

/** What each step of a deployment acts on, loaded fresh before every step. */
export interface DeploymentTarget {
  service: DeliveryEntity;
}

/** A stage handler of the deployment kind. */
export type DeploymentStageHandler<TState extends object> = StageHandler<
  DeploymentRunInput,
  DeploymentTarget,
  TState
>;

/** The context a deployment stage handler gets. */
export type DeploymentStageContext<TState extends object> = StageContext<
  DeploymentRunInput,
  DeploymentTarget,
  TState
>;

/**
 * The version an environment ran before the deployment changed it, with where it runs: enough
 * to return it there without the catalog or the current configuration.
 */
export interface Backup {
  cluster: string;
  namespace: string;
  workload: string;
  image: string;
  commitSha: string;
  revision?: string;
  /** Desired replicas then. */
  replicas?: number;
  /** Plain env vars of the main container then. */
  env?: WorkloadEnvVar[];
}

/** State of a `backup` stage. */
export interface BackupState {
  backup?: Backup;
}

/** State of a `deploy` stage. */
export interface DeployState {
  /** The GitHub deployment recording this environment's deploy, once created. */
  githubDeploymentId?: number;
}

/** The environment a stage acts on; throws when the configuration no longer has it. */
export function environmentOf(
  environments: EnvironmentConfig[],
  stage: Pick<StageRecord, 'name' | 'environment'>,
): EnvironmentConfig {
  const env = environments.find(e => e.name === stage.environment);
  if (!env) {
    throw new Error(
      `Stage ${stage.name} acts on environment '${stage.environment}', which delivery.environments does not list`,
    );
  }
  return env;
}

/** The namespace of a service in an environment. */
export function namespaceOf(
  service: DeliveryEntity,
  env: EnvironmentConfig,
): string {
  return service.kubernetesNamespace ?? env.namespace;
}
