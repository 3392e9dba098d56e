import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import { ANNOTATION_KUBERNETES_ID } from '@internal/plugin-delivery-common';
import { AnyStageHandler, RunKind } from '../engine';
import { EntityResolver } from '../services/EntityResolver';
import {
  DatabaseEphemeralStore,
  EphemeralRecord,
} from './DatabaseEphemeralStore';
import {
  ENVIRONMENT_RUN_KIND,
  EnvironmentRunInput,
  EnvironmentTarget,
} from './types';

/**
 * An ephemeral environment's creation or update as a kind of run: build, namespace, workload,
 * rollout, flags, announce. Each step loads the environment and the service afresh, so a stage
 * of a deleted or superseded environment touches nothing. A failure ends the run `failed` and
 * the environment with it (the namespace stays until it expires, for the developer to look
 * into); a run stopped because the environment was deleted or a newer push replaced it leaves
 * the environment to whoever stopped it.
 */
export function createEnvironmentRunKind(deps: {
  handlers: ReadonlyArray<
    AnyStageHandler<EnvironmentRunInput, EnvironmentTarget>
  >;
  store: Pick<DatabaseEphemeralStore, 'get' | 'update'>;
  entities: EntityResolver;
  credentials: () => Promise<BackstageCredentials>;
  /** Told about every stage change and end. */
  changed(env: EphemeralRecord): Promise<void>;
  /** Told when an environment failed. */
  failed(env: EphemeralRecord, reason: string): Promise<void>;
}): RunKind<EnvironmentRunInput, EnvironmentTarget> {
  return {
    kind: ENVIRONMENT_RUN_KIND,
    handlers: deps.handlers,
    successOutcome: 'succeeded',
    async load(run) {
      const environment = await deps.store.get(run.input.environmentId);
      if (!environment) {
        throw new Error(
          `Ephemeral environment ${run.input.environmentId} is gone`,
        );
      }
      const service = await deps.entities.resolve(
        parseEntityRef(run.input.entityRef),
        await deps.credentials(),
        [ANNOTATION_KUBERNETES_ID],
      );
      return { environment, service };
    },
    onFailure({ stage, reason, cancelledBy }) {
      if (cancelledBy) return { outcome: 'cancelled', reason };
      return {
        outcome: 'failed',
        reason: stage ? `${stage.name}: ${reason}` : reason,
      };
    },
    async onFinished(run) {
      if (run.outcome !== 'failed') return;
      const reason = run.reason ?? 'failed';
      const failed = await deps.store.update(
        run.input.environmentId,
        { status: 'failed', statusReason: reason },
        {
          statuses: ['creating', 'updating'],
          runId: run.id,
          at: run.finishedAt ?? new Date(),
        },
      );
      if (failed) {
        await deps.changed(failed);
        await deps.failed(failed, reason);
      }
    },
    async onEvent(event) {
      const env = await deps.store.get(event.run.input.environmentId);
      if (env) await deps.changed(env);
    },
  };
}
