/*
 * Simulated controllers: Deployment rollouts (status converging step by step,
 * like the deployment controller with a ReplicaSet per revision) and
 * ResourceQuota usage.
 */
import { createHash } from 'node:crypto';
import {
  KubeObject,
  KubeStore,
  REVISION_ANNOTATION,
  StoreEvent,
} from './KubeStore';
import {
  Quantity,
  addQuantities,
  compareQuantities,
  formatQuantity,
  multiplyQuantity,
  parseQuantity,
  quantityValue,
  zeroQuantity,
} from './quantity';
import { RESOURCE_TYPES, qualifiedResource } from './resources';

const HASH_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A `pod-template-hash`-like suffix for a Deployment's current template. */
export function templateHash(deployment: KubeObject): string {
  const digest = createHash('sha256')
    .update(JSON.stringify(deployment.spec?.template ?? {}))
    .digest();
  let out = '';
  for (let i = 0; i < 10; i++) out += HASH_CHARS[digest[i] % HASH_CHARS.length];
  return out;
}

function desiredReplicas(deployment: KubeObject): number {
  const r = deployment.spec?.replicas;
  return typeof r === 'number' && r >= 0 ? r : 1;
}

function maxUnavailable(deployment: KubeObject, replicas: number): number {
  const strategy = deployment.spec?.strategy;
  if (strategy?.type === 'Recreate') return replicas;
  const v = strategy?.rollingUpdate?.maxUnavailable ?? '25%';
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(String(v));
  if (m) return Math.floor((replicas * Number(m[1])) / 100);
  return Number(v) || 0;
}

interface RolloutCounts {
  observedGeneration: number;
  updated: number;
  old: number;
  /** Why the last pod could not be created (the ReplicaSet's `FailedCreate` message). */
  failure?: string;
  /** The rollout made no progress for `spec.progressDeadlineSeconds`. */
  timedOut?: boolean;
}

function setCondition(
  conditions: KubeObject[],
  type: string,
  status: string,
  reason: string,
  message: string,
) {
  const ts = now();
  const existing = conditions.find(c => c.type === type);
  if (existing) {
    if (existing.status !== status) existing.lastTransitionTime = ts;
    if (
      existing.reason !== reason ||
      existing.message !== message ||
      existing.status !== status
    ) {
      existing.lastUpdateTime = ts;
    }
    existing.status = status;
    existing.reason = reason;
    existing.message = message;
  } else {
    conditions.push({
      type,
      status,
      lastUpdateTime: ts,
      lastTransitionTime: ts,
      reason,
      message,
    });
  }
}

/** The Deployment status for the given counts, with conditions updated from `previous`. */
export function deploymentStatus(
  deployment: KubeObject,
  counts: RolloutCounts,
  previous: KubeObject | undefined,
): KubeObject {
  const desired = desiredReplicas(deployment);
  const replicas = counts.updated + counts.old;
  const available = replicas;
  const done =
    counts.observedGeneration === (deployment.metadata.generation ?? 1) &&
    counts.updated === desired &&
    counts.old === 0;
  const rsName = `${deployment.metadata.name}-${templateHash(deployment)}`;
  const conditions: KubeObject[] = structuredClone(previous?.conditions ?? []);
  const minAvailable = desired - maxUnavailable(deployment, desired);
  if (available >= minAvailable) {
    setCondition(
      conditions,
      'Available',
      'True',
      'MinimumReplicasAvailable',
      'Deployment has minimum availability.',
    );
  } else {
    setCondition(
      conditions,
      'Available',
      'False',
      'MinimumReplicasUnavailable',
      'Deployment does not have minimum availability.',
    );
  }
  if (done) {
    setCondition(
      conditions,
      'Progressing',
      'True',
      'NewReplicaSetAvailable',
      `ReplicaSet "${rsName}" has successfully progressed.`,
    );
  } else if (counts.timedOut) {
    setCondition(
      conditions,
      'Progressing',
      'False',
      'ProgressDeadlineExceeded',
      `ReplicaSet "${rsName}" has timed out progressing.`,
    );
  } else if (!conditions.some(c => c.type === 'Progressing')) {
    setCondition(
      conditions,
      'Progressing',
      'True',
      'NewReplicaSetCreated',
      `Created new replica set "${rsName}"`,
    );
  } else {
    setCondition(
      conditions,
      'Progressing',
      'True',
      'ReplicaSetUpdated',
      `ReplicaSet "${rsName}" is progressing.`,
    );
  }
  // The ReplicaSet's failure to create pods, copied as the deployment controller does.
  const failureAt = conditions.findIndex(c => c.type === 'ReplicaFailure');
  if (counts.failure) {
    setCondition(
      conditions,
      'ReplicaFailure',
      'True',
      'FailedCreate',
      counts.failure,
    );
  } else if (failureAt >= 0) {
    conditions.splice(failureAt, 1);
  }
  // Available first, ReplicaFailure last, as the deployment controller orders them.
  const rank = (c: KubeObject) => {
    if (c.type === 'Available') return 0;
    return c.type === 'ReplicaFailure' ? 2 : 1;
  };
  conditions.sort((a, b) => rank(a) - rank(b));
  const status: KubeObject = { observedGeneration: counts.observedGeneration };
  // Zero counts are omitted, as the real server's JSON (omitempty) does.
  if (replicas) status.replicas = replicas;
  if (counts.updated) status.updatedReplicas = counts.updated;
  if (available) status.readyReplicas = available;
  if (available) status.availableReplicas = available;
  const unavailable = Math.max(0, desired - available);
  if (unavailable) status.unavailableReplicas = unavailable;
  status.conditions = conditions;
  return status;
}

/** The status of a Deployment that has fully rolled out. */
export function completedDeploymentStatus(deployment: KubeObject): KubeObject {
  return deploymentStatus(
    deployment,
    {
      observedGeneration: deployment.metadata.generation ?? 1,
      updated: desiredReplicas(deployment),
      old: 0,
    },
    deployment.status,
  );
}

/** Whether a Deployment's status shows a finished rollout of its current spec. */
export function isRolledOut(deployment: KubeObject): boolean {
  const st = deployment.status ?? {};
  const desired = desiredReplicas(deployment);
  return (
    st.observedGeneration === (deployment.metadata.generation ?? 1) &&
    (st.updatedReplicas ?? 0) === desired &&
    (st.replicas ?? 0) === desired &&
    (st.availableReplicas ?? 0) === desired &&
    st.conditions?.some(
      (c: KubeObject) =>
        c.type === 'Progressing' && c.reason === 'NewReplicaSetAvailable',
    ) === true
  );
}

interface RolloutState {
  revision: string;
  updated: number;
  old: number;
  /** When the rollout last moved (ms since the epoch), for the progress deadline. */
  lastProgressAt: number;
  /** The name of the pod the current revision failed to create (stable, so is the message). */
  refusedPod?: string;
}

const POD_SUFFIX_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

function podSuffix(): string {
  let out = '';
  for (let i = 0; i < 5; i++) {
    out +=
      POD_SUFFIX_CHARS[Math.floor(Math.random() * POD_SUFFIX_CHARS.length)];
  }
  return out;
}

/**
 * Drives Deployment status towards `spec`: every `stepMs` one step — first
 * `observedGeneration` catches up, then one more replica of the new revision
 * is updated (and one old one retired) per step, until all are available.
 * Each new pod passes ResourceQuota admission first: when a quota of the
 * namespace refuses it, the rollout does not progress (an old pod is retired
 * first when `maxUnavailable` allows, to make room), the status gets the
 * ReplicaSet's `ReplicaFailure` condition (`FailedCreate`, with the real
 * admission message), and after `progressDeadlineSeconds` without progress
 * `Progressing` turns False with `ProgressDeadlineExceeded`.
 */
export class DeploymentController {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly states = new Map<string, RolloutState>();
  private stopped = false;
  private readonly listener = (event: StoreEvent) => this.onEvent(event);

  constructor(
    private readonly store: KubeStore,
    private readonly stepMs: number,
  ) {}

  start() {
    this.store.on('event', this.listener);
    for (const d of this.store.list('deployments')) this.observe(d);
  }

  stop() {
    this.stopped = true;
    this.store.off('event', this.listener);
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private onEvent(event: StoreEvent) {
    if (event.resourceType.resource !== 'deployments') return;
    const uid = event.object.metadata.uid;
    if (event.type === 'DELETED') {
      const t = this.timers.get(uid);
      if (t) clearTimeout(t);
      this.timers.delete(uid);
      this.states.delete(uid);
      return;
    }
    this.observe(event.object);
  }

  private stateFor(d: KubeObject): RolloutState {
    const uid = d.metadata.uid;
    let state = this.states.get(uid);
    const revision = d.metadata.annotations?.[REVISION_ANNOTATION] ?? '1';
    if (!state) {
      const st = d.status ?? {};
      const updated = st.updatedReplicas ?? 0;
      state = {
        revision,
        updated,
        old: Math.max(0, (st.replicas ?? 0) - updated),
        lastProgressAt: Date.now(),
      };
      this.states.set(uid, state);
    } else if (state.revision !== revision) {
      // A new template: every current pod now belongs to an old ReplicaSet.
      state.old = state.updated + state.old;
      state.updated = 0;
      state.revision = revision;
      state.lastProgressAt = Date.now();
      state.refusedPod = undefined;
    }
    return state;
  }

  private observe(d: KubeObject) {
    if (this.stopped) return;
    const state = this.stateFor(d);
    if (
      isRolledOut(d) &&
      state.old === 0 &&
      state.updated === desiredReplicas(d)
    )
      return;
    const uid = d.metadata.uid;
    if (this.timers.has(uid)) return;
    const timer = setTimeout(() => {
      this.timers.delete(uid);
      this.step(d.metadata.namespace, d.metadata.name, uid);
    }, this.stepMs);
    timer.unref?.();
    this.timers.set(uid, timer);
  }

  private step(namespace: string, name: string, uid: string) {
    if (this.stopped) return;
    const d = this.store.get('deployments', namespace, name);
    if (!d || d.metadata.uid !== uid) return;
    const state = this.stateFor(d);
    const generation = d.metadata.generation ?? 1;
    const desired = desiredReplicas(d);
    const st = d.status ?? {};
    let failure: string | undefined;
    const before = `${state.updated}/${state.old}`;
    if (st.observedGeneration !== generation) {
      // Observing a new generation is progress too.
      state.lastProgressAt = Date.now();
    } else if (state.updated < desired) {
      const refusal = quotaRefusal(this.store, d);
      if (refusal === undefined) {
        state.updated++;
        if (state.old > 0) state.old--;
        state.refusedPod = undefined;
      } else {
        state.refusedPod ??= `${d.metadata.name}-${templateHash(
          d,
        )}-${podSuffix()}`;
        failure = `pods "${state.refusedPod}" is forbidden: ${refusal}`;
        // Room for the new pod may come from retiring an old one, if availability allows.
        if (
          state.old > 0 &&
          state.updated + state.old - 1 >= desired - maxUnavailable(d, desired)
        ) {
          state.old--;
        }
      }
    } else if (state.updated > desired) {
      state.updated--;
    } else if (state.old > 0) {
      state.old--;
    }
    if (`${state.updated}/${state.old}` !== before) {
      state.lastProgressAt = Date.now();
    }
    const deadlineSeconds = Number(d.spec?.progressDeadlineSeconds ?? 600);
    const status = deploymentStatus(
      d,
      {
        observedGeneration: generation,
        updated: state.updated,
        old: state.old,
        failure,
        timedOut:
          failure !== undefined &&
          Date.now() - state.lastProgressAt > deadlineSeconds * 1000,
      },
      st,
    );
    const updated = this.store.updateStatus(
      'deployments',
      namespace,
      name,
      status,
    );
    // updateStatus emits an event that re-schedules; an unchanged status does not.
    if (updated.metadata.resourceVersion === d.metadata.resourceVersion) {
      this.observe(updated);
    }
  }
}

/** A quantity as a number (`500m` → 0.5, `1Gi` → 1073741824); 0 when missing or malformed. */
export function quantityNumber(q: unknown): number {
  if (typeof q !== 'string' && typeof q !== 'number') return 0;
  try {
    return quantityValue(parseQuantity(q));
  } catch {
    return 0;
  }
}

type ResourceList = Record<string, Quantity>;

function parseList(list: unknown): ResourceList {
  const out: ResourceList = {};
  if (!list || typeof list !== 'object') return out;
  for (const [key, value] of Object.entries(list)) {
    if (typeof value !== 'string' && typeof value !== 'number') continue;
    try {
      out[key] = parseQuantity(value);
    } catch {
      // Stored objects hold valid quantities; ignore anything else.
    }
  }
  return out;
}

/** The Container defaults of a namespace's LimitRanges, in name order. */
function containerDefaults(
  limitRanges: KubeObject[],
): Array<{ limits: ResourceList; requests: ResourceList }> {
  const out: Array<{ limits: ResourceList; requests: ResourceList }> = [];
  for (const lr of limitRanges) {
    for (const item of lr.spec?.limits ?? []) {
      if (item?.type !== 'Container') continue;
      out.push({
        limits: parseList(item.default),
        requests: parseList(item.defaultRequest),
      });
    }
  }
  return out;
}

/** A container's requests and limits as its pod gets them. */
interface ContainerResources {
  name: string;
  requests: ResourceList;
  limits: ResourceList;
}

/**
 * The requests and limits of a Deployment's containers in the pods it creates: a limit without
 * a request makes the request (pod defaulting), then the namespace's LimitRanges fill in what
 * is still missing from their Container `default` and `defaultRequest` (LimitRanger admission).
 */
export function podContainers(
  deployment: KubeObject,
  limitRanges: KubeObject[],
): ContainerResources[] {
  const defaults = containerDefaults(limitRanges);
  return (deployment.spec?.template?.spec?.containers ?? []).map(
    (c: KubeObject) => {
      const limits = parseList(c?.resources?.limits);
      const requests = parseList(c?.resources?.requests);
      for (const [key, value] of Object.entries(limits)) {
        requests[key] ??= value;
      }
      for (const d of defaults) {
        for (const [key, value] of Object.entries(d.limits)) {
          limits[key] ??= value;
        }
        for (const [key, value] of Object.entries(d.requests)) {
          requests[key] ??= value;
        }
      }
      return { name: String(c?.name ?? ''), requests, limits };
    },
  );
}

/** `podComputeUsageHelper`: what one container (or a pod's sum) counts against quota keys. */
function computeUsage(
  requests: ResourceList,
  limits: ResourceList,
): ResourceList {
  const usage: ResourceList = {};
  for (const resource of ['cpu', 'memory', 'ephemeral-storage']) {
    if (requests[resource]) {
      usage[resource] = requests[resource];
      usage[`requests.${resource}`] = requests[resource];
    }
    if (limits[resource]) usage[`limits.${resource}`] = limits[resource];
  }
  return usage;
}

/** The quota usage of one pod of a Deployment: `pods`, `count/pods` and compute resources. */
export function podUsage(
  deployment: KubeObject,
  limitRanges: KubeObject[],
): ResourceList {
  const requests: ResourceList = {};
  const limits: ResourceList = {};
  for (const c of podContainers(deployment, limitRanges)) {
    for (const [key, value] of Object.entries(c.requests)) {
      requests[key] = requests[key]
        ? addQuantities(requests[key], value)
        : value;
    }
    for (const [key, value] of Object.entries(c.limits)) {
      limits[key] = limits[key] ? addQuantities(limits[key], value) : value;
    }
  }
  const one = parseQuantity('1');
  return { pods: one, 'count/pods': one, ...computeUsage(requests, limits) };
}

/** The quota keys that pods must declare in every container when a quota limits them. */
const COMPUTE_KEYS = [
  'cpu',
  'memory',
  'requests.cpu',
  'requests.memory',
  'limits.cpu',
  'limits.memory',
  'ephemeral-storage',
  'requests.ephemeral-storage',
  'limits.ephemeral-storage',
];

/** Legacy object-count keys and the resource each counts. */
const COUNT_KEYS: Record<string, string> = {
  services: 'services',
  configmaps: 'configmaps',
  resourcequotas: 'resourcequotas',
};

function objectCount(
  store: KubeStore,
  namespace: string,
  key: string,
): number | undefined {
  const counted = key.startsWith('count/')
    ? key.slice('count/'.length)
    : COUNT_KEYS[key];
  if (!counted) return undefined;
  const type = RESOURCE_TYPES.find(
    t => t.namespaced && qualifiedResource(t) === counted,
  );
  return type ? store.count(type, namespace) : 0;
}

/**
 * The usage of each key of a quota's `hard` in a namespace, as quantities: pods counted from the
 * Deployments' pods (`status.replicas`), compute resources as pods × their per-pod sums (with the
 * LimitRanges' defaults), object counts from the store. Keys the sandbox does not model are 0.
 */
export function quotaUsageQuantities(
  store: KubeStore,
  namespace: string,
  keys: string[],
): ResourceList {
  const deployments = store.list('deployments', namespace);
  const limitRanges = store.list('limitranges', namespace);
  const perDeployment = deployments.map(d => ({
    pods: d.status?.replicas ?? 0,
    usage: podUsage(d, limitRanges),
  }));
  const used: ResourceList = {};
  for (const key of keys) {
    const count = objectCount(store, namespace, key);
    if (count !== undefined && key !== 'count/pods') {
      used[key] = parseQuantity(count);
      continue;
    }
    let sum = zeroQuantity();
    for (const { pods, usage } of perDeployment) {
      if (pods > 0 && usage[key]) {
        sum = addQuantities(sum, multiplyQuantity(usage[key], pods));
      }
    }
    used[key] = sum;
  }
  return used;
}

/** `status.used` of a quota: its keys' usage in the namespace, formatted like the real server. */
export function quotaUsage(
  store: KubeStore,
  namespace: string,
  hard: Record<string, unknown>,
): Record<string, string> {
  const used = quotaUsageQuantities(store, namespace, Object.keys(hard));
  return Object.fromEntries(
    Object.entries(used).map(([key, q]) => [key, formatQuantity(q)]),
  );
}

/** `prettyPrint` of the quota admission: `pods=1,requests.cpu=500m`, keys sorted. */
function prettyPrint(list: ResourceList): string {
  return Object.keys(list)
    .sort()
    .map(key => `${key}=${formatQuantity(list[key])}`)
    .join(',');
}

/**
 * ResourceQuota admission of one more pod of a Deployment in its namespace: undefined when every
 * quota admits it, else the reason it is refused, as the real server words it (`failed quota:
 * <q>: must specify ...` when a quota limits compute resources a container does not declare,
 * `exceeded quota: <q>, requested: ..., used: ..., limited: ...` when it would go over).
 */
export function quotaRefusal(
  store: KubeStore,
  deployment: KubeObject,
): string | undefined {
  const namespace = deployment.metadata.namespace;
  const quotas = store.list('resourcequotas', namespace);
  if (quotas.length === 0) return undefined;
  const limitRanges = store.list('limitranges', namespace);
  const containers = podContainers(deployment, limitRanges);
  const requested = podUsage(deployment, limitRanges);
  for (const quota of quotas) {
    const hard = parseList(quota.spec?.hard);
    const required = COMPUTE_KEYS.filter(key => hard[key]);
    const missing = new Map<string, string[]>();
    for (const c of containers) {
      const has = computeUsage(c.requests, c.limits);
      for (const key of required) {
        if (!has[key]) missing.set(key, [...(missing.get(key) ?? []), c.name]);
      }
    }
    if (missing.size > 0) {
      const parts = [...missing.keys()]
        .sort()
        .map(
          key =>
            `${key} for: ${[...new Set(missing.get(key))].sort().join(',')}`,
        );
      return `failed quota: ${quota.metadata.name}: must specify ${parts.join(
        '; ',
      )}`;
    }
    const keys = Object.keys(hard).filter(key => requested[key]);
    if (keys.length === 0) continue;
    const used = quotaUsageQuantities(store, namespace, keys);
    const exceeded = keys.filter(
      key =>
        compareQuantities(addQuantities(used[key], requested[key]), hard[key]) >
        0,
    );
    if (exceeded.length > 0) {
      const mask = (list: ResourceList) =>
        Object.fromEntries(exceeded.map(key => [key, list[key]]));
      return `exceeded quota: ${quota.metadata.name}, requested: ${prettyPrint(
        mask(requested),
      )}, used: ${prettyPrint(mask(used))}, limited: ${prettyPrint(
        mask(hard),
      )}`;
    }
  }
  return undefined;
}

/** Keeps `status.hard`/`status.used` of ResourceQuotas up to date. */
export class QuotaController {
  private readonly dirty = new Set<string>();
  private pending: NodeJS.Immediate | undefined;
  private stopped = false;
  private readonly listener = (event: StoreEvent) => {
    const ns = event.object.metadata?.namespace;
    if (ns && this.store.count('resourcequotas', ns) > 0) this.schedule(ns);
  };

  constructor(private readonly store: KubeStore) {}

  start() {
    this.store.on('event', this.listener);
    const namespaces = new Set(
      this.store.list('resourcequotas').map(q => q.metadata.namespace),
    );
    for (const ns of namespaces) this.sync(ns);
  }

  stop() {
    this.stopped = true;
    this.store.off('event', this.listener);
    if (this.pending) clearImmediate(this.pending);
    this.pending = undefined;
  }

  private schedule(namespace: string) {
    this.dirty.add(namespace);
    if (this.pending || this.stopped) return;
    this.pending = setImmediate(() => {
      this.pending = undefined;
      const namespaces = [...this.dirty];
      this.dirty.clear();
      for (const ns of namespaces) this.sync(ns);
    });
  }

  /** Recomputes the status of every quota in a namespace now. */
  sync(namespace: string) {
    if (this.stopped) return;
    for (const q of this.store.list('resourcequotas', namespace)) {
      const hard = q.spec?.hard ?? {};
      const status = { hard, used: quotaUsage(this.store, namespace, hard) };
      this.store.updateStatus(
        'resourcequotas',
        namespace,
        q.metadata.name,
        status,
      );
    }
  }
}
