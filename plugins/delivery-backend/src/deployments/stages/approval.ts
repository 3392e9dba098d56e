import { createStageHandler } from '../../engine';
import { ApprovalReader } from '../../database/DeploymentStore';
import { DeploymentRunInput, DeploymentTarget } from '../types';

/** State of an `approval` stage. */
export interface ApprovalState {
  /** Said who it waits for. */
  asked?: boolean;
}

/** `approval`: the production gate waits for an approval by someone other than the requester. */
export function createApprovalStage(deps: {
  approvals: ApprovalReader;
  pollIntervalMs: number;
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
      const approval = approvals.find(
        a => a.kind === 'production' && a.approver !== requestedBy,
      );
      if (approval) {
        await ctx.log('info', `Approved by ${approval.approver}`);
        return { type: 'done', actor: approval.approver };
      }
      if (!ctx.stage.state.asked) {
        await ctx.log(
          'info',
          `Waiting for an approval by someone other than ${requestedBy}`,
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
