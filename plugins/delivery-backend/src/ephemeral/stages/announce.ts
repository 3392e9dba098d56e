import { EphemeralRecord } from '../DatabaseEphemeralStore';
import { createEnvironmentStage } from './shared';

/**
 * `announce`: the environment is ready: recorded as such, and its creator and the chat channel
 * are told, with the links to the app and the dashboard.
 */
export function createAnnounceStage(deps: {
  /** Marks it ready; undefined when it was deleted or replaced meanwhile. */
  markReady(
    environmentId: string,
    runId: string,
    at: Date,
  ): Promise<EphemeralRecord | undefined>;
  announce(env: EphemeralRecord, update: boolean): Promise<void>;
}) {
  return createEnvironmentStage('announce', async ctx => {
    const ready = await deps.markReady(
      ctx.run.input.environmentId,
      ctx.run.id,
      ctx.now,
    );
    if (!ready) {
      return {
        type: 'fail',
        reason: 'The environment was deleted or replaced before it was ready',
      };
    }
    await deps.announce(ready, ctx.run.input.update);
    await ctx.log('info', `Ready; ${ready.createdBy} was told`);
    return { type: 'done' };
  });
}
