import { workloadOwnershipProblem } from '../ownership';
import { EnvironmentConfig } from '../../config';
import { createStageHandler } from '../../engine';
import { LockReader } from '../../database/DeploymentStore';
import { KubernetesProvider } from '../../providers/kubernetes';
import {
  BackupState,
  DeploymentRunInput,
  DeploymentTarget,
  environmentOf,
  namespaceOf,
} from '../types';

/** State of a `backup` stage. */
export interface BackupStageState extends BackupState {
  /** Who locked the queue while the run waited here, when it was paused. */
  pausedBy?: string;
}

/**
 * `backup`: the first stage of every environment. While the service's queue is locked the run
 * pauses here, before it touches the environment, and resumes when the queue is unlocked. Then
 * it records the version the environment runs, and where, to return to on failure. Reads only;
 * done once (a retry keeps the first record).
 */
export function createBackupStage(deps: {
  kubernetes: KubernetesProvider;
  environments: EnvironmentConfig[];
  locks: LockReader;
  pollIntervalMs: number;
}) {
  return createStageHandler<
    DeploymentRunInput,
    DeploymentTarget,
    BackupStageState
  >({
    stage: 'backup',
    async run(ctx) {
      if (ctx.stage.state.backup) return { type: 'done' };
      const { service } = ctx.target;
      const lock = await deps.locks.getLock({
        entityRef: ctx.run.input.entityRef,
      });
      if (lock) {
        if (!ctx.stage.state.pausedBy) {
          await ctx.log(
            'warn',
            `Paused before ${ctx.stage.environment}: the queue is locked by ${lock.lockedBy}: ${lock.reason}`,
          );
        }
        return {
          type: 'wait',
          afterMs: deps.pollIntervalMs,
          waiting: true,
          state: { pausedBy: lock.lockedBy },
        };
      }
      if (ctx.stage.state.pausedBy) {
        await ctx.log('info', 'Resumed: the queue was unlocked');
      }
      const env = environmentOf(deps.environments, ctx.stage);
      const namespace = namespaceOf(service, env);
      const workload = await deps.kubernetes.findWorkload({
        cluster: env.cluster,
        namespace,
        kubernetesId: service.kubernetesId,
      });
      if (!workload) {
        return {
          type: 'fail',
          reason: `No Deployment labelled backstage.io/kubernetes-id=${service.kubernetesId} in ${env.cluster}/${namespace}`,
        };
      }
      // Checked again here, before anything is written in this environment: the workload's
      // owners may have changed its annotation since the deployment was requested.
      const owner = workloadOwnershipProblem(workload, service.entityRef);
      if (owner) return { type: 'fail', reason: owner.message };
      if (!workload.version) {
        return {
          type: 'fail',
          reason: `Deployment ${namespace}/${workload.name} has no container image`,
        };
      }
      const backup = {
        cluster: env.cluster,
        namespace,
        workload: workload.name,
        image: workload.version.image,
        commitSha: workload.version.commitSha ?? '',
        ...(workload.revision ? { revision: workload.revision } : {}),
        // What a restore (rollback level 5) returns too: the scale and the plain env.
        replicas: workload.replicas.desired,
        ...(workload.env ? { env: workload.env } : {}),
      };
      await ctx.log(
        'info',
        `Recorded the running version ${
          workload.version.imageTag ?? workload.version.image
        } (${backup.workload}) to return to on failure`,
      );
      return { type: 'done', state: { backup } };
    },
  });
}
