/*
 * A subset of the Kubernetes API server over plain HTTP, backed by KubeStore:
 * discovery, CRUD, patch (merge, JSON, strategic), watch, label/field
 * selectors, Status errors and simulated Deployment rollouts. Speaks the wire
 * protocol well enough for kubectl and @kubernetes/client-node (JSON only).
 */
import { randomUUID } from 'node:crypto';
import {
  IncomingMessage,
  Server,
  ServerResponse,
  createServer,
} from 'node:http';
import {
  HeldResponse,
  ResponseHolds,
  listen,
  readBody as readRequestBody,
} from '../http';
import {
  DeploymentController,
  QuotaController,
  completedDeploymentStatus,
} from './controllers';
import {
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  openApiV3GroupVersion,
  openApiV3Root,
  versionInfo,
} from './discovery';
import {
  KubeApiError,
  badRequest,
  methodNotAllowed,
  pathNotFound,
  unsupportedMediaType,
} from './errors';
import { KubeObject, KubeStore, StoreEvent } from './KubeStore';
import {
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
} from './patch';
import { appPage, dashboardPage } from './pages';
import { decodeKubeProtobuf, isProtobuf } from './protobuf';
import { ResourceType, apiVersionOf, findType } from './resources';
import { parseFieldSelector, parseLabelSelector } from './selectors';
import { toTable, wantsTable } from './table';

/** Options of `startKubeServer`. */
export interface KubeServerOptions {
  /** The cluster name (reported in /version's gitCommit hash and KubeStore.name). */
  name: string;
  /** Port to listen on; 0 or undefined picks a free one. */
  port?: number;
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** Manifests (Namespace, Deployment, Service, ConfigMap, ResourceQuota, NetworkPolicy) to create at start. Deployments start fully rolled out. */
  objects?: Array<Record<string, any>>;
  /** Interval of simulated rollout steps, in milliseconds (default 500). */
  rolloutStepMs?: number;
  /**
   * How long a deleted namespace stays `Terminating` before it is gone (default 0: gone when
   * the delete returns). Meanwhile creates in it answer the real 403 (`NamespaceTerminating`).
   */
  namespaceTerminationMs?: number;
}

/** A request whose response is held back (see {@link KubeServer.holdResponses}). */
export type HeldResponses = HeldResponse;

/** A running sandbox API server. */
export interface KubeServer {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  url: string;
  store: KubeStore;
  /**
   * For tests of clients that stall mid-call: the next request matching `match` is carried out
   * at once (its change is applied), but its response is sent only on `release()`.
   */
  holdResponses(
    match: (request: { method: string; path: string }) => boolean,
  ): HeldResponses;
  /**
   * For tests of clients that meet a failing cluster: requests matching `match` are answered
   * with a 500 `Status` (and change nothing) until `stop()`.
   */
  failRequests(match: (request: { method: string; path: string }) => boolean): {
    stop(): void;
    count(): number;
  };
  /** Stops the server, ends open watches and clears rollout timers. */
  close(): Promise<void>;
}

/** Namespaces every cluster has. */
const SYSTEM_NAMESPACES = [
  'default',
  'kube-system',
  'kube-public',
  'kube-node-lease',
];

const MAX_BODY_BYTES = 8 * 1024 * 1024;

interface Target {
  type: ResourceType;
  /** Namespace from the URL (namespaced paths only). */
  namespace?: string;
  name?: string;
  subresource?: string;
  /** The legacy `/watch/` path prefix was used. */
  legacyWatch: boolean;
}

type Query = URLSearchParams;

function baseHeaders(): Record<string, string> {
  return {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Audit-Id': randomUUID(),
  };
}

function sendJson(res: ServerResponse, code: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    ...baseHeaders(),
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

function sendError(res: ServerResponse, err: unknown) {
  if (res.headersSent) {
    res.end();
    return;
  }
  if (err instanceof KubeApiError) {
    sendJson(res, err.code, err.toStatus());
    return;
  }
  const message = err instanceof Error ? err.message : String(err);
  sendJson(res, 500, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: 'InternalError',
    details: { causes: [{ message }] },
    code: 500,
  });
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return readRequestBody(
    req,
    MAX_BODY_BYTES,
    () =>
      new KubeApiError(
        413,
        'RequestEntityTooLarge',
        'the request body is too large',
      ),
  );
}

function mediaType(req: IncomingMessage): string {
  return String(req.headers['content-type'] ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
}

/**
 * Reads an object body: JSON, or Kubernetes protobuf (which kubectl's
 * imperative `create` generators send). Other media types are a 415.
 */
async function readObjectBody(
  req: IncomingMessage,
  kind: string,
): Promise<any> {
  const ct = mediaType(req);
  if (ct && ct !== 'application/json' && ct !== '*/*' && !isProtobuf(ct)) {
    throw unsupportedMediaType(ct);
  }
  const body = await readBody(req);
  if (isProtobuf(ct)) return decodeKubeProtobuf(body);
  return parseJsonBody(body.toString('utf8'), kind);
}

/** Parses a JSON request body; malformed JSON is a 400 like the real server's decoder error. */
function parseJsonBody(text: string, kind: string): any {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw badRequest(
      `the object provided is unrecognized (must be of type ${kind}): couldn't get version/kind; json parse error: ${
        (e as Error).message
      }`,
    );
  }
}

function isWatch(query: Query, target: Target): boolean {
  const w = query.get('watch');
  return target.legacyWatch || w === 'true' || w === '1';
}

function isDryRun(query: Query): boolean {
  return query.getAll('dryRun').includes('All');
}

/** Resolves a resource URL path (after /api/v1 or /apis/g/v) to a target. */
function resolveTarget(
  group: string,
  version: string,
  rest: string[],
): Target | undefined {
  let legacyWatch = false;
  let segs = rest;
  if (segs[0] === 'watch') {
    legacyWatch = true;
    segs = segs.slice(1);
  }
  if (segs[0] === 'namespaces' && segs.length >= 3) {
    const type = findType(group, version, segs[2]);
    if (type && type.namespaced && segs.length <= 5) {
      return {
        type,
        namespace: segs[1],
        name: segs[3],
        subresource: segs[4],
        legacyWatch,
      };
    }
  }
  if (segs.length === 0 || segs.length > 3) return undefined;
  const type = findType(group, version, segs[0]);
  if (!type) return undefined;
  if (type.namespaced && segs.length > 1) return undefined;
  return { type, name: segs[1], subresource: segs[2], legacyWatch };
}

function scaleOf(d: KubeObject): KubeObject {
  const selector = Object.entries(d.spec?.selector?.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: d.metadata.name,
      namespace: d.metadata.namespace,
      uid: d.metadata.uid,
      resourceVersion: d.metadata.resourceVersion,
      creationTimestamp: d.metadata.creationTimestamp,
    },
    spec: { replicas: d.spec?.replicas ?? 0 },
    status: { replicas: d.status?.replicas ?? 0, selector },
  };
}

/** Starts a sandbox Kubernetes API server. */
export async function startKubeServer(
  options: KubeServerOptions,
): Promise<KubeServer> {
  const store = new KubeStore(options.name, {
    namespaceTerminationMs: options.namespaceTerminationMs,
  });
  const host = options.host ?? '127.0.0.1';
  const stepMs = options.rolloutStepMs ?? 500;

  // Seed: system namespaces, then the manifests (namespaces first).
  const seeded = options.objects ?? [];
  for (const ns of SYSTEM_NAMESPACES) {
    if (!seeded.some(o => o.kind === 'Namespace' && o.metadata?.name === ns)) {
      store.create('namespaces', { metadata: { name: ns } });
    }
  }
  for (const obj of store.load(seeded)) {
    if (obj.kind === 'Deployment') {
      store.updateStatus(
        'deployments',
        obj.metadata.namespace,
        obj.metadata.name,
        completedDeploymentStatus(obj),
      );
    }
  }

  const deployments = new DeploymentController(store, stepMs);
  const quotas = new QuotaController(store);
  deployments.start();
  quotas.start();

  const watches = new Set<ServerResponse>();
  let serverAddress = '';

  function listOf(target: Target, query: Query, accept: string | undefined) {
    const labels = parseLabelSelector(query.get('labelSelector'));
    const fields = parseFieldSelector(query.get('fieldSelector'));
    const items = store.list(
      target.type,
      target.namespace,
      o => labels.matches(o.metadata.labels) && fields.matches(o),
    );
    const resourceVersion = store.resourceVersion;
    if (wantsTable(accept)) {
      return toTable(target.type, items, {
        includeObject: query.get('includeObject'),
        resourceVersion,
      });
    }
    return {
      kind: target.type.listKind,
      apiVersion: apiVersionOf(target.type),
      metadata: { resourceVersion },
      // Like the real server, list items carry no kind/apiVersion.
      items: items.map(({ kind: _k, apiVersion: _a, ...rest }) => rest),
    };
  }

  function watch(
    req: IncomingMessage,
    res: ServerResponse,
    target: Target,
    query: Query,
  ) {
    const labels = parseLabelSelector(query.get('labelSelector'));
    const fields = parseFieldSelector(query.get('fieldSelector'));
    const type = target.type;
    const matches = (o: KubeObject | undefined) =>
      !!o &&
      (!target.namespace || o.metadata?.namespace === target.namespace) &&
      (!target.name || o.metadata?.name === target.name) &&
      labels.matches(o.metadata?.labels) &&
      fields.matches(o);
    const rvParam = query.get('resourceVersion') ?? '';
    const sendInitial = query.get('sendInitialEvents') === 'true';
    let since: number | undefined;
    if (rvParam && rvParam !== '0' && !sendInitial) {
      if (!/^\d+$/.test(rvParam)) {
        throw badRequest(`invalid resource version: ${rvParam}`);
      }
      since = Number(rvParam);
    }
    const table = wantsTable(req.headers.accept);
    let firstTable = true;
    const timeoutSeconds = Number(query.get('timeoutSeconds') ?? '0');

    const headers = baseHeaders();
    res.writeHead(200, { ...headers, 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    watches.add(res);

    const write = (eventType: string, object: KubeObject) => {
      if (res.writableEnded) return;
      let payload = object;
      if (table && eventType !== 'ERROR' && eventType !== 'BOOKMARK') {
        payload = toTable(type, [object], {
          includeObject: query.get('includeObject'),
          withColumns: firstTable,
        });
        firstTable = false;
      }
      res.write(`${JSON.stringify({ type: eventType, object: payload })}\n`);
    };
    const deliver = (event: StoreEvent) => {
      if (event.resourceType !== type) return;
      const now = matches(event.object);
      const before = matches(event.oldObject);
      if (event.type === 'ADDED') {
        if (now) write('ADDED', event.object);
      } else if (event.type === 'MODIFIED') {
        if (now && before) write('MODIFIED', event.object);
        else if (now) write('ADDED', event.object);
        else if (before) write('DELETED', event.object);
      } else if (before || now) {
        write('DELETED', event.object);
      }
    };

    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      store.off('event', deliver);
      if (timer) clearTimeout(timer);
      watches.delete(res);
      if (!res.writableEnded) res.end();
    };
    req.on('close', finish);
    res.on('close', finish);

    if (since === undefined) {
      for (const o of store.list(type, target.namespace)) {
        if (matches(o)) write('ADDED', o);
      }
      if (sendInitial) {
        write('BOOKMARK', {
          kind: type.kind,
          apiVersion: apiVersionOf(type),
          metadata: {
            resourceVersion: store.resourceVersion,
            annotations: { 'k8s.io/initial-events-end': 'true' },
          },
        });
      }
    } else {
      let history: StoreEvent[];
      try {
        history = store.eventsSince(type, since);
      } catch (e) {
        if (e instanceof KubeApiError) write('ERROR', e.toStatus());
        finish();
        return;
      }
      for (const e of history) deliver(e);
    }
    store.on('event', deliver);
    if (timeoutSeconds > 0) {
      timer = setTimeout(finish, timeoutSeconds * 1000);
    }
  }

  async function handleResource(
    req: IncomingMessage,
    res: ServerResponse,
    target: Target,
    query: Query,
  ) {
    const { type, namespace, name, subresource } = target;
    const method = req.method ?? 'GET';
    const accept = req.headers.accept;
    const dryRun = isDryRun(query);
    const crossNamespace = type.namespaced && namespace === undefined;

    if (subresource) {
      if (!type.subresources.includes(subresource) || !name) {
        throw pathNotFound();
      }
      await handleSubresource(req, res, target, query);
      return;
    }

    if (!name) {
      if (method === 'GET') {
        if (isWatch(query, target)) {
          watch(req, res, target, query);
          return;
        }
        sendJson(res, 200, listOf(target, query, accept));
        return;
      }
      if (method === 'POST' && !crossNamespace) {
        const body = await readObjectBody(req, type.kind);
        if (!body || typeof body !== 'object' || Array.isArray(body)) {
          throw badRequest(
            `the object provided is unrecognized (must be of type ${type.kind})`,
          );
        }
        checkKind(type, body);
        const metadata = { ...(body.metadata ?? {}) };
        if (type.namespaced) {
          if (metadata.namespace && metadata.namespace !== namespace) {
            throw badRequest(
              'the namespace of the provided object does not match the namespace sent on the request',
            );
          }
          metadata.namespace = namespace;
        }
        const created = store.create(type, { ...body, metadata }, { dryRun });
        sendJson(res, 201, created);
        return;
      }
      if (method === 'DELETE' && !crossNamespace) {
        await readBody(req);
        const labels = parseLabelSelector(query.get('labelSelector'));
        const fields = parseFieldSelector(query.get('fieldSelector'));
        const deleted = store
          .list(
            type,
            namespace,
            o => labels.matches(o.metadata.labels) && fields.matches(o),
          )
          .map(o =>
            store.delete(type, o.metadata.namespace, o.metadata.name, {
              dryRun,
            }),
          );
        sendJson(res, 200, {
          kind: type.listKind,
          apiVersion: apiVersionOf(type),
          metadata: { resourceVersion: store.resourceVersion },
          items: deleted,
        });
        return;
      }
      throw methodNotAllowed();
    }

    switch (method) {
      case 'GET': {
        if (isWatch(query, target)) {
          watch(req, res, target, query);
          return;
        }
        const obj = store.read(type, namespace, name);
        if (wantsTable(accept)) {
          sendJson(
            res,
            200,
            toTable(type, [obj], {
              includeObject: query.get('includeObject'),
              resourceVersion: obj.metadata.resourceVersion,
            }),
          );
        } else {
          sendJson(res, 200, obj);
        }
        return;
      }
      case 'PUT': {
        const body = await readObjectBody(req, type.kind);
        checkKind(type, body);
        const metadata = { ...(body.metadata ?? {}) };
        if (metadata.name && metadata.name !== name) {
          throw badRequest(
            `the name of the object (${metadata.name}) does not match the name on the URL (${name})`,
          );
        }
        if (
          type.namespaced &&
          metadata.namespace &&
          metadata.namespace !== namespace
        ) {
          throw badRequest(
            'the namespace of the provided object does not match the namespace sent on the request',
          );
        }
        metadata.name = name;
        if (type.namespaced) metadata.namespace = namespace;
        const updated = store.update(type, { ...body, metadata }, { dryRun });
        sendJson(res, 200, updated);
        return;
      }
      case 'PATCH': {
        const text = (await readBody(req)).toString('utf8');
        const contentType = mediaType(req);
        if (contentType === 'application/apply-patch+yaml') {
          if (!query.get('fieldManager')) {
            throw new KubeApiError(
              422,
              'Invalid',
              'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
              {
                group: 'meta.k8s.io',
                kind: 'PatchOptions',
                causes: [
                  {
                    reason: 'FieldValueRequired',
                    message: 'Required value: is required for apply patch',
                    field: 'fieldManager',
                  },
                ],
              },
            );
          }
          const body = parseApplyBody(text);
          const existing = store.get(type, namespace, name);
          const metadata = { ...(body.metadata ?? {}), name };
          if (type.namespaced) metadata.namespace = namespace;
          if (!existing) {
            const created = store.create(
              type,
              { ...body, metadata },
              { dryRun },
            );
            sendJson(res, 201, created);
            return;
          }
          const merged = applyStrategicMergePatch(existing, {
            ...body,
            metadata,
          });
          sendJson(res, 200, store.update(type, merged, { dryRun }));
          return;
        }
        const current = store.read(type, namespace, name);
        const patched = patchObject(current, text, contentType);
        patched.metadata = { ...(patched.metadata ?? {}), name };
        if (type.namespaced) patched.metadata.namespace = namespace;
        sendJson(res, 200, store.update(type, patched, { dryRun }));
        return;
      }
      case 'DELETE': {
        const raw = await readBody(req);
        let opts: KubeObject = {};
        // DeleteOptions in protobuf (typed clients) are ignored: defaults apply.
        if (!isProtobuf(mediaType(req)) && raw.toString('utf8').trim()) {
          opts = parseJsonBody(raw.toString('utf8'), 'DeleteOptions') ?? {};
        }
        const deleted = store.delete(type, namespace, name, {
          dryRun: dryRun || (opts.dryRun ?? []).includes('All'),
          preconditions: opts.preconditions,
        });
        if (type.resource === 'namespaces') {
          // The real server answers with the namespace, now terminating.
          deleted.metadata.deletionTimestamp = new Date()
            .toISOString()
            .replace(/\.\d{3}Z$/, 'Z');
          deleted.status = { ...(deleted.status ?? {}), phase: 'Terminating' };
          sendJson(res, 200, deleted);
          return;
        }
        const details: KubeObject = { name };
        if (type.group) details.group = type.group;
        details.kind = type.resource;
        details.uid = deleted.metadata.uid;
        sendJson(res, 200, {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Success',
          details,
        });
        return;
      }
      default:
        throw methodNotAllowed();
    }
  }

  async function handleSubresource(
    req: IncomingMessage,
    res: ServerResponse,
    target: Target,
    query: Query,
  ) {
    const { type, namespace, subresource } = target;
    const name = target.name!;
    const method = req.method ?? 'GET';
    const dryRun = isDryRun(query);
    if (subresource === 'status') {
      if (method === 'GET') {
        sendJson(res, 200, store.read(type, namespace, name));
        return;
      }
      if (method !== 'PUT' && method !== 'PATCH') throw methodNotAllowed();
      const current = store.read(type, namespace, name);
      const next =
        method === 'PUT'
          ? await readObjectBody(req, type.kind)
          : patchObject(
              current,
              (await readBody(req)).toString('utf8'),
              mediaType(req),
            );
      const rv = next?.metadata?.resourceVersion;
      if (dryRun) {
        sendJson(res, 200, { ...current, status: next?.status });
        return;
      }
      sendJson(
        res,
        200,
        store.updateStatus(
          type,
          namespace,
          name,
          next?.status ?? {},
          rv || undefined,
        ),
      );
      return;
    }
    // scale
    const current = store.read(type, namespace, name);
    if (method === 'GET') {
      sendJson(res, 200, scaleOf(current));
      return;
    }
    if (method !== 'PUT' && method !== 'PATCH') throw methodNotAllowed();
    const scale =
      method === 'PUT'
        ? await readObjectBody(req, 'Scale')
        : patchObject(
            scaleOf(current),
            (await readBody(req)).toString('utf8'),
            mediaType(req),
          );
    const replicas = scale?.spec?.replicas;
    const rv = scale?.metadata?.resourceVersion;
    const updated = store.update(
      type,
      {
        ...current,
        metadata: {
          ...current.metadata,
          resourceVersion: rv || current.metadata.resourceVersion,
        },
        spec: { ...current.spec, replicas: replicas ?? 0 },
      },
      { dryRun },
    );
    sendJson(res, 200, scaleOf(updated));
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const query = url.searchParams;
    const segs = url.pathname.split('/').filter(Boolean);
    const method = req.method ?? 'GET';
    const path = `/${segs.join('/')}`;

    if (
      (method === 'GET' || method === 'HEAD') &&
      segs[0] === '_sandbox' &&
      (segs[1] === 'apps' || segs[1] === 'dashboards') &&
      segs.length === 3
    ) {
      let namespace = segs[2];
      try {
        namespace = decodeURIComponent(namespace);
      } catch {
        // Shown as sent (escaped): such a namespace does not exist.
      }
      const page =
        segs[1] === 'apps'
          ? appPage(store, options.name, namespace)
          : dashboardPage(store, options.name, namespace);
      res.writeHead(page.status, {
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Length': Buffer.byteLength(page.html),
        'Cache-Control': 'no-cache, private',
      });
      res.end(method === 'HEAD' ? undefined : page.html);
      return;
    }

    if (method === 'GET') {
      switch (path) {
        case '/version':
          sendJson(res, 200, versionInfo(options.name));
          return;
        case '/api':
          sendJson(res, 200, apiVersions(serverAddress));
          return;
        case '/apis':
          sendJson(res, 200, apiGroupList());
          return;
        case '/healthz':
        case '/livez':
        case '/readyz':
          res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
          res.end('ok');
          return;
        case '/openapi/v3':
          sendJson(res, 200, openApiV3Root());
          return;
        default:
          break;
      }
      if (segs[0] === 'openapi' && segs[1] === 'v3') {
        const gvPath = segs.slice(2);
        let doc: unknown;
        if (gvPath[0] === 'api' && gvPath.length === 2) {
          doc = openApiV3GroupVersion('', gvPath[1]);
        } else if (gvPath[0] === 'apis' && gvPath.length === 3) {
          doc = openApiV3GroupVersion(gvPath[1], gvPath[2]);
        }
        if (!doc) throw pathNotFound();
        sendJson(res, 200, doc);
        return;
      }
      if (segs[0] === 'apis' && segs.length === 2) {
        const g = apiGroup(segs[1]);
        if (!g) throw pathNotFound();
        sendJson(res, 200, g);
        return;
      }
      if (
        (segs[0] === 'api' && segs.length === 2) ||
        (segs[0] === 'apis' && segs.length === 3)
      ) {
        const list =
          segs[0] === 'api'
            ? apiResourceList('', segs[1])
            : apiResourceList(segs[1], segs[2]);
        if (!list) throw pathNotFound();
        sendJson(res, 200, list);
        return;
      }
    }

    let target: Target | undefined;
    if (segs[0] === 'api' && segs.length > 2) {
      target = resolveTarget('', segs[1], segs.slice(2));
    } else if (segs[0] === 'apis' && segs.length > 3) {
      target = resolveTarget(segs[1], segs[2], segs.slice(3));
    }
    if (!target) throw pathNotFound();
    await handleResource(req, res, target, query);
  }

  const holds = new ResponseHolds();

  const failures: Array<{
    match: (request: { method: string; path: string }) => boolean;
    count: number;
  }> = [];

  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://sandbox').pathname;
    const failure = failures.find(f =>
      f.match({ method: req.method ?? 'GET', path }),
    );
    if (failure) {
      failure.count++;
      req.resume();
      sendError(res, new Error('the sandbox was told to fail this request'));
      return;
    }
    holds.apply(req, res);
    handle(req, res).catch(err => sendError(res, err));
  });

  const listening = await listen(server, options.port, host);
  serverAddress = listening.url.replace(/^http:\/\//, '');

  let closed: Promise<void> | undefined;
  return {
    url: `http://${serverAddress}`,
    store,
    failRequests(match) {
      const failure = { match, count: 0 };
      failures.push(failure);
      return {
        stop: () => {
          const index = failures.indexOf(failure);
          if (index >= 0) failures.splice(index, 1);
        },
        count: () => failure.count,
      };
    },
    holdResponses: match => holds.add(match),
    close() {
      if (!closed) {
        deployments.stop();
        quotas.stop();
        store.close();
        for (const res of [...watches]) res.end();
        watches.clear();
        closed = listening.close();
      }
      return closed;
    },
  };
}

function checkKind(type: ResourceType, body: KubeObject) {
  const apiVersion = body.apiVersion;
  const kind = body.kind;
  if (apiVersion && apiVersion !== apiVersionOf(type)) {
    throw badRequest(
      `the API version in the data (${apiVersion}) does not match the expected API version (${apiVersionOf(
        type,
      )})`,
    );
  }
  if (kind && kind !== type.kind) {
    throw badRequest(
      `the kind in the data (${kind}) does not match the expected kind (${type.kind})`,
    );
  }
}

function parseApplyBody(text: string): KubeObject {
  try {
    const body = JSON.parse(text);
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      throw new Error('not an object');
    }
    return body;
  } catch {
    throw badRequest(
      'the sandbox accepts server-side apply bodies in JSON only (YAML is not supported)',
    );
  }
}

/** Applies a PATCH body to an object according to its content type. */
function patchObject(
  current: KubeObject,
  text: string,
  contentType: string,
): KubeObject {
  let patch: unknown;
  try {
    patch = JSON.parse(text);
  } catch (e) {
    throw badRequest(`error decoding patch: ${(e as Error).message}`);
  }
  let result: unknown;
  switch (contentType) {
    case 'application/merge-patch+json':
      result = applyMergePatch(current, patch);
      break;
    case 'application/json-patch+json':
      result = applyJsonPatch(current, patch);
      break;
    case 'application/strategic-merge-patch+json':
      result = applyStrategicMergePatch(current, patch);
      break;
    default:
      throw unsupportedMediaType(contentType);
  }
  if (!result || typeof result !== 'object' || Array.isArray(result)) {
    throw badRequest('the patched object is not a JSON object');
  }
  return result as KubeObject;
}
