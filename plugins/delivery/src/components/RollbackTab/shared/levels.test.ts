import {
  HealthResponse,
  stableRollbackEnvironments,
} from '@internal/plugin-delivery-common';
import {
  LevelSituation,
  levelBlocker,
  levelConsequences,
  recommendedLevel,
} from './levels';
import { figuresOf, thresholdsOf } from './figures';

const sha = (c: string) => c.repeat(40);

function health(overrides: Partial<HealthResponse> = {}): HealthResponse {
  return {
    entityRef: 'component:default/api',
    environment: 'production',
    version: sha('c'),
    stableVersion: sha('b'),
    backupVersion: sha('a'),
    window: { from: '', to: '', seconds: 300 },
    figures: { up: true, endpoints: [] },
    flags: [{ key: 'new-checkout', on: true, endpoints: [] }],
    decision: { level: 0, action: 'none', severity: 'info', reasons: [] },
    series: [],
    automation: { active: false, why: '' },
    ...overrides,
  };
}

function situation(overrides: Partial<LevelSituation> = {}): LevelSituation {
  return {
    environment: 'production',
    pipeline: ['uat', 'canary', 'production'],
    health: {
      canary: health({ environment: 'canary' }),
      production: health(),
    },
    stable: {},
    running: {},
    permissions: { start: true, loading: false },
    ...overrides,
  };
}

describe('rollback levels', () => {
  it('goes through canary first for a stable-version rollback after canary', () => {
    const pipeline = ['uat', 'canary', 'production'];
    expect(stableRollbackEnvironments('production', pipeline)).toEqual([
      'canary',
      'production',
    ]);
    expect(stableRollbackEnvironments('canary', pipeline)).toEqual(['canary']);
    expect(stableRollbackEnvironments('uat', pipeline)).toEqual(['uat']);
    expect(stableRollbackEnvironments('production', ['production'])).toEqual([
      'production',
    ]);
  });

  it('points a held decision to the level it would lead to', () => {
    expect(
      recommendedLevel({
        level: 'hold',
        action: 'ask',
        then: 'stable-rollback',
        severity: 'warning',
        reasons: [],
      }),
    ).toBe(2);
    expect(
      recommendedLevel({
        level: 0,
        action: 'none',
        severity: 'info',
        reasons: [],
      }),
    ).toBeUndefined();
    expect(
      recommendedLevel({
        level: 3,
        action: 'reroute',
        then: 5,
        severity: 'critical',
        reasons: [],
      }),
    ).toBe(3);
  });

  it('says why a level cannot start, the permission and a running rollback first', () => {
    expect(
      levelBlocker(
        6,
        situation({ permissions: { start: false, loading: false } }),
      ),
    ).toMatch(/owners and the on-call group/);
    expect(
      levelBlocker(
        6,
        situation({
          runningRollback: {
            id: 'RB-1',
            environment: 'canary',
            level: 2,
          } as LevelSituation['runningRollback'],
        }),
      ),
    ).toBe(
      'Rollback RB-1 (level 2 in canary) is running; wait until it finishes.',
    );
    expect(levelBlocker(1, situation())).toBeUndefined();
    expect(
      levelBlocker(
        1,
        situation({
          health: {
            production: health({
              flags: [{ key: 'x', on: false, endpoints: [] }],
            }),
          },
        }),
      ),
    ).toBe('No flag of the newest change is on in production.');
    expect(levelBlocker(1, situation({ health: {} }))).toMatch(/unknown/);
    // Canary goes first, to the same version as production: production's target is needed.
    expect(
      levelBlocker(
        2,
        situation({
          health: {
            canary: health({ environment: 'canary' }),
            production: health({ stableVersion: undefined }),
          },
        }),
      ),
    ).toBe('No stable version is recorded in production to return to.');
    // A restore needs the pre-deployment backup the pipeline recorded.
    for (const level of [3, 5] as const) {
      expect(
        levelBlocker(
          level,
          situation({
            health: { production: health({ backupVersion: undefined }) },
          }),
        ),
      ).toBe(
        'No pre-deployment backup of production is recorded: no deployment through the portal changed it lately.',
      );
      expect(
        levelBlocker(level, situation({ health: { production: health() } })),
      ).toBeUndefined();
    }
    // The environments read stands in for a health read that failed.
    expect(
      levelBlocker(
        2,
        situation({
          health: {},
          stable: { canary: sha('b'), production: sha('b') },
          running: { canary: sha('c'), production: sha('c') },
        }),
      ),
    ).toBeUndefined();
    expect(
      levelBlocker(
        2,
        situation({
          health: {
            canary: health({ environment: 'canary' }),
            production: health({ version: sha('b') }),
          },
        }),
      ),
    ).toBe('production already runs its stable version (bbbbbbb).');
  });

  it('names the flags, versions and environments a level acts on', () => {
    expect(levelConsequences(1, situation())[0]).toBe(
      'Turns off the flag “new-checkout” in production, within seconds.',
    );
    expect(levelConsequences(2, situation()).slice(0, 2)).toEqual([
      'First returns canary from ccccccc to the stable version bbbbbbb.',
      'Then returns production from ccccccc to the stable version bbbbbbb.',
    ]);
    expect(levelConsequences(6, situation())[1]).toBe(
      'Nothing in production is changed.',
    );
  });

  it('marks the figures over their thresholds', () => {
    const figures = figuresOf(
      {
        up: false,
        endpoints: [],
        errorRate: 0.01,
        cpu: 0.81,
        business: { value: 70, baseline: 100 },
      },
      thresholdsOf({ errorRate: 0.02 }),
    );
    const breached = figures.filter(f => f.breach).map(f => f.id);
    expect(breached).toEqual(['up', 'cpu', 'business']);
    expect(figures.find(f => f.id === 'errorRate')?.limit).toBe('max 2.00 %');
    expect(figures.find(f => f.id === 'p95')?.value).toBe('unknown');
  });
});
