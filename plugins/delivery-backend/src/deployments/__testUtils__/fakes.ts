import { WORKLOAD_ANNOTATION_ENTITY_REFS } from '@internal/plugin-delivery-common';
import {
  CiCheck,
  ReplicaCounts,
  RolloutState,
} from '@internal/plugin-delivery-common';
import {
  ApprovalReader,
  ApprovalRecord,
  StableVersionRecord,
  DeploymentStore,
  LockRecord,
  StableVersionWriter,
} from '../../database/DeploymentStore';
import {
  BlockingIssue,
  Commit,
  CommitPlacement,
  DeploymentState,
  GitHubProvider,
  RepositoryInfo,
} from '../../providers/github';
import {
  JenkinsBuildState,
  JenkinsProvider,
  JenkinsTriggerOptions,
} from '../../providers/jenkins/JenkinsProvider';
import {
  KubernetesProvider,
  TrafficWeight,
  Workload,
} from '../../providers/kubernetes';
import {
  HealthSample,
  HealthTarget,
  MetricsProvider,
} from '../../providers/metrics';
import { Notifier } from '../../services/Notifier';
import { NOW, OLD_COMMIT, OLD_IMAGE, StepJournal } from './stageContext';

/*
 * Small in-memory stand-ins for the providers a stage depends on. Each records its calls in the
 * step's journal (as `<provider>.<method>`), so a test sees them in order with the fences.
 */

/** A workload of the `payments` service running `image`. */
export function workload(
  options: {
    cluster?: string;
    namespace?: string;
    name?: string;
    image?: string;
    commitSha?: string;
    noVersion?: boolean;
    rollout?: RolloutState;
    replicas?: Partial<ReplicaCounts>;
    revision?: string;
    /** Its `delivery.backstage.io/entity-refs`; the test service's when omitted, none if null. */
    entityRefs?: string | null;
  } = {},
): Workload {
  const image = options.image ?? OLD_IMAGE;
  return {
    cluster: options.cluster ?? 'uat-cluster',
    namespace: options.namespace ?? 'uat-apps',
    name: options.name ?? 'payments',
    ...(options.noVersion
      ? {}
      : {
          version: {
            image,
            imageTag: image.split(':').at(-1),
            commitSha: options.commitSha ?? OLD_COMMIT,
          },
        }),
    replicas: {
      desired: 3,
      ready: 3,
      updated: 3,
      available: 3,
      ...options.replicas,
    },
    rollout: options.rollout ?? 'complete',
    ...(options.revision ? { revision: options.revision } : {}),
    annotations:
      options.entityRefs === null
        ? {}
        : {
            [WORKLOAD_ANNOTATION_ENTITY_REFS]:
              options.entityRefs ?? 'component:default/payments',
          },
  };
}

type SetVersion = Parameters<KubernetesProvider['setWorkloadVersion']>[0];
type UpsertConfigMap = Parameters<KubernetesProvider['upsertConfigMap']>[0];

/** Clusters holding workloads labelled with a kubernetes id, and ConfigMaps. */
export class FakeKubernetes implements KubernetesProvider {
  /** Calls of setWorkloadVersion, in order. */
  readonly versionsSet: SetVersion[] = [];
  /** Calls of upsertConfigMap, in order. */
  readonly upserts: UpsertConfigMap[] = [];
  /** ConfigMaps by `cluster/namespace/name`. */
  readonly configMaps = new Map<string, UpsertConfigMap>();
  readonly #workloads: Array<{ kubernetesId: string; workload: Workload }> = [];

  constructor(private readonly journal: StepJournal) {}

  /** Adds (or replaces) a workload labelled `kubernetesId`. */
  put(added: Workload, kubernetesId = 'payments'): this {
    this.#remove(added);
    this.#workloads.push({ kubernetesId, workload: added });
    return this;
  }

  async findWorkload(options: {
    cluster: string;
    namespace: string;
    kubernetesId: string;
  }): Promise<Workload | undefined> {
    this.journal.record('kubernetes.findWorkload');
    return this.#workloads.find(
      w =>
        w.kubernetesId === options.kubernetesId &&
        w.workload.cluster === options.cluster &&
        w.workload.namespace === options.namespace,
    )?.workload;
  }

  async getWorkload(options: {
    cluster: string;
    namespace: string;
    name: string;
  }): Promise<Workload | undefined> {
    this.journal.record('kubernetes.getWorkload');
    return this.#find(options);
  }

  /** Like the real client: false when it already runs that image and commit. */
  async setWorkloadVersion(options: SetVersion): Promise<boolean> {
    this.journal.record('kubernetes.setWorkloadVersion');
    this.versionsSet.push(options);
    const found = this.#find(options);
    if (!found) {
      throw new Error(`No Deployment ${options.namespace}/${options.name}`);
    }
    if (
      found.version?.image === options.image &&
      found.version.commitSha === options.commitSha
    ) {
      return false;
    }
    found.version = {
      image: options.image,
      imageTag: options.image.split(':').at(-1),
      commitSha: options.commitSha,
    };
    found.rollout = 'progressing';
    found.deployedAt = options.deployedAt;
    Object.assign(found.annotations, options.annotations);
    return true;
  }

  async readConfigMap(options: {
    cluster: string;
    namespace: string;
    name: string;
  }): Promise<Record<string, string> | undefined> {
    this.journal.record('kubernetes.readConfigMap');
    return this.configMaps.get(configMapKey(options))?.data;
  }

  async upsertConfigMap(options: UpsertConfigMap): Promise<void> {
    this.journal.record('kubernetes.upsertConfigMap');
    this.upserts.push(options);
    this.configMaps.set(configMapKey(options), options);
  }

  /** Canary weights of Ingresses by `cluster/namespace/kubernetesId` → ingress → weight. */
  readonly weights = new Map<string, Map<string, number>>();

  async setTrafficWeight(
    options: Parameters<KubernetesProvider['setTrafficWeight']>[0],
  ): Promise<TrafficWeight[]> {
    this.journal.record('kubernetes.setTrafficWeight');
    const ingresses =
      this.weights.get(
        `${options.cluster}/${options.namespace}/${options.kubernetesId}`,
      ) ?? new Map<string, number>();
    return [...ingresses].map(([ingress, before]) => {
      const after =
        typeof options.weight === 'function'
          ? options.weight(ingress, before)
          : options.weight;
      ingresses.set(ingress, after);
      return { ingress, before, after };
    });
  }

  #find(ref: { cluster: string; namespace: string; name: string }) {
    return this.#workloads.find(
      w =>
        w.workload.cluster === ref.cluster &&
        w.workload.namespace === ref.namespace &&
        w.workload.name === ref.name,
    )?.workload;
  }

  #remove(ref: { cluster: string; namespace: string; name: string }) {
    const index = this.#workloads.findIndex(
      w => w.workload === this.#find(ref),
    );
    if (index >= 0) this.#workloads.splice(index, 1);
  }
}

function configMapKey(ref: {
  cluster: string;
  namespace: string;
  name: string;
}): string {
  return `${ref.cluster}/${ref.namespace}/${ref.name}`;
}

type NewDeployment = Parameters<GitHubProvider['createDeployment']>[1];

/**
 * A repository: commits with their CI checks, blocking issues, and the deployments and statuses
 * recorded in it. `failure` makes every deployment call throw (GitHub down).
 */
export class FakeGitHub implements GitHubProvider {
  readonly deployments: Array<NewDeployment & { id: number; slug: string }> =
    [];
  readonly statuses: Array<{
    slug: string;
    deploymentId: number;
    state: DeploymentState;
    description: string;
  }> = [];
  /** Commits of the repository, and whether each is on the default branch. */
  readonly commits = new Map<
    string,
    { onBranch: boolean; checks: CiCheck[]; message?: string }
  >();
  readonly blockingIssues: BlockingIssue[] = [];
  failure?: Error;
  #nextId = 9001;

  constructor(private readonly journal: StepJournal) {}

  async getRepository(slug: string): Promise<RepositoryInfo> {
    this.journal.record('github.getRepository');
    return {
      slug,
      defaultBranch: 'main',
      url: `https://github.example.com/${slug}`,
    };
  }

  async getCommitMessage(_slug: string, sha: string): Promise<string> {
    return this.commits.get(sha)?.message ?? '';
  }

  async listCommits(): Promise<Commit[]> {
    throw new Error('Stages do not list commits');
  }

  async commitsBetween(): Promise<Array<{ sha: string; committedAt: number }>> {
    throw new Error('Stages do not compare commits');
  }

  async getCiChecks(_slug: string, sha: string): Promise<CiCheck[]> {
    this.journal.record('github.getCiChecks');
    return this.commits.get(sha)?.checks ?? [];
  }

  async commitOnBranch(
    _slug: string,
    _branch: string,
    sha: string,
  ): Promise<CommitPlacement> {
    this.journal.record('github.commitOnBranch');
    const commit = this.commits.get(sha);
    return { exists: !!commit, onBranch: commit?.onBranch ?? false };
  }

  async listOpenIssuesWithLabel(): Promise<BlockingIssue[]> {
    this.journal.record('github.listOpenIssuesWithLabel');
    return this.blockingIssues;
  }

  async createDeployment(slug: string, input: NewDeployment): Promise<number> {
    this.journal.record('github.createDeployment');
    if (this.failure) throw this.failure;
    const id = this.#nextId++;
    this.deployments.push({ ...input, id, slug });
    return id;
  }

  async findDeployment(
    slug: string,
    input: { sha: string; environment: string; token: string },
  ): Promise<number | undefined> {
    this.journal.record('github.findDeployment');
    if (this.failure) throw this.failure;
    return this.deployments.find(
      d =>
        d.slug === slug &&
        d.sha === input.sha &&
        d.environment === input.environment &&
        d.payload.token === input.token,
    )?.id;
  }

  async createDeploymentStatus(
    slug: string,
    deploymentId: number,
    input: { state: DeploymentState; description: string },
  ): Promise<void> {
    this.journal.record('github.createDeploymentStatus');
    if (this.failure) throw this.failure;
    this.statuses.push({ slug, deploymentId, ...input });
  }
}

/** Health samples to hand out, one per call, as a metrics system would over time. */
export class FakeMetrics implements MetricsProvider {
  readonly targets: HealthTarget[] = [];

  constructor(
    private readonly journal: StepJournal,
    private readonly samples: Array<Omit<HealthSample, 'sampledAt'>>,
  ) {}

  async health(target: HealthTarget): Promise<HealthSample> {
    this.journal.record('metrics.health');
    this.targets.push(target);
    const sample = this.samples.shift();
    if (!sample) throw new Error('No health sample left');
    return { ...sample, sampledAt: NOW.toISOString() };
  }
}

/**
 * A Jenkins whose builds answer each poll with the next prepared change of their state. A
 * trigger with `identifiedBy` returns `existing` (adopted) when one is set.
 */
export class FakeJenkins implements JenkinsProvider {
  readonly triggered: Array<{
    job: string;
    parameters: Record<string, string>;
    options?: JenkinsTriggerOptions;
  }> = [];
  readonly polled: JenkinsBuildState[] = [];
  existing: JenkinsBuildState | undefined;

  constructor(
    private readonly journal: StepJournal,
    private readonly answers: Array<Partial<JenkinsBuildState>> = [],
  ) {}

  async trigger(
    job: string,
    parameters: Record<string, string>,
    options?: JenkinsTriggerOptions,
  ): Promise<JenkinsBuildState> {
    this.journal.record('jenkins.trigger');
    this.triggered.push({ job, parameters, ...(options ? { options } : {}) });
    if (options?.identifiedBy?.length && this.existing) {
      return { ...this.existing, adopted: true };
    }
    return {
      queueItemUrl: 'https://jenkins.example.com/queue/item/17/',
      jobFullName: job,
      queueId: 17,
      building: true,
    };
  }

  async poll(state: JenkinsBuildState): Promise<JenkinsBuildState> {
    this.journal.record('jenkins.poll');
    this.polled.push(state);
    const answer = this.answers.shift();
    if (!answer) throw new Error('No Jenkins answer left');
    return { ...state, ...answer };
  }
}

/** Approvals given so far. */
export class FakeApprovals implements ApprovalReader {
  constructor(
    private readonly journal: StepJournal,
    readonly approvals: ApprovalRecord[] = [],
  ) {}

  async listApprovals(options: {
    tokens: string[];
  }): Promise<ApprovalRecord[]> {
    this.journal.record('approvals.listApprovals');
    return this.approvals.filter(a => options.tokens.includes(a.token));
  }
}

/** Stable versions recorded in the database. */
export class FakeStableVersions implements StableVersionWriter {
  readonly recorded: StableVersionRecord[] = [];

  constructor(private readonly journal: StepJournal) {}

  async recordStable(stable: StableVersionRecord): Promise<void> {
    this.journal.record('stable.recordStable');
    this.recorded.push(stable);
  }
}

/** The service's queue lock, when a test or a stage sets one. */
export class FakeLocks
  implements Pick<DeploymentStore, 'getLock' | 'lock' | 'unlock'>
{
  /** The lock that holds now. */
  held: LockRecord | undefined;

  constructor(private readonly journal: StepJournal) {}

  async getLock(options: {
    entityRef: string;
  }): Promise<LockRecord | undefined> {
    this.journal.record('locks.getLock');
    return this.held?.entityRef === options.entityRef ? this.held : undefined;
  }

  async lock(options: { lock: LockRecord }) {
    this.journal.record('locks.lock');
    this.held = options.lock;
    return [];
  }

  async unlock(options: { entityRef: string }): Promise<boolean> {
    this.journal.record('locks.unlock');
    const had = this.held?.entityRef === options.entityRef;
    if (had) this.held = undefined;
    return had;
  }
}

/** Pages sent to on-call. */
export class FakeOnCall implements Pick<Notifier, 'alertOnCall'> {
  readonly alerts: Array<{
    title: string;
    description: string;
    resolved?: boolean;
  }> = [];

  constructor(private readonly journal: StepJournal) {}

  async alertOnCall(alert: {
    deployment: { token: string; entityRef: string };
    title: string;
    description: string;
    resolved?: boolean;
  }): Promise<void> {
    this.journal.record('onCall.alert');
    this.alerts.push({
      title: alert.title,
      description: alert.description,
      ...(alert.resolved ? { resolved: true } : {}),
    });
  }
}
