import { checkRunState, combineCiStates, commitStatusState } from './ci';

describe('combineCiStates', () => {
  it('fails on any failure, waits on any pending, passes when all pass', () => {
    expect(
      combineCiStates([
        { state: 'success' },
        { state: 'failure' },
        { state: 'pending' },
      ]),
    ).toBe('failure');
    expect(combineCiStates([{ state: 'success' }, { state: 'pending' }])).toBe(
      'pending',
    );
    expect(combineCiStates([{ state: 'success' }, { state: 'success' }])).toBe(
      'success',
    );
    expect(combineCiStates([])).toBe('none');
  });
});

describe('checkRunState', () => {
  it('maps GitHub check run results', () => {
    expect(checkRunState('in_progress', null)).toBe('pending');
    expect(checkRunState('completed', 'success')).toBe('success');
    expect(checkRunState('completed', 'skipped')).toBe('success');
    expect(checkRunState('completed', 'timed_out')).toBe('failure');
    expect(checkRunState('completed', 'failure')).toBe('failure');
  });
});

describe('commitStatusState', () => {
  it('maps GitHub commit status states', () => {
    expect(commitStatusState('error')).toBe('failure');
    expect(commitStatusState('pending')).toBe('pending');
    expect(commitStatusState('success')).toBe('success');
  });
});
