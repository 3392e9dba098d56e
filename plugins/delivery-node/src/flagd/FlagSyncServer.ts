/*
 * A flagd gRPC sync server (`flagd.sync.v1.FlagSyncService`) over a FlagSyncSource, so that
 * OpenFeature flagd providers in in-process mode stream their flag configurations from the
 * portal without a flagd daemon.
 */
import { LoggerService } from '@backstage/backend-plugin-api';
import { isError } from '@backstage/errors';
import * as grpc from '@grpc/grpc-js';
import {
  FlagSyncSelector,
  FlagSyncSource,
  parseFlagSyncSelector,
} from './FlagSyncSource';
import {
  FetchAllFlagsRequest,
  FetchAllFlagsResponse,
  GetMetadataResponse,
  SyncFlagsRequest,
  SyncFlagsResponse,
  flagSyncServiceDefinition,
} from './syncProto';

/** The request header flagd providers send their selector in (besides the request field). */
const SELECTOR_HEADER = 'flagd-selector';
/** How long `close()` lets calls finish before it cuts the connections. */
const GRACEFUL_SHUTDOWN_MS = 1000;

/**
 * Options of {@link startFlagSyncServer}.
 *
 * @public
 */
export interface FlagSyncServerOptions {
  /** Where flag configurations come from. */
  source: FlagSyncSource;
  /**
   * Interface to listen on (default `127.0.0.1`). The server speaks plain gRPC without TLS or
   * authentication: listen beyond loopback only on a network the flag readers share.
   */
  host?: string;
  /** Port to listen on; 0 picks a free one. */
  port: number;
  logger: LoggerService;
}

/**
 * A running flag sync server.
 *
 * @public
 */
export interface FlagSyncServer {
  /** The port it listens on (the one picked when asked for 0). */
  port: number;
  /**
   * Ends every open sync stream with UNAVAILABLE (providers reconnect elsewhere or later),
   * stops watching the source, and stops the server (forcibly after a short grace period).
   */
  close(): Promise<void>;
}

type SyncCall = grpc.ServerWritableStream<SyncFlagsRequest, SyncFlagsResponse>;

/** An open `SyncFlags` stream and the revision it was last sent. */
interface SyncStream {
  call: SyncCall;
  revision?: string;
}

/**
 * The streams that asked for the same selector: one snapshot read serves all of them, so a
 * change costs one read per selector and one write per stream whose revision is behind.
 */
interface SelectorGroup {
  key: string;
  selector: FlagSyncSelector;
  streams: Set<SyncStream>;
  /** A read is in flight. */
  reading: boolean;
  /** A change was announced during the read in flight: read again when it ends. */
  again: boolean;
}

function selectorKey(selector: FlagSyncSelector): string {
  return selector.service === undefined
    ? selector.environment
    : `${selector.environment}/${selector.service}`;
}

/** The selector of a request: the request's `selector` field, else the `flagd-selector` header. */
function selectorOf(
  request: { selector?: string },
  metadata: grpc.Metadata,
): FlagSyncSelector {
  const header = metadata.get(SELECTOR_HEADER)[0];
  const raw =
    request.selector ||
    (typeof header === 'string' ? header : header?.toString('utf8')) ||
    '';
  return parseFlagSyncSelector(raw);
}

/** The gRPC status an error of the source (or of the selector) answers with. */
function statusOf(error: unknown): grpc.StatusObject {
  const message = isError(error) ? error.message : String(error);
  const base = { metadata: new grpc.Metadata() };
  if (isError(error) && error.name === 'NotFoundError') {
    return { ...base, code: grpc.status.NOT_FOUND, details: message };
  }
  if (isError(error) && error.name === 'InputError') {
    return { ...base, code: grpc.status.INVALID_ARGUMENT, details: message };
  }
  return {
    ...base,
    code: grpc.status.UNAVAILABLE,
    details: `The flag configuration could not be read: ${message}`,
  };
}

function shuttingDown(): grpc.StatusObject {
  return {
    code: grpc.status.UNAVAILABLE,
    details: 'The flag sync server is shutting down',
    metadata: new grpc.Metadata(),
  };
}

/**
 * Starts a flagd gRPC sync server (`flagd.sync.v1.FlagSyncService`) over `source`; resolves
 * once it listens.
 *
 * - `SyncFlags` sends the whole flag configuration of the selector at once, then again each
 *   time `source.watch` announces a change of its environment and the snapshot's revision
 *   differs from the one last sent on that stream. A stream never ends with OK (flagd
 *   providers would take that for a broken connection): it ends with an error status when the
 *   selector is bad (INVALID_ARGUMENT), the environment or service is unknown (NOT_FOUND), the
 *   source fails (UNAVAILABLE; the provider reconnects and gets a fresh snapshot) or the
 *   server closes (UNAVAILABLE).
 * - `FetchAllFlags` answers one snapshot; `GetMetadata` (deprecated) an empty Struct.
 *
 * The selector is `<environment>` or `<environment>/<service>`, read from the request's
 * `selector` field or else the `flagd-selector` header (providers send both).
 *
 * @public
 */
export async function startFlagSyncServer(
  options: FlagSyncServerOptions,
): Promise<FlagSyncServer> {
  const { source, logger } = options;
  const groups = new Map<string, SelectorGroup>();
  let closed = false;

  const remove = (group: SelectorGroup, stream: SyncStream) => {
    group.streams.delete(stream);
    if (group.streams.size === 0 && groups.get(group.key) === group) {
      groups.delete(group.key);
    }
  };

  const end = (stream: SyncStream, status: grpc.StatusObject) => {
    if (!stream.call.cancelled && !stream.call.writableEnded) {
      // grpc-js turns an 'error' event of a server stream into its final status.
      stream.call.emit('error', status);
    }
  };

  const fail = (group: SelectorGroup, error: unknown) => {
    const status = statusOf(error);
    const log = status.code === grpc.status.UNAVAILABLE ? 'warn' : 'debug';
    logger[log](
      `Flag sync for '${group.key}' ended ${
        group.streams.size
      } stream(s) with ${grpc.status[status.code]}: ${status.details}`,
    );
    if (groups.get(group.key) === group) groups.delete(group.key);
    for (const stream of group.streams) end(stream, status);
    group.streams.clear();
  };

  /** Reads the group's snapshot and sends it to every stream that does not have it yet. */
  const refresh = async (group: SelectorGroup) => {
    if (group.reading) {
      group.again = true;
      return;
    }
    group.reading = true;
    try {
      do {
        group.again = false;
        let snapshot;
        try {
          snapshot = await source.snapshot(group.selector);
        } catch (error) {
          fail(group, error);
          return;
        }
        for (const stream of group.streams) {
          if (stream.revision === snapshot.revision || stream.call.cancelled) {
            continue;
          }
          stream.revision = snapshot.revision;
          stream.call.write({ flagConfiguration: snapshot.configuration });
        }
      } while (group.again && group.streams.size > 0 && !closed);
    } finally {
      group.reading = false;
    }
  };

  const syncFlags: grpc.handleServerStreamingCall<
    SyncFlagsRequest,
    SyncFlagsResponse
  > = call => {
    const stream: SyncStream = { call };
    if (closed) {
      end(stream, shuttingDown());
      return;
    }
    let selector: FlagSyncSelector;
    try {
      selector = selectorOf(call.request, call.metadata);
    } catch (error) {
      end(stream, statusOf(error));
      return;
    }
    const key = selectorKey(selector);
    let group = groups.get(key);
    if (!group) {
      group = {
        key,
        selector,
        streams: new Set(),
        reading: false,
        again: false,
      };
      groups.set(key, group);
    }
    const joined = group;
    joined.streams.add(stream);
    call.on('cancelled', () => remove(joined, stream));
    call.on('finish', () => remove(joined, stream));
    void refresh(joined);
  };

  const fetchAllFlags: grpc.handleUnaryCall<
    FetchAllFlagsRequest,
    FetchAllFlagsResponse
  > = (call, callback) => {
    let selector: FlagSyncSelector;
    try {
      selector = selectorOf(call.request, call.metadata);
    } catch (error) {
      callback(statusOf(error));
      return;
    }
    source.snapshot(selector).then(
      snapshot => callback(null, { flagConfiguration: snapshot.configuration }),
      error => callback(statusOf(error)),
    );
  };

  const getMetadata: grpc.handleUnaryCall<unknown, GetMetadataResponse> = (
    _call,
    callback,
  ) => callback(null, { metadata: { fields: {} } });

  const server = new grpc.Server({
    // Ping idle connections so that streams of vanished clients are noticed and dropped.
    'grpc.keepalive_time_ms': 60_000,
    'grpc.keepalive_timeout_ms': 20_000,
  });
  server.addService(flagSyncServiceDefinition(), {
    syncFlags,
    fetchAllFlags,
    getMetadata,
  } as grpc.UntypedServiceImplementation);

  const host = options.host ?? '127.0.0.1';
  const address = host.includes(':') ? `[${host}]:` : `${host}:`;
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      `${address}${options.port}`,
      grpc.ServerCredentials.createInsecure(),
      (error, bound) => (error ? reject(error) : resolve(bound)),
    ),
  );

  const unwatch = source.watch(environment => {
    for (const group of groups.values()) {
      if (group.selector.environment === environment) void refresh(group);
    }
  });
  logger.info(`flagd sync server listening on ${address}${port}`);

  return {
    port,
    async close() {
      if (closed) return;
      closed = true;
      unwatch();
      const shutdown = shuttingDown();
      for (const group of groups.values()) {
        for (const stream of group.streams) end(stream, shutdown);
        group.streams.clear();
      }
      groups.clear();
      await new Promise<void>(resolve => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, GRACEFUL_SHUTDOWN_MS);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
