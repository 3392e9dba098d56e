import { DeliveryEntity } from '../services/EntityResolver';
import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import { DeploymentStatus } from '@internal/plugin-delivery-common';
import { AnyStageHandler, RunKind, RunRecord, StageRecord } from '../engine';
import { DeploymentStore } from '../database/DeploymentStore';
import { DeployQueue } from '../queue/DeployQueue';
import { EntityResolver } from '../services/EntityResolver';
import { Notifier } from '../services/Notifier';
import { SYSTEM_ACTOR } from './stages/rollback';
import {
  DEPLOYMENT_RUN_KIND,
  DeploymentRunInput,
  DeploymentTarget,
} from './types';

/**
 * Why a deployment's run may not be cancelled now: once every environment runs and verified the
 * new version, marking it stable finishes; a cancel would end it `cancelled` with production on
 * the new version.
 */
export function deploymentCancelRefusal(
  run: RunRecord<DeploymentRunInput>,
  stages: ReadonlyArray<StageRecord>,
): string | undefined {
  const current = stages[run.currentStage];
  if (current?.kind === 'mark-stable') {
    return `every environment runs ${run.input.commitSha.slice(
      0,
      7,
    )} already and it is being marked stable; it cannot be cancelled`;
  }
  return undefined;
}

/** The service as far as the run itself knows it, for a rollback without the catalog. */
function detachedService(input: DeploymentRunInput): DeliveryEntity {
  const ref = parseEntityRef(input.entityRef);
  return {
    entity: {
      apiVersion: 'backstage.io/v1alpha1',
      kind: ref.kind,
      metadata: { name: ref.name, namespace: ref.namespace },
    },
    entityRef: input.entityRef,
    projectSlug: input.projectSlug ?? '',
    kubernetesId: '',
  };
}

/**
 * Deployments as a kind of run: the pipeline's stages (one handler each), the catalog entity
 * loaded before each step, and the rollback rule. When a stage fails, the environment it was
 * changing, if it had changed it, has the flags the pipeline turned on there turned off
 * (`flags-off`) and is returned to its backup by a `rollback` stage; a failing
 * rollback ends the run `failed`. The deployment's queue entry ends with the run's outcome.
 */
export function createDeploymentRunKind(deps: {
  handlers: ReadonlyArray<
    AnyStageHandler<DeploymentRunInput, DeploymentTarget>
  >;
  entities: EntityResolver;
  credentials: () => Promise<BackstageCredentials>;
  queue: DeployQueue;
  store: Pick<DeploymentStore, 'getDeployment'>;
  notifier: Notifier;
  /** Told once the deployment's final status is stored (DORA ingests it); must not throw. */
  finished?: (token: string) => Promise<void>;
}): RunKind<DeploymentRunInput, DeploymentTarget> {
  const stageChanged = async (
    run: RunRecord<DeploymentRunInput>,
    stage: string,
  ) => {
    const deployment = await deps.store.getDeployment({ token: run.id });
    if (deployment) {
      await deps.notifier.deploymentChanged({
        type: 'stage',
        deployment,
        stage,
      });
    }
  };
  return {
    kind: DEPLOYMENT_RUN_KIND,
    handlers: deps.handlers,
    successOutcome: 'succeeded',
    async load(run, stage) {
      try {
        const service = await deps.entities.resolve(
          parseEntityRef(run.input.entityRef),
          await deps.credentials(),
        );
        return { service };
      } catch (error) {
        // A rollback returns a workload to its backup, which names cluster, namespace and
        // workload: it goes on without the catalog (an entity removed or renamed, a catalog
        // that is down).
        if (stage.kind !== 'rollback' && stage.kind !== 'flags-off') {
          throw error;
        }
        return { service: detachedService(run.input) };
      }
    },
    cancelRefusal(run, stages) {
      return deploymentCancelRefusal(run, stages);
    },
    onFailure({ run, stages, stage, reason, cancelledBy, compensating }) {
      if (compensating) {
        return {
          outcome: 'failed',
          reason: `${
            run.reason ?? 'Deployment failed'
          }; the rollback failed too: ${reason}`,
        };
      }
      const fullReason = stage ? `${stage.name}: ${reason}` : reason;
      // Stopped by a person: cancelled; stopped by the rollback automation: a failure caught.
      const stopped =
        cancelledBy && cancelledBy !== SYSTEM_ACTOR ? 'cancelled' : undefined;
      const environment = stage?.environment;
      const deploy = stages.find(
        s => s.kind === 'deploy' && s.environment === environment,
      );
      const touched =
        deploy && deploy.status !== 'pending' && deploy.status !== 'skipped';
      if (!environment || !touched) {
        return {
          outcome: stopped ?? 'failed',
          reason: fullReason,
        };
      }
      // Flags the pipeline turned on there go off first: the fastest rollback there is.
      const flagsOn = stages.some(
        s =>
          s.kind === 'flags' &&
          s.environment === environment &&
          s.status !== 'pending' &&
          s.status !== 'skipped',
      );
      return {
        outcome: stopped ?? 'rolled_back',
        reason: fullReason,
        compensate: [
          ...(flagsOn
            ? [
                {
                  name: `${environment}.flags-off`,
                  kind: 'flags-off',
                  environment,
                },
              ]
            : []),
          { name: `${environment}.rollback`, kind: 'rollback', environment },
        ],
      };
    },
    async onFinished(run) {
      await deps.queue.finish({
        token: run.id,
        status: (run.outcome ?? 'failed') as DeploymentStatus,
        reason: run.reason,
      });
      await deps.finished?.(run.id);
    },
    async onEvent(event) {
      await stageChanged(event.run, event.stage.name);
    },
  };
}
