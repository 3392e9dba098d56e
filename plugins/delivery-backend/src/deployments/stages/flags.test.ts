import { LeaseLostError, StepResult } from '../../engine';
import {
  StepJournal,
  deploymentStageContext,
} from '../__testUtils__/stageContext';
import {
  DeploymentFlags,
  FlagStepState,
  createFlagStepStage,
  createFlagsOffStage,
  flagStepPercent,
} from './flags';
import { VerifyState } from './verify';

/** The flags service as the pipeline sees it, recording each call in the journal. */
class FakeFlags implements DeploymentFlags {
  readonly calls: string[] = [];
  percent = new Map<string, number>();
  constructor(
    private readonly journal: StepJournal,
    readonly known: string[],
  ) {}

  async rollout(o: Parameters<DeploymentFlags['rollout']>[0]) {
    this.journal.record('flags.rollout');
    const changed: string[] = [];
    for (const key of o.keys.filter(k => this.known.includes(k))) {
      const at = `${o.environment}/${key}`;
      if (this.percent.get(at) === o.percent) continue;
      this.percent.set(at, o.percent);
      changed.push(key);
    }
    this.calls.push(
      `rollout ${o.environment} ${o.percent} by ${o.actor} for ${o.deployment}`,
    );
    return { changed, missing: o.keys.filter(k => !this.known.includes(k)) };
  }

  async turnOff(o: Parameters<DeploymentFlags['turnOff']>[0]) {
    this.journal.record('flags.turnOff');
    const changed = o.keys.filter(
      k => (this.percent.get(`${o.environment}/${k}`) ?? 0) > 0,
    );
    for (const key of o.keys) this.percent.set(`${o.environment}/${key}`, 0);
    this.calls.push(`off ${o.environment}: ${o.reason}`);
    return { changed };
  }
}

/** A verification that answers what it is told, counting its steps. */
function fakeVerify(results: StepResult<VerifyState>[]) {
  let steps = 0;
  return {
    stage: 'verify',
    get steps() {
      return steps;
    },
    async run(): Promise<StepResult<VerifyState>> {
      return results[Math.min(steps++, results.length - 1)];
    },
  };
}

describe('flag steps', () => {
  it('reads the share of users from the stage name', () => {
    expect(flagStepPercent('canary.flags-10')).toBe(10);
    expect(flagStepPercent('production.flags-100')).toBe(100);
    expect(() => flagStepPercent('canary.flags-0')).toThrow(
      'does not name a share of users',
    );
    expect(() => flagStepPercent('canary.verify')).toThrow();
  });

  function setup(results: StepResult<VerifyState>[], known = ['new-cart']) {
    const journal = new StepJournal();
    const flags = new FakeFlags(journal, known);
    const verify = fakeVerify(results);
    const stage = createFlagStepStage({ flags, verify });
    const context = (state: FlagStepState = {}, loseLeaseAtFence?: number) =>
      deploymentStageContext<FlagStepState>(journal, {
        kind: 'flags',
        name: 'canary.flags-10',
        environment: 'canary',
        state,
        input: { flags: ['new-cart', 'gone-flag'] },
        loseLeaseAtFence,
      });
    return { journal, flags, verify, stage, context };
  }

  it('turns the flags on once, fenced, saves that, then verifies like verify', async () => {
    const { journal, flags, verify, stage, context } = setup([
      { type: 'wait', afterMs: 100, state: { announced: true } },
    ]);
    const first = context();
    expect(await stage.run(first)).toEqual({
      type: 'wait',
      afterMs: 100,
      state: { announced: true },
    });
    expect(flags.calls).toEqual(['rollout canary 10 by delivery for dep-0042']);
    expect(journal.unfenced(['flags.rollout'])).toEqual([]);
    expect(journal.checkpoints).toEqual([{ applied: true }]);
    expect(journal.lines).toEqual([
      'warn: No flag gone-flag any more (archived or removed); going on without',
      'info: new-cart on for 10 % of users in canary',
    ]);
    // The next step only verifies.
    await stage.run(context({ applied: true, announced: true }));
    expect(flags.calls).toHaveLength(1);
    expect(verify.steps).toBe(2);
  });

  it('passes the verification’s failure on (the run then turns the flags off)', async () => {
    const { stage, context } = setup([
      {
        type: 'fail',
        reason: 'Unhealthy in canary: error rate 8.00% above 5.00%',
      },
    ]);
    expect(await stage.run(context({ applied: true }))).toEqual({
      type: 'fail',
      reason: 'Unhealthy in canary: error rate 8.00% above 5.00%',
    });
  });

  it('touches no flag once the lease is lost', async () => {
    const { flags, stage, context } = setup([{ type: 'done' }]);
    await expect(stage.run(context({}, 1))).rejects.toBeInstanceOf(
      LeaseLostError,
    );
    expect(flags.calls).toEqual([]);
  });
});

describe('flags-off stage', () => {
  it('turns the deployment’s flags off in its environment with the run’s reason, and never gives up', async () => {
    const journal = new StepJournal();
    const flags = new FakeFlags(journal, ['new-cart']);
    flags.percent.set('canary/new-cart', 50);
    const stage = createFlagsOffStage({ flags, pollIntervalMs: 1_000 });
    expect(stage.retry?.maxAttempts).toBe(Infinity);
    const result = await stage.run(
      deploymentStageContext<object>(journal, {
        kind: 'flags-off',
        name: 'canary.flags-off',
        environment: 'canary',
        input: { flags: ['new-cart'] },
        reason: 'canary.flags-50: Unhealthy in canary',
      }),
    );
    expect(result).toEqual({ type: 'done' });
    expect(flags.calls).toEqual([
      'off canary: Deployment dep-0042 failed: canary.flags-50: Unhealthy in canary',
    ]);
    expect(journal.unfenced(['flags.turnOff'])).toEqual([]);
    expect(journal.lines).toEqual(['warn: Turned new-cart off in canary']);
  });
});
