import { groupStages } from './stages';
import { stage } from '../__testUtils__/fixtures';

describe('groupStages', () => {
  it('groups consecutive stages of one environment, in position order', () => {
    const groups = groupStages([
      stage(3, 'canary.deploy', 'failed'),
      stage(0, 'validate', 'succeeded'),
      stage(2, 'uat.verify', 'succeeded'),
      stage(1, 'uat.deploy', 'succeeded'),
      stage(4, 'canary.rollback', 'running'),
      stage(5, 'mark-stable', 'pending'),
    ]);
    expect(groups.map(g => [g.environment, g.stages.map(s => s.name)])).toEqual(
      [
        ['pipeline', ['validate']],
        ['uat', ['uat.deploy', 'uat.verify']],
        ['canary', ['canary.deploy', 'canary.rollback']],
        ['pipeline', ['mark-stable']],
      ],
    );
  });
});
