import { EnvironmentConfig } from '../../config';
import { environmentOf } from '../../deployments/types';
import { KubernetesProvider, Workload } from '../../providers/kubernetes';
import { RollbackStageContext } from '../types';

/** Where the service runs in the stage's environment. */
export function placeOf(
  environments: EnvironmentConfig[],
  ctx: RollbackStageContext<object>,
): { env: EnvironmentConfig; namespace: string } {
  const env = environmentOf(environments, ctx.stage);
  return {
    env,
    namespace: ctx.run.input.kubernetesNamespace ?? env.namespace,
  };
}

/** The service's workload in the stage's environment; a step error when it is missing. */
export async function workloadOf(
  kubernetes: KubernetesProvider,
  environments: EnvironmentConfig[],
  ctx: RollbackStageContext<object>,
): Promise<Workload> {
  const { env, namespace } = placeOf(environments, ctx);
  const workload = await kubernetes.findWorkload({
    cluster: env.cluster,
    namespace,
    kubernetesId: ctx.run.input.kubernetesId,
  });
  if (!workload) {
    throw new Error(
      `No Deployment labelled backstage.io/kubernetes-id=${ctx.run.input.kubernetesId} in ${env.cluster}/${namespace}`,
    );
  }
  return workload;
}

/** Whether a deployment of the service is running (a rollback waits for it to stop). */
export type DeploymentRunning = (
  entityRef: string,
) => Promise<string | undefined>;

/**
 * Waits while a deployment of the service runs: the rollback asked it to stop, and its own
 * compensation returns what it changed; then this stage writes. Undefined when none runs.
 */
export async function waitForDeployment(
  running: DeploymentRunning,
  ctx: RollbackStageContext<{ waitedFor?: string }>,
  pollIntervalMs: number,
) {
  const token = await running(ctx.run.input.entityRef);
  if (!token) return undefined;
  if (ctx.stage.state.waitedFor !== token) {
    await ctx.log('info', `Waiting for ${token} to stop before writing`);
  }
  return {
    type: 'wait' as const,
    afterMs: pollIntervalMs,
    state: { ...ctx.stage.state, waitedFor: token },
  };
}
