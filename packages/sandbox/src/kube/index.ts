/*
 * The sandbox Kubernetes API server: a subset of the Kubernetes API over HTTP,
 * backed by an in-memory store, for dev machines and tests.
 */
export { startKubeServer } from './KubeApiServer';
export type { KubeServer, KubeServerOptions } from './KubeApiServer';
export { KubeStore, REVISION_ANNOTATION } from './KubeStore';
export type {
  DeleteOptions,
  KubeObject,
  ResourceRef,
  StoreEvent,
  WatchEventType,
  WriteOptions,
} from './KubeStore';
export { KubeApiError } from './errors';
export type { KubeStatus, StatusDetails } from './errors';
export { RESOURCE_TYPES, resolveType } from './resources';
export type { ResourceType } from './resources';
export { parseFieldSelector, parseLabelSelector } from './selectors';
export type { FieldSelector, LabelSelector } from './selectors';
export {
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
} from './patch';
export { isRolledOut } from './controllers';
