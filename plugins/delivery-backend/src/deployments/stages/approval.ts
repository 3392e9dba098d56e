import { createStageHandler } from '../../engine';
import { ApprovalReader } from '../../database/DeploymentStore';
import { DeploymentRunInput, DeploymentTarget } from '../types';

/** `4 h`, `90 min`, `45 s`. */
function formatDuration(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 1000)} s`;
}

/** State of an `approval` stage. */
export interface ApprovalState {
  /** Said who it waits for. */
  asked?: boolean;
}

/**
 * `approval`: an environment's gate waits for an approval by someone other than the requester,
 * for at most `timeoutMs`; then the deployment fails before the environment is touched.
 */
export function createApprovalStage(deps: {
  approvals: ApprovalReader;
  pollIntervalMs: number;
  timeoutMs: number;
}) {
  return createStageHandler<
    DeploymentRunInput,
    DeploymentTarget,
    ApprovalState
  >({
    stage: 'approval',
    async run(ctx) {
      const { token, requestedBy } = ctx.run.input;
      const approvals = await deps.approvals.listApprovals({
        tokens: [token],
      });
      const gate = ctx.stage.environment ?? 'production';
      const approval = approvals.find(
        a => a.kind === gate && a.approver !== requestedBy,
      );
      if (approval) {
        await ctx.log('info', `Approved by ${approval.approver}`);
        return { type: 'done', actor: approval.approver };
      }
      const waited =
        ctx.now.getTime() -
        (ctx.stage.startedAt?.getTime() ?? ctx.now.getTime());
      if (waited > deps.timeoutMs) {
        return {
          type: 'fail',
          reason: `No approval by someone other than ${requestedBy} within ${formatDuration(
            deps.timeoutMs,
          )}`,
        };
      }
      if (!ctx.stage.state.asked) {
        await ctx.log(
          'info',
          `Waiting for an approval by someone other than ${requestedBy} before ${gate} is touched`,
        );
      }
      return {
        type: 'wait',
        afterMs: deps.pollIntervalMs,
        waiting: true,
        state: { asked: true },
      };
    },
  });
}
