/*
 * The three patch formats of the Kubernetes API: JSON merge patch (RFC 7386),
 * JSON patch (RFC 6902) and an approximation of strategic merge patch (merge
 * patch that merges well-known lists such as containers by their merge key).
 * Error messages follow github.com/evanphx/json-patch, which the real server uses.
 */
import { badRequest, patchRejected } from './errors';

type Json = any;

function isObject(v: unknown): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function clone<T>(v: T): T {
  return v === undefined ? v : structuredClone(v);
}

/** RFC 7386 JSON merge patch. */
export function applyMergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const result: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete result[key];
    } else {
      result[key] = applyMergePatch(result[key], value);
    }
  }
  return result;
}

/** Parses an RFC 6901 JSON pointer into its unescaped tokens. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) {
    throw patchRejected(
      `JSON pointer must be empty or start with a "/": ${pointer}`,
    );
  }
  return pointer
    .slice(1)
    .split('/')
    .map(t => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

interface Located {
  parent: Json;
  key: string;
}

function arrayIndex(
  token: string,
  length: number,
  allowEnd: boolean,
  op: string,
  path: string,
): number {
  if (token === '-' && allowEnd) return length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) {
    throw patchRejected(
      `${op} operation does not apply: doc is missing path: "${path}": missing value`,
    );
  }
  const idx = Number(token);
  if (idx > length || (!allowEnd && idx >= length)) {
    throw patchRejected(
      `${op} operation does not apply: doc is missing path: "${path}": missing value`,
    );
  }
  return idx;
}

/** Finds the container of the value a pointer designates (the pointer must not be ""). */
function locate(doc: Json, path: string, op: string): Located {
  const tokens = parsePointer(path);
  let cur = doc;
  for (let i = 0; i < tokens.length - 1; i++) {
    const t = tokens[i];
    if (Array.isArray(cur)) {
      cur = cur[arrayIndex(t, cur.length, false, op, path)];
    } else if (isObject(cur) && Object.prototype.hasOwnProperty.call(cur, t)) {
      cur = cur[t];
    } else {
      cur = undefined;
    }
    if (cur === undefined || cur === null || typeof cur !== 'object') {
      throw patchRejected(
        `${op} operation does not apply: doc is missing path: "${path}": missing value`,
      );
    }
  }
  return { parent: cur, key: tokens[tokens.length - 1] };
}

function getAt(doc: Json, path: string, op: string): Json {
  if (path === '') return doc;
  const { parent, key } = locate(doc, path, op);
  if (Array.isArray(parent)) {
    return parent[arrayIndex(key, parent.length, false, op, path)];
  }
  if (!Object.prototype.hasOwnProperty.call(parent, key)) {
    throw patchRejected(
      `${op} operation does not apply: doc is missing path: "${path}": missing value`,
    );
  }
  return parent[key];
}

function deepEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return (
      ka.length === kb.length && ka.every(k => k in b && deepEqual(a[k], b[k]))
    );
  }
  return false;
}

/** RFC 6902 JSON patch. Returns a new document; the input is not modified. */
export function applyJsonPatch(document: Json, operations: Json): Json {
  if (!Array.isArray(operations)) {
    throw badRequest(
      'json: cannot unmarshal object into Go value of type jsonpatch.Patch',
    );
  }
  let doc = clone(document);
  for (const operation of operations) {
    if (!isObject(operation)) {
      throw badRequest(
        'json: cannot unmarshal non-object into Go value of type jsonpatch.Operation',
      );
    }
    doc = applyOperation(doc, operation);
  }
  return doc;
}

/** Adds `value` at `target`; returns the (possibly replaced) document. */
function addAt(doc: Json, target: string, value: Json): Json {
  if (target === '') return value;
  const { parent, key } = locate(doc, target, 'add');
  if (Array.isArray(parent)) {
    parent.splice(
      arrayIndex(key, parent.length, true, 'add', target),
      0,
      value,
    );
  } else {
    parent[key] = value;
  }
  return doc;
}

/** Removes the value at `target` (not the root); returns it. */
function removeAt(doc: Json, target: string, opName: string): Json {
  const { parent, key } = locate(doc, target, opName);
  if (Array.isArray(parent)) {
    const idx = arrayIndex(key, parent.length, false, opName, target);
    return parent.splice(idx, 1)[0];
  }
  if (!Object.prototype.hasOwnProperty.call(parent, key)) {
    throw patchRejected(
      `${opName} operation does not apply: doc is missing path: "${target}": missing value`,
    );
  }
  const old = parent[key];
  delete parent[key];
  return old;
}

/** Applies one JSON patch operation to `doc` (in place when possible); returns the document. */
function applyOperation(doc: Json, operation: Record<string, Json>): Json {
  const op = String(operation.op ?? '');
  const path = operation.path;
  if (typeof path !== 'string') {
    throw patchRejected(
      `${op} operation does not apply: doc is missing path: "": missing value`,
    );
  }
  const valueOf = () => {
    if (!('value' in operation)) {
      throw patchRejected(`${op} operation does not apply: missing value`);
    }
    return clone(operation.value);
  };
  const fromOf = () => {
    if (typeof operation.from !== 'string') {
      throw patchRejected(`${op} operation does not apply: missing from path`);
    }
    return operation.from as string;
  };
  switch (op) {
    case 'add':
      return addAt(doc, path, valueOf());
    case 'remove':
      if (path === '') return null;
      removeAt(doc, path, 'remove');
      return doc;
    case 'replace': {
      const value = valueOf();
      if (path === '') return value;
      const { parent, key } = locate(doc, path, 'replace');
      if (Array.isArray(parent)) {
        parent[arrayIndex(key, parent.length, false, 'replace', path)] = value;
      } else {
        if (!Object.prototype.hasOwnProperty.call(parent, key)) {
          throw patchRejected(
            `replace operation does not apply: doc is missing key: ${path}: missing value`,
          );
        }
        parent[key] = value;
      }
      return doc;
    }
    case 'move': {
      const from = fromOf();
      if (path.startsWith(`${from}/`)) {
        throw patchRejected(
          `move operation does not apply: cannot move a value into its own child: ${from} -> ${path}`,
        );
      }
      if (from === '') return addAt(doc, path, doc);
      const value = removeAt(doc, from, 'move');
      return addAt(doc, path, value);
    }
    case 'copy':
      return addAt(doc, path, clone(getAt(doc, fromOf(), 'copy')));
    case 'test': {
      const expected = 'value' in operation ? operation.value : null;
      let actual: Json;
      try {
        actual = getAt(doc, path, 'test');
      } catch {
        actual = undefined;
      }
      if (
        !(actual === undefined && expected === null) &&
        !deepEqual(actual, expected)
      ) {
        throw patchRejected(`testing value ${path} failed: test failed`);
      }
      return doc;
    }
    default:
      throw patchRejected(`Unexpected kind: ${op}`);
  }
}

/** Merge keys of well-known lists in Kubernetes objects (strategic merge patch). */
function mergeKeyFor(field: string, items: Json[]): string | undefined {
  switch (field) {
    case 'containers':
    case 'initContainers':
    case 'ephemeralContainers':
    case 'env':
    case 'volumes':
    case 'imagePullSecrets':
      return 'name';
    case 'volumeMounts':
      return 'mountPath';
    case 'volumeDevices':
      return 'devicePath';
    case 'ports':
      return items.some(i => isObject(i) && 'containerPort' in i)
        ? 'containerPort'
        : 'port';
    case 'conditions':
      return 'type';
    case 'ownerReferences':
      return 'uid';
    case 'hostAliases':
      return 'ip';
    case 'topologySpreadConstraints':
      return 'topologyKey';
    default:
      return undefined;
  }
}

function stripDirectives(v: Json): Json {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObject(v)) return v;
  const out: Record<string, Json> = {};
  for (const [k, val] of Object.entries(v)) {
    if (k.startsWith('$')) continue;
    out[k] = stripDirectives(val);
  }
  return out;
}

function strategicMergeList(
  field: string,
  target: Json,
  patch: Json[],
): Json[] {
  const key = mergeKeyFor(field, [
    ...patch,
    ...(Array.isArray(target) ? target : []),
  ]);
  if (!key || !Array.isArray(target) || !patch.every(isObject)) {
    return stripDirectives(patch);
  }
  if (patch.some(p => p.$patch === 'replace')) {
    return stripDirectives(patch.filter(p => p.$patch !== 'replace'));
  }
  const result: Json[] = target.map(clone);
  for (const item of patch) {
    const idx = result.findIndex(
      r => isObject(r) && deepEqual(r[key], item[key]),
    );
    if (item.$patch === 'delete') {
      if (idx >= 0) result.splice(idx, 1);
    } else if (idx >= 0) {
      result[idx] = applyStrategicMergePatch(result[idx], item);
    } else {
      result.push(stripDirectives(item));
    }
  }
  return result;
}

/**
 * Strategic merge patch, approximated: a merge patch in which well-known lists
 * (containers, env, ports, volumes, conditions, ...) merge item by item on their
 * merge key, and `$patch: replace|delete`, `$deleteFromPrimitiveList/<field>`
 * directives are honoured. Other `$` directives are ignored.
 */
export function applyStrategicMergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  if (patch.$patch === 'replace') return stripDirectives(patch);
  if (patch.$patch === 'delete') return undefined;
  const result: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      if (Array.isArray(result[field]) && Array.isArray(value)) {
        result[field] = result[field].filter((v: Json) => !value.includes(v));
      }
      continue;
    }
    if (key.startsWith('$')) continue;
    if (value === null) {
      delete result[key];
    } else if (Array.isArray(value)) {
      result[key] = strategicMergeList(key, result[key], value);
    } else if (isObject(value)) {
      const merged = applyStrategicMergePatch(result[key], value);
      if (merged === undefined) delete result[key];
      else result[key] = merged;
    } else {
      result[key] = value;
    }
  }
  return result;
}
