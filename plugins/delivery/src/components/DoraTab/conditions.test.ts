import { isDoraAvailable } from './conditions';

describe('isDoraAvailable', () => {
  it('is true for components with a GitHub repository, deployed by the portal or not', () => {
    expect(
      isDoraAvailable({
        apiVersion: 'v1',
        kind: 'Component',
        metadata: {
          name: 'api',
          annotations: { 'github.com/project-slug': 'acme/api' },
        },
      }),
    ).toBe(true);
  });

  it('is false without one, or for other kinds', () => {
    expect(
      isDoraAvailable({
        apiVersion: 'v1',
        kind: 'Component',
        metadata: { name: 'money-lib' },
      }),
    ).toBe(false);
    expect(
      isDoraAvailable({
        apiVersion: 'v1',
        kind: 'Component',
        metadata: {
          name: 'api',
          annotations: { 'github.com/project-slug': ' ' },
        },
      }),
    ).toBe(false);
    expect(
      isDoraAvailable({
        apiVersion: 'v1',
        kind: 'Group',
        metadata: {
          name: 'team',
          annotations: { 'github.com/project-slug': 'acme/api' },
        },
      }),
    ).toBe(false);
  });
});
