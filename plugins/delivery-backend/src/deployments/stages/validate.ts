import { approvalReason, isRegulated } from '@internal/plugin-delivery-common';
import { createStageHandler } from '../../engine';
import { EligibilityService } from '../../services/EligibilityService';
import { ApprovalReader } from '../../database/DeploymentStore';
import { DeploymentRunInput, DeploymentTarget } from '../types';
import { OwnershipChecker } from '../ownership';

/**
 * `validate`: the commit is still eligible (on the default branch, CI green, no blocking issue),
 * a regulated service's request was approved by someone other than the requester, and the
 * workloads and Jenkins job still belong to the service.
 */
export function createValidateStage(deps: {
  eligibility: EligibilityService;
  approvals: ApprovalReader;
  ownership: OwnershipChecker;
}) {
  return createStageHandler<DeploymentRunInput, DeploymentTarget, object>({
    stage: 'validate',
    async run(ctx) {
      const { service } = ctx.target;
      const { input } = ctx.run;
      const [eligibility] = await deps.eligibility.check(service, [
        input.commitSha,
      ]);
      const reasons = eligibility.reasons.map(r => r.message);
      const approvals = await deps.approvals.listApprovals({
        tokens: [input.token],
      });
      const approval = approvalReason(
        isRegulated(service.entity.metadata.annotations),
        input.requestedBy,
        approvals.filter(a => a.kind === 'request').map(a => a.approver),
      );
      if (approval) reasons.push(approval.message);
      const ownership = await deps.ownership.problems(service);
      reasons.push(...ownership.map(p => p.message));
      if (reasons.length > 0) {
        return {
          type: 'fail',
          reason: `Not eligible any more: ${reasons.join('; ')}`,
        };
      }
      await ctx.log(
        'info',
        ctx.stage.environment
          ? `Commit ${input.commitSha.slice(
              0,
              7,
            )} is still eligible (CI green, no blocking issue) before ${
              ctx.stage.environment
            }`
          : `Commit ${input.commitSha.slice(0, 7)} is eligible; deploying ${
              input.image
            }`,
      );
      return { type: 'done' };
    },
  });
}
