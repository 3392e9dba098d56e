import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { durationToMilliseconds, HumanDuration } from '@backstage/types';
import { readDurationFromConfig } from '@backstage/config';

/** `delivery.flags`: approvals, the sync sources and the pipeline's rollout steps. */
export interface FlagsConfig {
  /** Environments where every service's flag changes that turn anything on need a second person. */
  approvalRequired: string[];
  sync: {
    /** The bearer token flagd sends (its `authHeader`: `Bearer <token>`); without one the HTTP source refuses everyone. */
    token?: string;
    /** flagd's gRPC sync on its own port; absent when `delivery.flags.sync.grpc.enabled` is false. */
    grpc?: { host: string; port: number };
    /** How often each replica reads the environments' revisions to tell its streams about changes made elsewhere. */
    pollIntervalMs: number;
  };
  /** Percentages a deployment's flags go through in each environment after it verified. */
  rolloutSteps: Record<string, number[]>;
  /** Flags created at start when their service does not have them yet (e.g. the demo's). */
  initial: InitialFlag[];
}

/** A flag `delivery.flags.initial` asks for. */
export interface InitialFlag {
  service: string;
  key: string;
  description?: string;
  change?: string;
  /** Share of users it is on for, by environment (0 where absent). */
  rollout: Record<string, number>;
}

const duration = (config: Config, key: string, fallback: HumanDuration) =>
  durationToMilliseconds(
    config.has(key) ? readDurationFromConfig(config, { key }) : fallback,
  );

export function readFlagsConfig(
  config: Config,
  environments: string[],
): FlagsConfig {
  const approvalRequired =
    config.getOptionalStringArray('delivery.flags.approvalRequired') ?? [];
  for (const environment of approvalRequired) {
    if (!environments.includes(environment)) {
      throw new InputError(
        `delivery.flags.approvalRequired names ${environment}, which is not an environment (${environments.join(
          ', ',
        )})`,
      );
    }
  }
  const steps = (config.getOptional('delivery.flags.rollout.steps') ?? [
    10, 50, 100,
  ]) as number[];
  if (
    !Array.isArray(steps) ||
    steps.length === 0 ||
    steps.some(
      (s: unknown, i: number) =>
        !Number.isInteger(s) ||
        (s as number) < 1 ||
        (s as number) > 100 ||
        (i > 0 && (s as number) <= steps[i - 1]),
    ) ||
    steps[steps.length - 1] !== 100
  ) {
    throw new InputError(
      `delivery.flags.rollout.steps are whole percentages from 1 to 100, rising, ending at 100; got ${steps.join(
        ', ',
      )}`,
    );
  }
  const grpcEnabled =
    config.getOptionalBoolean('delivery.flags.sync.grpc.enabled') ?? true;
  const port =
    config.getOptionalNumber('delivery.flags.sync.grpc.port') ?? 8015;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InputError(
      `delivery.flags.sync.grpc.port must be a port number, got ${port}`,
    );
  }
  const token = config.getOptionalString('delivery.flags.sync.token');
  const initial = (
    config.getOptionalConfigArray('delivery.flags.initial') ?? []
  ).map(c => {
    const rollout = c.getOptionalConfig('rollout');
    const flag: InitialFlag = {
      service: c.getString('service'),
      key: c.getString('key'),
      rollout: Object.fromEntries(
        (rollout?.keys() ?? []).map(e => [e, rollout!.getNumber(e)]),
      ),
    };
    const description = c.getOptionalString('description');
    const change = c.getOptionalString('change');
    if (description) flag.description = description;
    if (change) flag.change = change;
    for (const [environment, percent] of Object.entries(flag.rollout)) {
      if (!environments.includes(environment)) {
        throw new InputError(
          `delivery.flags.initial: ${flag.key} names ${environment}, which is not an environment`,
        );
      }
      if (!Number.isInteger(percent) || percent < 0 || percent > 100) {
        throw new InputError(
          `delivery.flags.initial: ${flag.key}'s rollout in ${environment} is a whole percentage, got ${percent}`,
        );
      }
    }
    return flag;
  });
  return {
    initial,
    approvalRequired,
    sync: {
      ...(token ? { token } : {}),
      ...(grpcEnabled
        ? {
            grpc: {
              host:
                config.getOptionalString('delivery.flags.sync.grpc.host') ??
                '0.0.0.0',
              port,
            },
          }
        : {}),
      pollIntervalMs: duration(config, 'delivery.flags.sync.pollInterval', {
        milliseconds: 250,
      }),
    },
    // The first environment (UAT) tests the change with its flags on for everyone; the later
    // ones (canary, production) turn them on gradually.
    rolloutSteps: Object.fromEntries(
      environments.map((e, i) => [e, i === 0 ? [100] : steps]),
    ),
  };
}
