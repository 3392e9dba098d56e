import { ephemeralFlagSummary as flagSummary } from '@internal/plugin-delivery-common';
import { NamespaceProvider } from '../../providers/kubernetes/NamespaceProvider';
import { EphemeralFlagRecord } from '../DatabaseEphemeralStore';
import { flagsConfigMap } from '../manifests';
import { createEnvironmentStage } from './shared';

/**
 * `copy-flags`: the flags the service's flags serve in UAT, as they are now, become the
 * environment's: a flagd file source in the namespace (ConfigMap `ephemeral-flags`, key
 * `flags.flagd.json`) and the list the tab shows.
 */
export function createCopyFlagsStage(deps: {
  namespaces: NamespaceProvider;
  /** The flagd configuration the service's flags have in an environment (JSON text). */
  flagdConfiguration(environment: string, entityRef: string): Promise<string>;
  copyFrom: string;
  recordFlags(
    environmentId: string,
    flags: EphemeralFlagRecord[],
  ): Promise<void>;
}) {
  return createEnvironmentStage('copy-flags', async ctx => {
    const { cluster, namespace, entityRef, environmentId } = ctx.run.input;
    const configuration = await deps.flagdConfiguration(
      deps.copyFrom,
      entityRef,
    );
    const parsed = JSON.parse(configuration) as {
      flags?: Record<
        string,
        { state?: string; defaultVariant?: string; targeting?: unknown }
      >;
    };
    const flags: EphemeralFlagRecord[] = Object.entries(parsed.flags ?? {}).map(
      ([key, flag]) => ({
        key,
        state: flag.state ?? 'DISABLED',
        ...(flag.defaultVariant ? { defaultVariant: flag.defaultVariant } : {}),
        ...(flag.targeting ? { targeted: true } : {}),
      }),
    );
    await ctx.fence();
    await deps.namespaces.applyObject({
      cluster,
      object: flagsConfigMap(
        namespace,
        ctx.target.service.kubernetesId,
        configuration,
      ) as any,
    });
    await deps.recordFlags(environmentId, flags);
    await ctx.log(
      'info',
      flags.length > 0
        ? `Copied ${flags.length} flag${flags.length > 1 ? 's' : ''} from ${
            deps.copyFrom
          }: ${flags.map(f => `${f.key} ${flagSummary(f)}`).join(', ')}`
        : `${entityRef} has no flags in ${deps.copyFrom}`,
    );
    return { type: 'done' };
  });
}
