/*
 * The ports `yarn workspace @internal/sandbox start` listens on, and the flag sync server it
 * reads flags from, read from the environment.
 */
import type { FlagSyncAddress } from './flags';
import { DEFAULT_SANDBOX_PORTS, SandboxPorts } from './index';
import { SANDBOX_CLUSTERS } from './seed';

function port(value: unknown, name: string): number {
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < 0 ||
    value > 65535
  ) {
    throw new Error(
      `SANDBOX_PORTS: ${name} must be a port number (0 picks a free one), got ${JSON.stringify(
        value,
      )}`,
    );
  }
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads `SANDBOX_PORTS`, a JSON object shaped like {@link SandboxPorts}, e.g.
 * `{"github":0,"clusters":{"uat":0,"canary":0,"production":0},"traffic":0,"jenkins":0,"pagerduty":0}`. Entries
 * it leaves out keep the demo's port ({@link DEFAULT_SANDBOX_PORTS}); 0 picks a free port. Unset
 * or empty: the demo's ports.
 */
export function parseSandboxPorts(json: string | undefined): SandboxPorts {
  const defaults = DEFAULT_SANDBOX_PORTS;
  if (json === undefined || json.trim() === '') {
    return { ...defaults, clusters: { ...defaults.clusters } };
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new Error(`SANDBOX_PORTS is not JSON: ${(error as Error).message}`);
  }
  if (!isObject(value)) {
    throw new Error('SANDBOX_PORTS must be a JSON object');
  }
  const known = ['github', 'clusters', 'traffic', 'jenkins', 'pagerduty'];
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new Error(
        `SANDBOX_PORTS: unknown key ${key} (known: ${known.join(', ')})`,
      );
    }
  }
  const clusters = { ...defaults.clusters };
  if (value.clusters !== undefined) {
    if (!isObject(value.clusters)) {
      throw new Error('SANDBOX_PORTS: clusters must be an object');
    }
    for (const [name, p] of Object.entries(value.clusters)) {
      if (!(SANDBOX_CLUSTERS as readonly string[]).includes(name)) {
        throw new Error(
          `SANDBOX_PORTS: unknown cluster ${name} (known: ${SANDBOX_CLUSTERS.join(
            ', ',
          )})`,
        );
      }
      clusters[name] = port(p, `clusters.${name}`);
    }
  }
  return {
    github:
      value.github === undefined
        ? defaults.github
        : port(value.github, 'github'),
    clusters,
    traffic:
      value.traffic === undefined
        ? defaults.traffic
        : port(value.traffic, 'traffic'),
    jenkins:
      value.jenkins === undefined
        ? defaults.jenkins
        : port(value.jenkins, 'jenkins'),
    pagerduty:
      value.pagerduty === undefined
        ? defaults.pagerduty
        : port(value.pagerduty, 'pagerduty'),
  };
}

/**
 * Reads `SANDBOX_FLAGS_PORT` (and `SANDBOX_FLAGS_HOST`, default `127.0.0.1`): the port of the
 * portal's flagd gRPC sync server, which the simulated services then read their flags from.
 * Unset or empty: the services read no flags.
 */
export function parseFlagsAddress(
  flagsPort: string | undefined,
  host: string | undefined,
): FlagSyncAddress | undefined {
  if (flagsPort === undefined || flagsPort.trim() === '') return undefined;
  const value = Number(flagsPort);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new Error(
      `SANDBOX_FLAGS_PORT must be the port of the portal's flag sync server, got ${JSON.stringify(
        flagsPort,
      )}`,
    );
  }
  return { host: host?.trim() || '127.0.0.1', port: value };
}
