/*
 * A flagd gRPC sync server, for OpenFeature providers that evaluate flags in-process.
 */
export { parseFlagSyncSelector } from './FlagSyncSource';
export type {
  FlagConfigurationSnapshot,
  FlagSyncSelector,
  FlagSyncSource,
} from './FlagSyncSource';
export { startFlagSyncServer } from './FlagSyncServer';
export type { FlagSyncServer, FlagSyncServerOptions } from './FlagSyncServer';
export { FLAGD_SYNC_PROTO } from './syncProto';
