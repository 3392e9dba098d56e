import { DEFAULT_SANDBOX_PORTS } from './index';
import { parseFlagsAddress, parseSandboxPorts } from './ports';

describe('parseSandboxPorts', () => {
  it('gives the demo ports when SANDBOX_PORTS is unset or empty', () => {
    expect(parseSandboxPorts(undefined)).toEqual(DEFAULT_SANDBOX_PORTS);
    expect(parseSandboxPorts('  ')).toEqual(DEFAULT_SANDBOX_PORTS);
  });

  it('takes every port from the JSON, 0 meaning a free one', () => {
    expect(
      parseSandboxPorts(
        '{"github":0,"clusters":{"uat":0,"canary":0,"production":0},"traffic":0,"jenkins":0,"pagerduty":0}',
      ),
    ).toEqual({
      github: 0,
      clusters: { uat: 0, canary: 0, production: 0 },
      traffic: 0,
      jenkins: 0,
      pagerduty: 0,
    });
  });

  it('keeps the demo port for entries left out', () => {
    expect(
      parseSandboxPorts('{"github":8010,"clusters":{"canary":8012}}'),
    ).toEqual({
      github: 8010,
      clusters: { uat: 7011, canary: 8012, production: 7013 },
      traffic: 7014,
      jenkins: 7015,
      pagerduty: 7016,
    });
  });

  it('refuses what is not a port map', () => {
    expect(() => parseSandboxPorts('7010')).toThrow(/must be a JSON object/);
    expect(() => parseSandboxPorts('{github:1}')).toThrow(/is not JSON/);
    expect(() => parseSandboxPorts('{"gitlab":1}')).toThrow(
      /unknown key gitlab/,
    );
    expect(() => parseSandboxPorts('{"clusters":{"staging":1}}')).toThrow(
      /unknown cluster staging/,
    );
    expect(() => parseSandboxPorts('{"github":"7010"}')).toThrow(
      /github must be a port number/,
    );
    expect(() => parseSandboxPorts('{"jenkins":70000}')).toThrow(
      /jenkins must be a port number/,
    );
    expect(() => parseSandboxPorts('{"pagerduty":"7016"}')).toThrow(
      /pagerduty must be a port number/,
    );
    expect(() => parseSandboxPorts('{"clusters":{"uat":-1}}')).toThrow(
      /clusters\.uat must be a port number/,
    );
  });

  it('does not change the demo defaults it hands out', () => {
    parseSandboxPorts(undefined).clusters.uat = 1;
    expect(DEFAULT_SANDBOX_PORTS.clusters.uat).toBe(7011);
  });
});

describe('parseFlagsAddress', () => {
  it('reads no flags when SANDBOX_FLAGS_PORT is unset or empty', () => {
    expect(parseFlagsAddress(undefined, undefined)).toBeUndefined();
    expect(parseFlagsAddress(' ', '10.0.0.1')).toBeUndefined();
  });

  it('takes the port, and the host or 127.0.0.1', () => {
    expect(parseFlagsAddress('8015', undefined)).toEqual({
      host: '127.0.0.1',
      port: 8015,
    });
    expect(parseFlagsAddress('8015', 'portal.local')).toEqual({
      host: 'portal.local',
      port: 8015,
    });
  });

  it.each(['0', 'abc', '70000', '80.5'])('refuses %j', port => {
    expect(() => parseFlagsAddress(port, undefined)).toThrow(
      /SANDBOX_FLAGS_PORT must be the port of the portal's flag sync server/,
    );
  });
});
