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
  namespaceAlreadyTerminating,
  namespaceTerminating,
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

/** Options of a `KubeStore`. */
export interface KubeStoreOptions {
  /**
   * How long a deleted namespace stays `Terminating` (with a `deletionTimestamp`) before it is
   * gone, in milliseconds. Meanwhile creating objects in it is refused with the real 403
   * (`NamespaceTerminating`) and deleting it again with the real 409. Its objects are deleted
   * at once either way. Default 0: the namespace is gone when the delete returns.
   */
  namespaceTerminationMs?: number;
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

type Bucket = Map<string, Map<string, KubeObject>>;

const collator = new Intl.Collator();

function byNamespaceAndName(a: KubeObject, b: KubeObject): number {
  return (
    collator.compare(a.metadata.namespace ?? '', b.metadata.namespace ?? '') ||
    collator.compare(a.metadata.name, b.metadata.name)
  );
}

/**
 * In-memory Kubernetes object store. Emits `event` (`StoreEvent`) for every
 * change. Every change bumps the single resourceVersion counter. Objects are
 * kept per type and per namespace, so what a namespace holds (its list, its
 * deletion) costs in proportion to it, not to the whole cluster.
 */
export class KubeStore extends EventEmitter {
  /** The cluster name this store stands for. */
  readonly name: string;
  private counter = 0;
  /** Type key → namespace ('' for cluster-scoped) → name → object. */
  private readonly objects = new Map<string, Bucket>();
  private readonly history: StoreEvent[] = [];
  private oldestRetained = 1;
  private readonly namespaceTerminationMs: number;
  private readonly terminations = new Map<string, NodeJS.Timeout>();

  constructor(name: string = 'sandbox', options: KubeStoreOptions = {}) {
    super();
    this.name = name;
    this.namespaceTerminationMs = options.namespaceTerminationMs ?? 0;
    this.setMaxListeners(0);
    for (const t of RESOURCE_TYPES) this.objects.set(typeKey(t), new Map());
  }

  /** The current resourceVersion (of the last change), as a string. */
  get resourceVersion(): string {
    return String(this.counter);
  }

  /** Stops pending namespace terminations (they stay Terminating). */
  close() {
    for (const timer of this.terminations.values()) clearTimeout(timer);
    this.terminations.clear();
  }

  private bucket(type: ResourceType): Bucket {
    return this.objects.get(typeKey(type))!;
  }

  private stored(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
  ): KubeObject | undefined {
    return this.bucket(type)
      .get(namespace ?? '')
      ?.get(name);
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
    const found = this.stored(type, this.scopeNamespace(type, namespace), name);
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
   * sorted by namespace and name. With `filter`, only those it keeps (it sees
   * the stored objects: it must not change them). Returns copies.
   */
  list(
    ref: ResourceRef,
    namespace?: string | null,
    filter?: (obj: KubeObject) => boolean,
  ): KubeObject[] {
    const type = resolveType(ref);
    const bucket = this.bucket(type);
    const scopes =
      type.namespaced && namespace
        ? [bucket.get(namespace) ?? new Map<string, KubeObject>()]
        : bucket.values();
    const out: KubeObject[] = [];
    for (const scope of scopes) {
      for (const obj of scope.values()) {
        if (!filter || filter(obj)) out.push(obj);
      }
    }
    return out.sort(byNamespaceAndName).map(o => clone(o));
  }

  /** How many objects of a type a namespace holds (all namespaces without one). */
  count(ref: ResourceRef, namespace?: string | null): number {
    const type = resolveType(ref);
    const bucket = this.bucket(type);
    if (type.namespaced && namespace) return bucket.get(namespace)?.size ?? 0;
    let n = 0;
    for (const scope of bucket.values()) n += scope.size;
    return n;
  }

  /** Whether a namespace exists and is being deleted (`Terminating`). */
  isTerminating(namespace: string): boolean {
    const ns = this.stored(resolveType('namespaces'), undefined, namespace);
    return !!ns?.metadata?.deletionTimestamp;
  }

  private commit(
    type: ResourceType,
    eventType: WatchEventType,
    object: KubeObject,
    oldObject?: KubeObject,
  ): KubeObject {
    const rv = ++this.counter;
    object.metadata.resourceVersion = String(rv);
    const bucket = this.bucket(type);
    const scope = object.metadata.namespace ?? '';
    if (eventType === 'DELETED') {
      const objects = bucket.get(scope);
      objects?.delete(object.metadata.name);
      if (objects?.size === 0) bucket.delete(scope);
    } else {
      let objects = bucket.get(scope);
      if (!objects) {
        objects = new Map();
        bucket.set(scope, objects);
      }
      objects.set(object.metadata.name, object);
    }
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

  /**
   * NamespaceLifecycle admission: creating in a namespace that does not exist
   * is a 404, in one being deleted a 403.
   */
  private checkNamespaceAdmits(
    type: ResourceType,
    namespace: string,
    name: string,
  ) {
    if (!type.namespaced) return;
    const nsType = resolveType('namespaces');
    const ns = this.stored(nsType, undefined, namespace);
    if (!ns) throw notFound(nsType, namespace);
    if (ns.metadata.deletionTimestamp) {
      throw namespaceTerminating(type, name, namespace);
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
    if (type.namespaced) {
      this.checkNamespaceAdmits(
        type,
        meta.namespace,
        meta.name || meta.generateName || '',
      );
    }
    applyDefaults(type, obj);
    validateObject(type, obj);
    if (this.stored(type, meta.namespace, meta.name)) {
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
    const current = this.stored(type, namespace, name);
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
    // Set by a delete only; clients cannot set or clear it.
    if (current.metadata.deletionTimestamp) {
      meta.deletionTimestamp = current.metadata.deletionTimestamp;
    } else {
      delete meta.deletionTimestamp;
    }
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
    const current = this.stored(type, ns, name);
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
    const current = this.stored(type, ns, name);
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
    if (type.resource === 'namespaces') {
      if (current.metadata.deletionTimestamp) {
        throw namespaceAlreadyTerminating(type, name);
      }
      if (options.dryRun) return clone(current);
      this.deleteContents(name);
      if (this.namespaceTerminationMs > 0) {
        const terminating = clone(current);
        terminating.metadata.deletionTimestamp = now();
        terminating.status = {
          ...(terminating.status ?? {}),
          phase: 'Terminating',
        };
        const result = this.commit(type, 'MODIFIED', terminating, current);
        const timer = setTimeout(() => {
          this.terminations.delete(name);
          const last = this.stored(type, undefined, name);
          if (!last || last.metadata.uid !== current.metadata.uid) return;
          this.deleteContents(name);
          this.commit(type, 'DELETED', clone(last), last);
        }, this.namespaceTerminationMs);
        timer.unref?.();
        this.terminations.set(name, timer);
        return result;
      }
    }
    if (options.dryRun) return clone(current);
    return this.commit(type, 'DELETED', clone(current), current);
  }

  /** Deletes every object in a namespace: as many steps as it holds objects. */
  private deleteContents(namespace: string) {
    for (const t of RESOURCE_TYPES) {
      if (!t.namespaced) continue;
      const objects = this.bucket(t).get(namespace);
      if (!objects) continue;
      for (const name of [...objects.keys()].sort(collator.compare)) {
        const obj = objects.get(name)!;
        this.commit(t, 'DELETED', clone(obj), obj);
      }
    }
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
