import { deployedVersion, imageTag, rolloutState } from './rollout';

const base = {
  metadata: { name: 'api', generation: 2 },
  spec: { replicas: 3 },
  status: {
    observedGeneration: 2,
    replicas: 3,
    updatedReplicas: 3,
    readyReplicas: 3,
    availableReplicas: 3,
  },
};

describe('rolloutState', () => {
  it('is complete when every replica is updated and available', () => {
    expect(rolloutState(base)).toBe('complete');
  });
  it('is progressing while the controller has not observed the new generation', () => {
    expect(
      rolloutState({
        ...base,
        status: { ...base.status, observedGeneration: 1 },
      }),
    ).toBe('progressing');
  });
  it('is progressing while updated replicas lag or old replicas remain', () => {
    expect(
      rolloutState({ ...base, status: { ...base.status, updatedReplicas: 2 } }),
    ).toBe('progressing');
    expect(
      rolloutState({ ...base, status: { ...base.status, replicas: 4 } }),
    ).toBe('progressing');
    expect(
      rolloutState({
        ...base,
        status: { ...base.status, availableReplicas: 1 },
      }),
    ).toBe('progressing');
  });
  it('knows a scaled-down and a missing workload', () => {
    expect(
      rolloutState({
        ...base,
        spec: { replicas: 0 },
        status: { observedGeneration: 2, replicas: 0 },
      }),
    ).toBe('scaled-down');
    expect(rolloutState(undefined)).toBe('missing');
  });
});

describe('imageTag', () => {
  it.each([
    ['acme/api:1.2.3', '1.2.3'],
    ['registry.local:5000/acme/api:abc1234', 'abc1234'],
    ['registry.local:5000/acme/api', undefined],
    ['acme/api:v1@sha256:0123', 'v1'],
    ['api', undefined],
  ])('%s → %s', (image, tag) => {
    expect(imageTag(image)).toBe(tag);
  });
});

describe('deployedVersion', () => {
  it('reads the container named like the workload and the commit annotation', () => {
    expect(
      deployedVersion(
        {
          metadata: { name: 'api', annotations: { sha: 'f'.repeat(40) } },
          spec: {
            template: {
              spec: {
                containers: [
                  { name: 'sidecar', image: 'proxy:1' },
                  { name: 'api', image: 'acme/api:abc' },
                ],
              },
            },
          },
        },
        'sha',
      ),
    ).toEqual({
      image: 'acme/api:abc',
      imageTag: 'abc',
      commitSha: 'f'.repeat(40),
    });
  });
  it('is undefined without containers', () => {
    expect(
      deployedVersion({ metadata: { name: 'api' } }, 'sha'),
    ).toBeUndefined();
  });
});
