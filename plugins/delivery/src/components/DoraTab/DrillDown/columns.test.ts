import { deploymentLabel } from './columns';

describe('deploymentLabel', () => {
  it('shortens the source ids of deployments for people', () => {
    expect(deploymentLabel('portal:DEP-1764150000000-000001')).toBe(
      'DEP-1764150000000-000001',
    );
    expect(
      deploymentLabel(
        'github:deployment_status:1800078402:component:default/payments-api',
      ),
    ).toBe('GitHub 1800078402');
    expect(deploymentLabel('github:9001')).toBe('GitHub 9001');
    expect(deploymentLabel('jenkins:42')).toBe('jenkins:42');
  });
});
