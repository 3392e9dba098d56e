/*
 * The in-memory object store behind the sandbox Kubernetes API server: objects
 * keyed by (group/version/resource, namespace, name), one monotonically
 * increasing resourceVersion counter, server-owned metadata (uid,
 * creationTimestamp, generation) and an event stream for watches.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  alreadyExists,
  badRequest,
  conflict,
  expired,
  notFound,
} from './errors';
import {
  RESOURCE_TYPES,
  ResourceType,
  apiVersionOf,
  resolveType,
  typeForKind,
  typeKey,
} from './resources';
import { applyDefaults, validateObject } from './validation';

/** A Kubernetes object as JSON. */
export type KubeObject = Record<string, any>;

/** The type of a watch event. */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** A change to the store, as delivered to watchers. */
export interface StoreEvent {
  type: WatchEventType;
  resourceType: ResourceType;
  /** The object after the change (for DELETED: the last state, with the delete's resourceVersion). */
  object: KubeObject;
  /** The object before the change (MODIFIED and DELETED). */
  oldObject?: KubeObject;
  /** The resourceVersion of the change, as a number. */
  resourceVersion: number;
}

/** Options of mutating calls. */
export interface WriteOptions {
  /** Validate and compute the result, but do not store it (`?dryRun=All`). */
  dryRun?: boolean;
}

/** Options of `delete`. */
export interface DeleteOptions extends WriteOptions {
  preconditions?: { uid?: string; resourceVersion?: string };
}

/** A loose reference to a resource type, see `resolveType` (`deployments`, `apps/v1/deployments`, ...). */
export type ResourceRef = string | ResourceType;

/** The annotation that carries a Deployment's revision. */
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';

const HISTORY_LIMIT = 10000;
const NAME_SUFFIX_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v as object)
        .sort()
        .map(k => [k, canonical((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

/**
 * In-memory Kubernetes object store. Emits `event` (`StoreEvent`) for every
 * change. Every change bumps the single resourceVersion counter.
 */
export class KubeStore extends EventEmitter {
  /** The cluster name this store stands for. */
  readonly name: string;
  private counter = 0;
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly history: StoreEvent[] = [];
  private oldestRetained = 1;

  constructor(name: string = 'sandbox') {
    super();
    this.name = name;
    this.setMaxListeners(0);
    for (const t of RESOURCE_TYPES) this.objects.set(typeKey(t), new Map());
  }

  /** The current resourceVersion (of the last change), as a string. */
  get resourceVersion(): string {
    return String(this.counter);
  }

  private bucket(type: ResourceType): Map<string, KubeObject> {
    return this.objects.get(typeKey(type))!;
  }

  private static key(namespace: string | undefined, name: string): string {
    return `${namespace ?? ''}/${name}`;
  }

  private scopeNamespace(
    type: ResourceType,
    namespace: string | undefined | null,
  ): string | undefined {
    if (!type.namespaced) return undefined;
    return namespace || 'default';
  }

  /** The object, or undefined. Returns a copy. */
  get(
    ref: ResourceRef,
    namespace: string | undefined | null,
    name: string,
  ): KubeObject | undefined {
    const type = resolveType(ref);
    const found = this.bucket(type).get(
      KubeStore.key(this.scopeNamespace(type, namespace), name),
    );
    return found ? clone(found) : undefined;
  }

  /** The object; throws a 404 `KubeApiError` when missing. Returns a copy. */
  read(
    ref: ResourceRef,
    namespace: string | undefined | null,
    name: string,
  ): KubeObject {
    const type = resolveType(ref);
    const found = this.get(type, namespace, name);
    if (!found) throw notFound(type, name);
    return found;
  }

  /**
   * Objects of a type, in one namespace or (namespace undefined) all of them,
   * sorted by namespace and name. Returns copies.
   */
  list(ref: ResourceRef, namespace?: string | null): KubeObject[] {
    const type = resolveType(ref);
    const out: KubeObject[] = [];
    for (const obj of this.bucket(type).values()) {
      if (
        type.namespaced &&
        namespace &&
        obj.metadata.namespace !== namespace
      ) {
        continue;
      }
      out.push(clone(obj));
    }
    return out.sort((a, b) =>
      `${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(
        `${b.metadata.namespace ?? ''}/${b.metadata.name}`,
      ),
    );
  }

  private commit(
    type: ResourceType,
    eventType: WatchEventType,
    object: KubeObject,
    oldObject?: KubeObject,
  ): KubeObject {
    const rv = ++this.counter;
    object.metadata.resourceVersion = String(rv);
    const key = KubeStore.key(object.metadata.namespace, object.metadata.name);
    if (eventType === 'DELETED') this.bucket(type).delete(key);
    else this.bucket(type).set(key, object);
    const event: StoreEvent = {
      type: eventType,
      resourceType: type,
      object: clone(object),
      oldObject: oldObject ? clone(oldObject) : undefined,
      resourceVersion: rv,
    };
    this.history.push(event);
    if (this.history.length > HISTORY_LIMIT) {
      const dropped = this.history.shift()!;
      this.oldestRetained = dropped.resourceVersion + 1;
    }
    this.emit('event', event);
    return clone(object);
  }

  /**
   * Events of one type with a resourceVersion greater than `since`. Throws a
   * 410 `KubeApiError` when they are no longer retained.
   */
  eventsSince(ref: ResourceRef, since: number): StoreEvent[] {
    const type = resolveType(ref);
    if (since + 1 < this.oldestRetained) {
      throw expired(String(since), String(this.oldestRetained));
    }
    return this.history.filter(
      e => e.resourceVersion > since && e.resourceType === type,
    );
  }

  private checkNamespaceExists(type: ResourceType, namespace: string) {
    if (!type.namespaced) return;
    const nsType = resolveType('namespaces');
    if (!this.bucket(nsType).has(KubeStore.key(undefined, namespace))) {
      throw notFound(nsType, namespace);
    }
  }

  /**
   * Creates an object. `ref` defaults to the type named by the object's
   * `apiVersion` and `kind`. Validates names (422), requires the namespace to
   * exist (404) and the name to be free (409). Returns the stored object.
   */
  create(
    ref: ResourceRef | undefined,
    input: KubeObject,
    options: WriteOptions = {},
  ): KubeObject {
    const type = ref ? resolveType(ref) : this.typeOfObject(input);
    const obj = clone(input);
    obj.apiVersion = apiVersionOf(type);
    obj.kind = type.kind;
    const meta = (obj.metadata = { ...(obj.metadata ?? {}) });
    if (type.namespaced) meta.namespace = meta.namespace || 'default';
    else delete meta.namespace;
    if (!meta.name && meta.generateName) {
      let suffix = '';
      for (let i = 0; i < 5; i++) {
        suffix +=
          NAME_SUFFIX_CHARS[
            Math.floor(Math.random() * NAME_SUFFIX_CHARS.length)
          ];
      }
      meta.name = `${meta.generateName}${suffix}`;
    }
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.managedFields;
    delete meta.selfLink;
    meta.uid = randomUUID();
    meta.creationTimestamp = now();
    if (type.hasGeneration) meta.generation = 1;
    else delete meta.generation;
    // The server owns status: it starts empty (defaults below fill it in).
    if (type.hasStatus) delete obj.status;
    if (type.resource === 'deployments') {
      meta.annotations = {
        ...(meta.annotations ?? {}),
        [REVISION_ANNOTATION]: '1',
      };
    }
    if (type.resource === 'namespaces') obj.status = { phase: 'Active' };
    applyDefaults(type, obj);
    validateObject(type, obj);
    if (type.namespaced) this.checkNamespaceExists(type, meta.namespace);
    if (this.bucket(type).has(KubeStore.key(meta.namespace, meta.name))) {
      throw alreadyExists(type, meta.name);
    }
    if (options.dryRun) return obj;
    return this.commit(type, 'ADDED', obj);
  }

  /** The resource type of a manifest (from `apiVersion` and `kind`); throws when unknown. */
  typeOfObject(obj: KubeObject): ResourceType {
    const type = typeForKind(
      String(obj?.apiVersion ?? ''),
      String(obj?.kind ?? ''),
    );
    if (!type) {
      throw badRequest(
        `no matches for kind "${obj?.kind}" in version "${obj?.apiVersion}"`,
      );
    }
    return type;
  }

  /**
   * Replaces an object (PUT semantics). With `metadata.resourceVersion` set,
   * it must equal the stored one (else 409 Conflict). Server-owned metadata
   * and, for types with a status subresource, `status` are kept. `spec`
   * changes bump `generation`; Deployment template changes bump the revision.
   */
  update(
    ref: ResourceRef | undefined,
    input: KubeObject,
    options: WriteOptions = {},
  ): KubeObject {
    const type = ref ? resolveType(ref) : this.typeOfObject(input);
    const namespace = this.scopeNamespace(type, input.metadata?.namespace);
    const name = String(input.metadata?.name ?? '');
    const current = this.bucket(type).get(KubeStore.key(namespace, name));
    if (!current) throw notFound(type, name);
    const rv = input.metadata?.resourceVersion;
    if (
      rv !== undefined &&
      rv !== null &&
      rv !== '' &&
      rv !== current.metadata.resourceVersion
    ) {
      throw conflict(type, name);
    }
    const obj = clone(input);
    obj.apiVersion = apiVersionOf(type);
    obj.kind = type.kind;
    const meta = (obj.metadata = { ...(obj.metadata ?? {}) });
    meta.name = current.metadata.name;
    if (type.namespaced) meta.namespace = current.metadata.namespace;
    else delete meta.namespace;
    meta.uid = current.metadata.uid;
    meta.creationTimestamp = current.metadata.creationTimestamp;
    if (!type.hasGeneration) delete meta.generation;
    delete meta.managedFields;
    delete meta.selfLink;
    if (type.hasStatus) {
      if (current.status === undefined) delete obj.status;
      else obj.status = clone(current.status);
    }
    applyDefaults(type, obj);
    if (type.hasGeneration) {
      const generation = current.metadata.generation ?? 1;
      meta.generation = sameJson(obj.spec, current.spec)
        ? generation
        : generation + 1;
    }
    if (type.resource === 'deployments') {
      const revision =
        Number(current.metadata.annotations?.[REVISION_ANNOTATION] ?? '1') || 1;
      const templateChanged = !sameJson(
        obj.spec?.template,
        current.spec?.template,
      );
      meta.annotations = {
        ...(meta.annotations ?? {}),
        [REVISION_ANNOTATION]: String(
          templateChanged ? revision + 1 : revision,
        ),
      };
    }
    validateObject(type, obj);
    if (options.dryRun) {
      obj.metadata.resourceVersion = current.metadata.resourceVersion;
      return obj;
    }
    const withoutRv = (o: KubeObject) => ({
      ...o,
      metadata: { ...o.metadata, resourceVersion: undefined },
    });
    if (sameJson(withoutRv(obj), withoutRv(current))) {
      // No-op updates do not bump the resourceVersion, like the real server.
      return clone(current);
    }
    return this.commit(type, 'MODIFIED', obj, current);
  }

  /**
   * Replaces only `status` of an object (the `/status` subresource). With
   * `resourceVersion` given, it must equal the stored one (else 409).
   */
  updateStatus(
    ref: ResourceRef,
    namespace: string | undefined | null,
    name: string,
    status: unknown,
    resourceVersion?: string,
  ): KubeObject {
    const type = resolveType(ref);
    const ns = this.scopeNamespace(type, namespace);
    const current = this.bucket(type).get(KubeStore.key(ns, name));
    if (!current) throw notFound(type, name);
    if (
      resourceVersion &&
      resourceVersion !== current.metadata.resourceVersion
    ) {
      throw conflict(type, name);
    }
    if (sameJson(status, current.status)) return clone(current);
    const obj = clone(current);
    obj.status = clone(status);
    return this.commit(type, 'MODIFIED', obj, current);
  }

  /**
   * Deletes an object and returns its last state. Deleting a namespace first
   * deletes every object in it.
   */
  delete(
    ref: ResourceRef,
    namespace: string | undefined | null,
    name: string,
    options: DeleteOptions = {},
  ): KubeObject {
    const type = resolveType(ref);
    const ns = this.scopeNamespace(type, namespace);
    const current = this.bucket(type).get(KubeStore.key(ns, name));
    if (!current) throw notFound(type, name);
    const pre = options.preconditions;
    if (pre?.uid && pre.uid !== current.metadata.uid) {
      throw Object.assign(conflict(type, name), {
        message: `Operation cannot be fulfilled on ${
          type.group ? `${type.resource}.${type.group}` : type.resource
        } "${name}": Precondition failed: UID in precondition: ${
          pre.uid
        }, UID in object meta: ${current.metadata.uid}`,
      });
    }
    if (
      pre?.resourceVersion &&
      pre.resourceVersion !== current.metadata.resourceVersion
    ) {
      throw Object.assign(conflict(type, name), {
        message: `Operation cannot be fulfilled on ${
          type.group ? `${type.resource}.${type.group}` : type.resource
        } "${name}": Precondition failed: ResourceVersion in precondition: ${
          pre.resourceVersion
        }, ResourceVersion in meta: ${current.metadata.resourceVersion}`,
      });
    }
    if (options.dryRun) return clone(current);
    if (type.resource === 'namespaces') {
      for (const t of RESOURCE_TYPES) {
        if (!t.namespaced) continue;
        for (const obj of this.list(t, name)) {
          this.commit(t, 'DELETED', clone(obj), obj);
        }
      }
    }
    return this.commit(type, 'DELETED', clone(current), current);
  }

  /**
   * Creates or replaces objects from manifests (kind and apiVersion pick the
   * type). Namespaces are created first.
   */
  load(manifests: KubeObject[]): KubeObject[] {
    const sorted = [...manifests].sort(
      (a, b) => Number(b.kind === 'Namespace') - Number(a.kind === 'Namespace'),
    );
    return sorted.map(m => {
      const type = this.typeOfObject(m);
      const existing = this.get(type, m.metadata?.namespace, m.metadata?.name);
      if (existing) {
        const { resourceVersion: _rv, ...metadata } = m.metadata ?? {};
        return this.update(type, { ...m, metadata });
      }
      return this.create(type, m);
    });
  }
}
