import { NamespaceProvider } from '../../providers/kubernetes/NamespaceProvider';
import { EphemeralConfig } from '../config';
import {
  limitRange,
  namespaceMetadata,
  networkPolicies,
  resourceQuota,
} from '../manifests';
import { createEnvironmentStage } from './shared';

/**
 * `namespace`: the namespace with its labels (owner, service, branch, expiration) and
 * annotations, its ResourceQuota, LimitRange and NetworkPolicies. Every write is an apply, so a
 * retry or an update converges on the same objects; the expiry comes from the stored
 * environment, so an extension made meanwhile is kept.
 */
export function createNamespaceStage(deps: {
  namespaces: NamespaceProvider;
  config: EphemeralConfig;
}) {
  return createEnvironmentStage('namespace', async ctx => {
    const { cluster, namespace } = ctx.run.input;
    const env = ctx.target.environment;
    await ctx.fence();
    const made = await deps.namespaces.applyNamespace({
      cluster,
      name: namespace,
      ...namespaceMetadata(env),
    });
    await ctx.log(
      'info',
      `Namespace ${namespace} ${made} in cluster ${cluster}, expiring ${env.expiresAt.toISOString()}`,
    );
    const objects = [
      resourceQuota(namespace, deps.config),
      limitRange(namespace, deps.config),
      ...networkPolicies(namespace, deps.config),
    ];
    for (const object of objects) {
      await ctx.fence();
      await deps.namespaces.applyObject({ cluster, object: object as any });
    }
    await ctx.log(
      'info',
      `Applied ${objects.map(o => `${o.kind} ${o.metadata!.name}`).join(', ')}`,
    );
    return { type: 'done' };
  });
}
