import {
  healthBreach,
  imageForCommit,
  imageTemplateProblem,
  planStages,
} from './plan';

describe('planStages', () => {
  it('goes through every environment in order and ends by marking stable', () => {
    expect(
      planStages({
        environments: ['uat', 'canary', 'production'],
        approvalGates: ['production'],
        jenkinsEnvironment: 'uat',
      }).map(s => s.name),
    ).toEqual([
      'validate',
      'uat.backup',
      'uat.deploy',
      'uat.rollout',
      'uat.verify',
      'uat.jenkins',
      'canary.backup',
      'canary.deploy',
      'canary.rollout',
      'canary.verify',
      // Blocking issues and CI again, before production is touched.
      'production.validate',
      'production.approval',
      'production.backup',
      'production.deploy',
      'production.rollout',
      'production.verify',
      'mark-stable',
    ]);
  });

  it('leaves out the approval gate and Jenkins when not configured', () => {
    const names = planStages({
      environments: ['uat', 'production'],
      approvalGates: [],
    }).map(s => s.name);
    expect(names).not.toContain('production.approval');
    expect(names.some(n => n.endsWith('.jenkins'))).toBe(false);
    expect(names).toHaveLength(11);
  });
});

describe('planStages approval gates', () => {
  it('puts a gate before any environment configured to have one', () => {
    const names = planStages({
      environments: ['uat', 'canary', 'production'],
      approvalGates: ['uat', 'canary'],
    }).map(s => s.name);
    expect(names.indexOf('uat.approval')).toBe(names.indexOf('uat.backup') - 1);
    expect(names.indexOf('canary.approval')).toBe(
      names.indexOf('canary.backup') - 1,
    );
    expect(names).not.toContain('production.approval');
  });
});

describe('imageForCommit', () => {
  const sha = '0123456789abcdef0123456789abcdef01234567';

  it('keeps the repository (and a registry port) and tags with the full sha', () => {
    expect(imageForCommit('registry.local:5000/acme/api:1.2.3', sha)).toBe(
      `registry.local:5000/acme/api:${sha}`,
    );
    expect(imageForCommit('acme/api', sha)).toBe(`acme/api:${sha}`);
    expect(imageForCommit('acme/api:old@sha256:abc', sha)).toBe(
      `acme/api:${sha}`,
    );
  });

  it('fills a template from config or the service', () => {
    expect(
      imageForCommit('acme/api:1.2.3', sha, 'ghcr.io/acme/api:main-{{ sha }}'),
    ).toBe(`ghcr.io/acme/api:main-${sha}`);
    expect(imageForCommit('acme/api:1', sha, '{{repository}}:v-{{sha}}')).toBe(
      `acme/api:v-${sha}`,
    );
  });

  it('refuses templates without the full sha or with unknown placeholders', () => {
    expect(imageTemplateProblem('{{repository}}:{{sha}}')).toBeUndefined();
    expect(imageTemplateProblem('acme/api:latest')).toBe(
      'Image template acme/api:latest does not contain {{sha}}: images are tagged with the full commit sha, so that no other build can shadow them',
    );
    expect(imageTemplateProblem('{{repository}}:{{shortSha}}')).toBe(
      'Image template {{repository}}:{{shortSha}} uses unknown placeholders {{shortSha}}; it may use {{repository}} and {{sha}}',
    );
  });
});

describe('healthBreach', () => {
  const thresholds = { errorRate: 0.01, p95Seconds: 2 };
  it('names each threshold that is crossed', () => {
    expect(healthBreach({ errorRate: 0.08, p95Seconds: 2.5 }, thresholds)).toBe(
      'error rate 8.00% above 1.00% and p95 latency 2.50 s above 2 s',
    );
    expect(
      healthBreach({ errorRate: 0.002, p95Seconds: 0.2 }, thresholds),
    ).toBeUndefined();
    expect(healthBreach({}, thresholds)).toBeUndefined();
  });

  it('needs an error rate above the threshold beyond chance when it knows the requests', () => {
    // A healthy version (0.2 %) with 3 failures in 200 requests: 1.5 %, but not surely above 1 %.
    expect(healthBreach({ errorRate: 0.015 }, thresholds, 200)).toBeUndefined();
    // An unhealthy one (8 %): 16 in 200.
    expect(healthBreach({ errorRate: 0.08 }, thresholds, 200)).toBe(
      'error rate 8.00% above 1.00%',
    );
    // With plenty of traffic the bound is the rate itself.
    expect(healthBreach({ errorRate: 0.015 }, thresholds, 100_000)).toBe(
      'error rate 1.50% above 1.00%',
    );
  });
});
