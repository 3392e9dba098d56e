import { createStageHandler } from '../../engine';
import { PagerDutyProvider } from '../../providers/pagerduty';
import { Notifier } from '../../services/Notifier';
import { RollbackRunInput, RollbackTarget } from '../types';

/** State of an `escalate` stage. */
export interface EscalateState {
  paged?: boolean;
  told?: boolean;
}

/**
 * `escalate` (level 6): pages on-call through PagerDuty's Events API (dedup key: the incident, so
 * a retry adds to the same alert) and tells the on-call group (notification and chat). Without
 * PagerDuty configured the group is still told, and the log says PagerDuty was not. Retried
 * until it gets through.
 */
export function createEscalateStage(deps: {
  pagerduty?: PagerDutyProvider;
  onCall: Pick<Notifier, 'alertOnCall'>;
  /** Link to the service's Rollback tab. */
  link: (entityRef: string) => string;
  pollIntervalMs: number;
}) {
  return createStageHandler<RollbackRunInput, RollbackTarget, EscalateState>({
    stage: 'escalate',
    retry: {
      maxAttempts: Infinity,
      backoffMs: errors => Math.min(deps.pollIntervalMs * errors, 30_000),
    },
    async run(ctx) {
      const { input } = ctx.run;
      let state = ctx.stage.state;
      const why = ctx.run.reason ?? input.reason;
      const summary = `${input.entityRef} in ${input.environment} needs a person: ${why}`;
      if (!state.paged) {
        if (deps.pagerduty) {
          await ctx.fence();
          await deps.pagerduty.trigger({
            dedupKey: `${input.entityRef}:${input.environment}:${input.incidentId}`,
            summary,
            source: `${input.entityRef} (${input.environment})`,
            severity: 'critical',
            group: input.environment,
            class: input.level === 6 ? 'escalation' : 'rollback failed',
            customDetails: {
              rollback: input.id,
              incident: input.incidentId,
              level: input.level,
              requestedBy: input.requestedBy,
              ...(input.deploymentToken
                ? { deployment: input.deploymentToken }
                : {}),
            },
            links: [{ href: deps.link(input.entityRef), text: 'Rollback tab' }],
          });
          await ctx.log('error', `Paged on-call through PagerDuty: ${summary}`);
        } else {
          await ctx.log(
            'warn',
            'PagerDuty is not configured (delivery.pagerduty): only the on-call group is told',
          );
        }
        state = { ...state, paged: true };
        await ctx.checkpoint(state);
      }
      if (!state.told) {
        await ctx.fence();
        await deps.onCall.alertOnCall({
          deployment: {
            token: input.deploymentToken ?? input.id,
            entityRef: input.entityRef,
          },
          title: 'Escalated to on-call',
          description: summary,
        });
        state = { ...state, told: true };
      }
      return { type: 'done', state };
    },
  });
}
