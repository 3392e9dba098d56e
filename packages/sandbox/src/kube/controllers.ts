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
  // Available first, as the deployment controller orders them.
  conditions.sort(
    (a, b) => Number(b.type === 'Available') - Number(a.type === 'Available'),
  );
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
}

/**
 * Drives Deployment status towards `spec`: every `stepMs` one step — first
 * `observedGeneration` catches up, then one more replica of the new revision
 * is updated (and one old one retired) per step, until all are available.
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
      };
      this.states.set(uid, state);
    } else if (state.revision !== revision) {
      // A new template: every current pod now belongs to an old ReplicaSet.
      state.old = state.updated + state.old;
      state.updated = 0;
      state.revision = revision;
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
    if (st.observedGeneration === generation) {
      if (state.updated < desired) {
        state.updated++;
        if (state.old > 0) state.old--;
      } else if (state.updated > desired) {
        state.updated--;
      } else if (state.old > 0) {
        state.old--;
      }
    }
    const status = deploymentStatus(
      d,
      {
        observedGeneration: generation,
        updated: state.updated,
        old: state.old,
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

const BINARY_SUFFIXES: Array<[string, number]> = [
  ['Ei', 2 ** 60],
  ['Pi', 2 ** 50],
  ['Ti', 2 ** 40],
  ['Gi', 2 ** 30],
  ['Mi', 2 ** 20],
  ['Ki', 2 ** 10],
];
const DECIMAL_SUFFIXES: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** Parses a Kubernetes quantity (`500m`, `2`, `128Mi`, `1e3`) into a number. */
export function parseQuantity(q: unknown): number {
  if (typeof q === 'number') return q;
  const m = /^([+-]?[0-9.]+)(?:[eE]([+-]?\d+))?([a-zA-Z]*)$/.exec(
    String(q ?? '').trim(),
  );
  if (!m) return 0;
  let n = Number(m[1]);
  if (m[2]) n *= 10 ** Number(m[2]);
  const suffix = m[3];
  const binary = BINARY_SUFFIXES.find(([s]) => s === suffix);
  if (binary) return n * binary[1];
  return n * (DECIMAL_SUFFIXES[suffix] ?? 1);
}

/** Formats a quantity canonically enough: `0`, `1500m`, `2`, `256Mi`. */
export function formatQuantity(n: number): string {
  if (n === 0) return '0';
  const milli = Math.round(n * 1000);
  if (milli % 1000 !== 0) return `${milli}m`;
  const whole = milli / 1000;
  for (const [suffix, factor] of BINARY_SUFFIXES) {
    if (whole >= factor && whole % factor === 0)
      return `${whole / factor}${suffix}`;
  }
  return String(whole);
}

/** The usage of each key of a quota's `spec.hard` in a namespace. */
export function quotaUsage(
  store: KubeStore,
  namespace: string,
  hard: Record<string, unknown>,
) {
  const deployments = store.list('deployments', namespace);
  const count = (ref: string) => store.list(ref, namespace).length;
  const podResources = (kind: 'requests' | 'limits', resource: string) =>
    deployments.reduce((sum, d) => {
      const pods = d.status?.replicas ?? 0;
      const perPod = (d.spec?.template?.spec?.containers ?? []).reduce(
        (s: number, c: KubeObject) =>
          s + parseQuantity(c?.resources?.[kind]?.[resource] ?? 0),
        0,
      );
      return sum + pods * perPod;
    }, 0);
  const used: Record<string, string> = {};
  for (const key of Object.keys(hard)) {
    let value = 0;
    switch (key) {
      case 'pods':
      case 'count/pods':
        value = deployments.reduce((s, d) => s + (d.status?.replicas ?? 0), 0);
        break;
      case 'services':
      case 'count/services':
        value = count('services');
        break;
      case 'configmaps':
      case 'count/configmaps':
        value = count('configmaps');
        break;
      case 'resourcequotas':
      case 'count/resourcequotas':
        value = count('resourcequotas');
        break;
      case 'count/deployments.apps':
        value = deployments.length;
        break;
      case 'count/networkpolicies.networking.k8s.io':
        value = count('networkpolicies');
        break;
      case 'cpu':
      case 'requests.cpu':
        value = podResources('requests', 'cpu');
        break;
      case 'memory':
      case 'requests.memory':
        value = podResources('requests', 'memory');
        break;
      case 'limits.cpu':
        value = podResources('limits', 'cpu');
        break;
      case 'limits.memory':
        value = podResources('limits', 'memory');
        break;
      default:
        value = 0;
    }
    used[key] = formatQuantity(value);
  }
  return used;
}

/** Keeps `status.hard`/`status.used` of ResourceQuotas up to date. */
export class QuotaController {
  private readonly dirty = new Set<string>();
  private pending: NodeJS.Immediate | undefined;
  private stopped = false;
  private readonly listener = (event: StoreEvent) => {
    const ns = event.object.metadata?.namespace;
    if (ns) this.schedule(ns);
  };

  constructor(private readonly store: KubeStore) {}

  start() {
    this.store.on('event', this.listener);
    for (const q of this.store.list('resourcequotas'))
      this.sync(q.metadata.namespace);
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
