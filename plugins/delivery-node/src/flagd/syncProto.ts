/*
 * flagd's gRPC sync protocol, `flagd.sync.v1.FlagSyncService`, loaded at run time from the proto
 * text below (it is not published as a file on npm).
 */
import * as grpc from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import * as protobuf from 'protobufjs';

/**
 * `protobuf/flagd/sync/v1/sync.proto` of open-feature/flagd-schemas, the version
 * `@openfeature/flagd-provider` 0.16 is generated from: `SyncFlagsResponse` carries a
 * `sync_context` Struct (field 2), and the deprecated `GetMetadata` answers a Struct in field 2
 * (field 1, a list of key/value pairs in older versions, is reserved). The language packaging
 * options are left out; comments shortened.
 */
export const FLAGD_SYNC_PROTO = `
syntax = "proto3";

package flagd.sync.v1;

import "google/protobuf/struct.proto";

// SyncFlagsRequest is the request initiating the server-streaming rpc.
// Implementations of flagd providers and flagd itself send this request, acting as the client.
message SyncFlagsRequest {
  // Optional: a unique identifier of the client initiating the request.
  string provider_id = 1;

  // Optional: a selector for the flag configuration. Deprecated in favour of the
  // 'flagd-selector' request header; providers send both.
  string selector = 2;
}

// SyncFlagsResponse is the server response containing feature flag configurations and the state
message SyncFlagsResponse {
  // flagd feature flag configuration. Must be validated to schema - https://flagd.dev/schema/v0/flags.json
  string flag_configuration = 1;

  // Static context to be included in in-process evaluations (optional).
  google.protobuf.Struct sync_context = 2;
}

// FetchAllFlagsRequest is the request to fetch all flags. Clients send this request in order to resync their internal state
message FetchAllFlagsRequest {
  // Optional: a unique identifier of the client initiating the request.
  string provider_id = 1;

  // Optional: a selector for the flag configuration.
  string selector = 2;
}

// FetchAllFlagsResponse is the server response containing feature flag configurations
message FetchAllFlagsResponse {
  // flagd feature flag configuration. Must be validated to schema - https://flagd.dev/schema/v0/flags.json
  string flag_configuration = 1;
}

// GetMetadataRequest is the request for retrieving metadata from the sync service
message GetMetadataRequest {
  option deprecated = true;
}

// GetMetadataResponse contains metadata from the sync service
message GetMetadataResponse {
  option deprecated = true;

  reserved 1;
  google.protobuf.Struct metadata = 2;
}

// FlagSyncService implements a server streaming to provide realtime flag configurations
service FlagSyncService {
  rpc SyncFlags(SyncFlagsRequest) returns (stream SyncFlagsResponse) {}
  rpc FetchAllFlags(FetchAllFlagsRequest) returns (FetchAllFlagsResponse) {}
  // Deprecated: providers get their static context from SyncFlagsResponse.sync_context.
  rpc GetMetadata(GetMetadataRequest) returns (GetMetadataResponse) {
    option deprecated = true;
  }
}
`;

/** The wire messages, as `@grpc/proto-loader` hands them to handlers (camelCase fields). */
export interface SyncFlagsRequest {
  providerId: string;
  selector: string;
}

export interface SyncFlagsResponse {
  flagConfiguration: string;
  /** A `google.protobuf.Struct` in its message form (`{ fields: { name: Value } }`). */
  syncContext?: { fields: Record<string, unknown> };
}

export type FetchAllFlagsRequest = SyncFlagsRequest;

export interface FetchAllFlagsResponse {
  flagConfiguration: string;
}

export interface GetMetadataResponse {
  metadata: { fields: Record<string, unknown> };
}

let cached: grpc.ServiceDefinition | undefined;

/** The service definition of `flagd.sync.v1.FlagSyncService`, parsed once. */
export function flagSyncServiceDefinition(): grpc.ServiceDefinition {
  if (!cached) {
    const root = new protobuf.Root();
    // The well-known Struct ships with protobufjs; the proto imports it.
    root.addJSON(protobuf.common.get('google/protobuf/struct.proto')!.nested!);
    // Fields in camelCase (flag_configuration → flagConfiguration), as ts-proto clients have them.
    protobuf.parse(FLAGD_SYNC_PROTO, root, { keepCase: false });
    root.resolveAll();
    const definition = fromJSON(root.toJSON(), {
      defaults: true,
      longs: String,
      enums: String,
      oneofs: true,
    });
    const service = definition['flagd.sync.v1.FlagSyncService'];
    cached = service as grpc.ServiceDefinition;
  }
  return cached;
}
