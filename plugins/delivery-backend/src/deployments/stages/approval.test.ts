import { ApprovalRecord } from '../../database/DeploymentStore';
import {
  INPUT,
  NOW,
  StepJournal,
  deploymentStageContext,
} from '../__testUtils__/stageContext';
import { FakeApprovals } from '../__testUtils__/fakes';
import { ApprovalState, createApprovalStage } from './approval';

function approval(
  approver: string,
  kind: ApprovalRecord['kind'],
  token = INPUT.token,
): ApprovalRecord {
  return { token, approver, kind, approvedAt: NOW };
}

describe('approval stage', () => {
  function setup(approvals: ApprovalRecord[] = []) {
    const journal = new StepJournal();
    const reader = new FakeApprovals(journal, approvals);
    const stage = createApprovalStage({
      approvals: reader,
      pollIntervalMs: 10_000,
      timeoutMs: 4 * 3_600_000,
    });
    const context = (
      state: ApprovalState = {},
      waitedMs = 0,
      environment = 'production',
    ) =>
      deploymentStageContext<ApprovalState>(journal, {
        kind: 'approval',
        environment,
        state,
        startedAt: new Date(NOW.getTime() - waitedMs),
        now: NOW,
      });
    return { journal, reader, stage, context };
  }

  it('waits on a person, and says once whom it waits for', async () => {
    const { journal, stage, context } = setup();

    const first = await stage.run(context());
    expect(first).toEqual({
      type: 'wait',
      afterMs: 10_000,
      waiting: true,
      state: { asked: true },
    });
    const second = await stage.run(context({ asked: true }));
    expect(second).toEqual(first);

    expect(journal.lines).toEqual([
      'info: Waiting for an approval by someone other than user:default/alice before production is touched',
    ]);
  });

  it("is done with the approver as the stage's actor once someone else approves production", async () => {
    const { journal, stage, context } = setup([
      approval('user:default/bob', 'production'),
    ]);

    const result = await stage.run(context({ asked: true }));

    expect(result).toEqual({ type: 'done', actor: 'user:default/bob' });
    expect(journal.lines).toEqual(['info: Approved by user:default/bob']);
  });

  it("does not count the requester's own approval", async () => {
    const { journal, stage, context } = setup([
      approval('user:default/alice', 'production'),
    ]);

    const result = await stage.run(context({ asked: true }));

    expect(result).toMatchObject({ type: 'wait', waiting: true });
    expect(journal.logs).toEqual([]);
  });

  it('picks the approval by someone else among several', async () => {
    const { stage, context } = setup([
      approval('user:default/alice', 'production'),
      approval('user:default/carol', 'production'),
    ]);

    expect(await stage.run(context())).toEqual({
      type: 'done',
      actor: 'user:default/carol',
    });
  });

  it("does not count an approval of the request, nor another deployment's", async () => {
    const { stage, context } = setup([
      approval('user:default/bob', 'request'),
      approval('user:default/bob', 'production', 'dep-0041'),
    ]);

    const result = await stage.run(context({ asked: true }));

    expect(result.type).toBe('wait');
  });

  it('gives up after the approval timeout, naming who was waited for', async () => {
    const { stage, context } = setup([
      approval(INPUT.requestedBy, 'production'),
    ]);
    expect(
      (await stage.run(context({ asked: true }, 4 * 3_600_000))).type,
    ).toBe('wait');
    expect(
      await stage.run(context({ asked: true }, 4 * 3_600_000 + 1)),
    ).toEqual({
      type: 'fail',
      reason: `No approval by someone other than ${INPUT.requestedBy} within 4 h`,
    });
  });

  it("opens an environment's gate only with an approval of that gate", async () => {
    const { stage, context } = setup([
      approval('user:default/bob', 'production'),
      approval('user:default/carol', 'request'),
    ]);

    expect(await stage.run(context({}, 0, 'canary'))).toMatchObject({
      type: 'wait',
      waiting: true,
    });

    const opened = setup([approval('user:default/bob', 'canary')]);
    expect(await opened.stage.run(opened.context({}, 0, 'canary'))).toEqual({
      type: 'done',
      actor: 'user:default/bob',
    });
  });
});
