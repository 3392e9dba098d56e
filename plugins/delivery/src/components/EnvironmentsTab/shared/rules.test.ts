import {
  ADA,
  GRACE,
  ephemeralEnv,
  ephemeralPermissions,
  ephemeralSettings,
  stage,
} from '../__testUtils__/fixtures';
import {
  branchProblem,
  createBlocker,
  currentStage,
  deleteBlocker,
  expiryTone,
  extendBlocker,
  extensionChoices,
  lifetimeChoices,
  NOT_ENABLED,
  persistenceBlocker,
  stagesProgress,
} from './rules';

const at = (iso: string) => new Date(iso);

describe('the Environments tab’s rules', () => {
  it('refuses branch names the API or Git would refuse, saying why', () => {
    expect(branchProblem('deploy/try-this')).toBeUndefined();
    expect(branchProblem('feature/try-this')).toBe(
      'The branch must start with deploy/ (e.g. deploy/try-new-checkout).',
    );
    expect(branchProblem('deploy/')).toBe(
      'Name the branch after deploy/, e.g. deploy/try-new-checkout.',
    );
    expect(branchProblem('deploy/try this')).toMatch(
      /^A branch name cannot hold spaces/,
    );
    expect(branchProblem('deploy/a..b')).toMatch(/check-ref-format/);
    expect(branchProblem('deploy/a.lock')).toMatch(/check-ref-format/);
    expect(branchProblem(`deploy/${'x'.repeat(250)}`)).toBe(
      'The branch name is longer than 255 characters.',
    );
  });

  it('offers lifetimes from the default up to the maximum', () => {
    expect(lifetimeChoices(ephemeralSettings())).toEqual([
      180, 240, 360, 480, 720, 1440,
    ]);
    expect(
      lifetimeChoices(
        ephemeralSettings({ ttlMinutes: 45, maxLifetimeMinutes: 180 }),
      ),
    ).toEqual([45, 60, 120, 180]);
    expect(
      lifetimeChoices(
        ephemeralSettings({ ttlMinutes: 60, maxLifetimeMinutes: 60 }),
      ),
    ).toEqual([60]);
  });

  it('refuses extensions beyond the maximum lifetime from creation', () => {
    const env = {
      createdAt: '2026-11-30T08:00:00Z',
      expiresAt: '2026-11-30T20:00:00Z',
    };
    // 12 h lived or planned of the 24 h: 1 h and 3 h fit, 8 h fits, 16 h does not.
    const choices = extensionChoices(
      env,
      ephemeralSettings({ extensionMinutes: [960, 60, 180, 480] }),
      at('2026-11-30T10:00:00Z'),
    );
    expect(choices.map(c => c.label)).toEqual([
      '+1 h',
      '+3 h',
      '+8 h',
      '+16 h',
    ]);
    expect(choices[0].expiresAt).toEqual(at('2026-11-30T21:00:00Z'));
    expect(choices[2].problem).toBeUndefined();
    expect(choices[3].problem).toBe(
      'An environment lives at most 24 h from its creation: this one can be extended by 12 h at most.',
    );
    // At its end, nothing fits.
    const last = extensionChoices(
      { ...env, expiresAt: '2026-12-01T08:00:00Z' },
      ephemeralSettings(),
      at('2026-11-30T10:00:00Z'),
    );
    expect(last.every(c => c.problem?.includes('cannot be extended'))).toBe(
      true,
    );
  });

  it('says why nothing can be created: disabled, permissions', () => {
    const granted = ephemeralPermissions();
    expect(createBlocker(ephemeralSettings(), granted)).toBeUndefined();
    expect(createBlocker(ephemeralSettings({ enabled: false }), granted)).toBe(
      NOT_ENABLED,
    );
    expect(
      createBlocker(
        ephemeralSettings(),
        ephemeralPermissions({ create: false }),
      ),
    ).toBe(
      'You need delivery.environment.create on this service (its owners have it).',
    );
    expect(
      createBlocker(
        ephemeralSettings(),
        ephemeralPermissions({ loading: true }),
      ),
    ).toBe('Checking your permissions…');
  });

  it('lets the creator extend and delete without the permissions, others with them', () => {
    const none = ephemeralPermissions({
      create: false,
      delete: false,
      admin: false,
    });
    const adas = ephemeralEnv({ createdBy: ADA });
    expect(extendBlocker(adas, none, ADA)).toBeUndefined();
    expect(deleteBlocker(adas, none, ADA)).toBeUndefined();
    expect(extendBlocker(adas, none, GRACE)).toBe(
      'Only its creator (ada) or someone with delivery.environment.create on this service may extend it.',
    );
    expect(deleteBlocker(adas, none, GRACE)).toBe(
      'Only its creator (ada) or someone with delivery.environment.delete on this service may delete it.',
    );
    expect(
      extendBlocker(adas, ephemeralPermissions({ admin: false }), GRACE),
    ).toBeUndefined();
    expect(
      deleteBlocker(adas, ephemeralPermissions({ admin: false }), GRACE),
    ).toBeUndefined();
  });

  it('keeps persistent environments for admins, and gone ones for nobody', () => {
    const pinned = ephemeralEnv({ persistent: true });
    const noAdmin = ephemeralPermissions({ admin: false });
    expect(extendBlocker(pinned, noAdmin, ADA)).toBe(
      'It is persistent: it does not expire.',
    );
    expect(deleteBlocker(pinned, noAdmin, ADA)).toMatch(
      /^It is persistent: only an admin \(delivery.environment.admin\) may delete it/,
    );
    expect(deleteBlocker(pinned, ephemeralPermissions(), ADA)).toBeUndefined();
    // An admin deletes a persistent one as its creator or with the delete permission, as
    // the backend asks both.
    expect(
      deleteBlocker(pinned, ephemeralPermissions({ delete: false }), GRACE),
    ).toBe(
      'Only its creator (ada) or someone with delivery.environment.delete on this service may delete it.',
    );
    expect(persistenceBlocker(pinned, noAdmin)).toBe(
      'Admins only (delivery.environment.admin).',
    );
    const deleted = ephemeralEnv({ status: 'deleted' });
    expect(extendBlocker(deleted, ephemeralPermissions(), ADA)).toBe(
      'It was deleted.',
    );
    expect(
      deleteBlocker(
        ephemeralEnv({ status: 'deleting' }),
        ephemeralPermissions(),
        ADA,
      ),
    ).toBe('It is being deleted.');
  });

  it('colours the time left: under an hour a warning, under 15 minutes an error', () => {
    expect(expiryTone(2 * 3_600_000)).toBe('ok');
    expect(expiryTone(59 * 60_000)).toBe('warning');
    expect(expiryTone(14 * 60_000)).toBe('error');
    expect(expiryTone(-1)).toBe('error');
  });

  it('finds the stage a creation is at and how far it is', () => {
    const stages = [
      stage(1, 'namespace', 'running'),
      stage(0, 'build', 'succeeded'),
      stage(2, 'workload', 'pending'),
    ];
    expect(currentStage(stages)).toMatchObject({
      index: 1,
      stage: { kind: 'namespace' },
    });
    expect(stagesProgress(stages)).toBe(33);
    expect(
      currentStage([
        stage(0, 'build', 'succeeded'),
        stage(1, 'namespace', 'failed'),
      ])?.stage.kind,
    ).toBe('namespace');
    expect(currentStage([])).toBeUndefined();
  });
});
