import { EnvironmentConfig } from '../../config';
import { createStageHandler } from '../../engine';
import { KubernetesProvider, TrafficWeight } from '../../providers/kubernetes';
import { RollbackRunInput, RollbackTarget } from '../types';
import { placeOf } from './shared';

/** State of a `reroute` stage: the weights it found, to give back afterwards. */
export interface RerouteState {
  weights?: TrafficWeight[];
}

/** Whether a `reroute` stage gives traffic back (`<env>.traffic-back`) rather than taking it. */
export function givesTrafficBack(stageName: string): boolean {
  return stageName.endsWith('.traffic-back');
}

/**
 * `reroute` (level 3): sends user traffic away from the failing environment's pods by setting the
 * canary weight of the service's NGINX canary Ingresses there to 0; `<env>.traffic-back`, after
 * the restore, gives each the weight it had. Without such an Ingress it says so and goes on (the
 * restore follows either way).
 */
export function createRerouteStage(deps: {
  kubernetes: KubernetesProvider;
  environments: EnvironmentConfig[];
}) {
  return createStageHandler<RollbackRunInput, RollbackTarget, RerouteState>({
    stage: 'reroute',
    async run(ctx) {
      const { env, namespace } = placeOf(deps.environments, ctx);
      const { kubernetesId } = ctx.run.input;
      if (givesTrafficBack(ctx.stage.name)) {
        const reroute = ctx.stages.find(
          s =>
            s.kind === 'reroute' &&
            s.environment === ctx.stage.environment &&
            !givesTrafficBack(s.name),
        );
        const before = new Map(
          ((reroute?.state as RerouteState | undefined)?.weights ?? []).map(
            w => [w.ingress, w.before],
          ),
        );
        await ctx.fence();
        const weights = await deps.kubernetes.setTrafficWeight({
          cluster: env.cluster,
          namespace,
          kubernetesId,
          weight: ingress => before.get(ingress) ?? 100,
        });
        await ctx.log(
          'info',
          weights.length > 0
            ? `Gave traffic back: ${weights
                .map(w => `${w.ingress} at ${w.after} %`)
                .join(', ')}`
            : 'No canary Ingress to give traffic back to',
        );
        return { type: 'done' };
      }
      // The weights to give back are read and saved first (a retry keeps them, never the 0).
      let found = ctx.stage.state.weights;
      if (!found) {
        found = await deps.kubernetes.setTrafficWeight({
          cluster: env.cluster,
          namespace,
          kubernetesId,
          weight: (_ingress, before) => before,
        });
        await ctx.checkpoint({ weights: found });
      }
      await ctx.fence();
      await deps.kubernetes.setTrafficWeight({
        cluster: env.cluster,
        namespace,
        kubernetesId,
        weight: 0,
      });
      const weights = found.map(w => ({ ...w, after: 0 }));
      await ctx.log(
        weights.length > 0 ? 'warn' : 'error',
        weights.length > 0
          ? `Sent user traffic away from ${env.cluster}/${namespace}: ${weights
              .map(w => `${w.ingress} ${w.before} % → 0 %`)
              .join(', ')}`
          : `No NGINX canary Ingress labelled backstage.io/kubernetes-id=${kubernetesId} in ${env.cluster}/${namespace}: traffic cannot be rerouted; restoring the backup instead`,
      );
      return { type: 'done', state: { weights } };
    },
  });
}
