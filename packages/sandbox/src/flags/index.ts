/*
 * The simulated services' feature flags, read through OpenFeature from a flagd sync server.
 */
export {
  ClosableFlagdProvider,
  inProcessFlagdProvider,
} from './ClosableFlagdProvider';
export { SIMULATED_USERS, ServiceFlags } from './ServiceFlags';
export type { FlagSyncAddress } from './ServiceFlags';
