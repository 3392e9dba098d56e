import { Entity } from '@backstage/catalog-model';
import {
  ANNOTATION_GITHUB_PROJECT_SLUG,
  ANNOTATION_KUBERNETES_ID,
} from '@internal/plugin-delivery-common';
import { EnvironmentConfig } from '../../config';
import {
  LeaseLostError,
  LogLevel,
  RunRecord,
  StageRecord,
  StageStatus,
} from '../../engine';
import { DeliveryEntity } from '../../services/EntityResolver';
import {
  Backup,
  BackupState,
  DEPLOYMENT_RUN_KIND,
  DeployState,
  DeploymentRunInput,
  DeploymentStageContext,
} from '../types';

/*
 * Builds the context a deployment stage handler gets for one step, without the engine or a
 * database: a run of the `payments` service, the stages around the one under test, an injected
 * clock, and `log` / `checkpoint` / `fence` that write into a journal the test reads back.
 */

/** The time of the step under test: stages read time only from `ctx.now`. */
export const NOW = new Date('2026-03-02T10:00:00.000Z');

/** `NOW` moved by `ms` (negative: earlier). */
export function at(ms: number): Date {
  return new Date(NOW.getTime() + ms);
}

/** Pipeline order; the last one is production. */
export const ENVIRONMENTS: EnvironmentConfig[] = [
  { name: 'uat', cluster: 'uat-cluster', namespace: 'uat-apps' },
  { name: 'canary', cluster: 'prod-cluster', namespace: 'canary-apps' },
  { name: 'production', cluster: 'prod-cluster', namespace: 'apps' },
];

/** The version the environments ran before the deployment. */
export const OLD_COMMIT = '1111111aaaaaaabbbbbbbcccccccdddddddeeee';
export const OLD_IMAGE = 'registry.example.com/payments:1111111';

/** What the deployment under test deploys. */
export const INPUT: DeploymentRunInput = {
  token: 'dep-0042',
  entityRef: 'component:default/payments',
  commitSha: 'abcdef0123456789abcdef0123456789abcdef01',
  image: 'registry.example.com/payments:abcdef0',
  requestedBy: 'user:default/alice',
};

/** The catalog entity of the service, as the `EntityResolver` returns it. */
export function deliveryEntity(
  options: {
    annotations?: Record<string, string>;
    kubernetesNamespace?: string;
  } = {},
): DeliveryEntity {
  const entity: Entity = {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: 'payments',
      namespace: 'default',
      annotations: {
        [ANNOTATION_GITHUB_PROJECT_SLUG]: 'acme/payments',
        [ANNOTATION_KUBERNETES_ID]: 'payments',
        ...options.annotations,
      },
    },
    spec: { type: 'service', lifecycle: 'production', owner: 'team-pay' },
  };
  return {
    entity,
    entityRef: 'component:default/payments',
    projectSlug: 'acme/payments',
    kubernetesId: 'payments',
    ...(options.kubernetesNamespace
      ? { kubernetesNamespace: options.kubernetesNamespace }
      : {}),
  };
}

function environment(name: string): EnvironmentConfig {
  const env = ENVIRONMENTS.find(e => e.name === name);
  if (!env) throw new Error(`No test environment ${name}`);
  return env;
}

/** The backup a `backup` stage records for an environment (the old version, where it runs). */
export function backupIn(
  name: string,
  overrides: Partial<Backup> = {},
): Backup {
  const env = environment(name);
  return {
    cluster: env.cluster,
    namespace: env.namespace,
    workload: 'payments',
    image: OLD_IMAGE,
    commitSha: OLD_COMMIT,
    revision: '7',
    ...overrides,
  };
}

/** A stage of the run; `position` and `runId` are set by {@link deploymentStageContext}. */
export function stageRecord<TState extends object>(options: {
  kind: string;
  name?: string;
  environment?: string;
  status?: StageStatus;
  state: TState;
  startedAt?: Date;
}): StageRecord<TState> {
  return {
    runId: INPUT.token,
    position: 0,
    name:
      options.name ??
      (options.environment
        ? `${options.environment}.${options.kind}`
        : options.kind),
    kind: options.kind,
    ...(options.environment ? { environment: options.environment } : {}),
    status: options.status ?? 'succeeded',
    ...(options.startedAt ? { startedAt: options.startedAt } : {}),
    attempts: 1,
    errors: 0,
    state: options.state,
  };
}

/** A succeeded `backup` stage of an environment, holding its backup (`null`: it holds none). */
export function backupStage(
  name: string,
  backup: Backup | null = backupIn(name),
): StageRecord<BackupState> {
  return stageRecord<BackupState>({
    kind: 'backup',
    environment: name,
    state: backup ? { backup } : {},
  });
}

/** A `deploy` stage of an environment, with the GitHub deployment it recorded, if any. */
export function deployStage(
  name: string,
  githubDeploymentId?: number,
  status: StageStatus = 'succeeded',
): StageRecord<DeployState> {
  return stageRecord<DeployState>({
    kind: 'deploy',
    environment: name,
    status,
    state: githubDeploymentId === undefined ? {} : { githubDeploymentId },
  });
}

/**
 * What a step did through its context and the fakes, in call order: `fence`, `log`,
 * `checkpoint`, and each provider call as `<provider>.<method>`.
 */
export class StepJournal {
  readonly calls: string[] = [];
  readonly logs: Array<{ level: LogLevel; message: string }> = [];
  readonly checkpoints: object[] = [];

  record(call: string): void {
    this.calls.push(call);
  }

  /** Times `call` was made. */
  count(call: string): number {
    return this.calls.filter(c => c === call).length;
  }

  /** Fences before the first `call` (undefined when it was never made). */
  fencesBefore(call: string): number | undefined {
    const index = this.calls.indexOf(call);
    if (index < 0) return undefined;
    return this.calls.slice(0, index).filter(c => c === 'fence').length;
  }

  /** Calls of `effects` not made right after a fence: each must be (empty when all were). */
  unfenced(effects: readonly string[]): string[] {
    return this.calls.filter(
      (call, index) =>
        effects.includes(call) && this.calls[index - 1] !== 'fence',
    );
  }

  /** Log lines as `level: message`. */
  get lines(): string[] {
    return this.logs.map(l => `${l.level}: ${l.message}`);
  }
}

export interface StageContextOptions<TState extends object> {
  /** The stage under test. */
  kind: string;
  name?: string;
  environment?: string;
  status?: StageStatus;
  /** Its state so far (default: empty, a first step). */
  state?: TState;
  /** When it started (default: `NOW`, a first step). */
  startedAt?: Date;
  /** The time of the step (default: `NOW`). */
  now?: Date;
  /** Stages of the run before it, in order. */
  before?: StageRecord[];
  /** Stages of the run after it, in order. */
  after?: StageRecord[];
  input?: Partial<DeploymentRunInput>;
  /** Why the run is compensating (set on a run whose rollback stage runs). */
  reason?: string;
  outcome?: string;
  service?: DeliveryEntity;
  /** The fence call (1-based) at which the lease is lost: it and every later call throw. */
  loseLeaseAtFence?: number;
  /** Consecutive steps of the stage that threw before this one. */
  errors?: number;
}

/**
 * The context of one step of a deployment stage. Like the engine's, `log` and `checkpoint` throw
 * a `LeaseLostError` once the lease is lost, and `checkpoint` updates `ctx.stage.state`.
 */
export function deploymentStageContext<TState extends object>(
  journal: StepJournal,
  options: StageContextOptions<TState>,
): DeploymentStageContext<TState> {
  const input: DeploymentRunInput = { ...INPUT, ...options.input };
  const stage: StageRecord<TState> = stageRecord<TState>({
    kind: options.kind,
    name: options.name,
    environment: options.environment,
    status: options.status ?? 'running',
    state: options.state ?? ({} as TState),
    startedAt: options.startedAt ?? NOW,
  });
  stage.errors = options.errors ?? 0;
  const stages: StageRecord[] = [
    ...(options.before ?? []),
    stage,
    ...(options.after ?? []),
  ].map((s, position) => Object.assign(s, { position, runId: input.token }));
  const run: RunRecord<DeploymentRunInput> = {
    id: input.token,
    kind: DEPLOYMENT_RUN_KIND,
    subject: input.entityRef,
    input,
    status: 'running',
    ...(options.outcome ? { outcome: options.outcome } : {}),
    ...(options.reason ? { reason: options.reason } : {}),
    currentStage: stage.position,
    createdAt: new Date(NOW.getTime() - 3_600_000),
  };
  const controller = new AbortController();
  let fences = 0;
  const held = () => {
    if (controller.signal.aborted) throw new LeaseLostError(run.id);
  };
  return {
    run,
    stage,
    stages,
    target: { service: options.service ?? deliveryEntity() },
    now: options.now ?? NOW,
    signal: controller.signal,
    async log(level, message) {
      held();
      journal.record('log');
      journal.logs.push({ level, message });
    },
    async checkpoint(state) {
      held();
      journal.record('checkpoint');
      journal.checkpoints.push(structuredClone(state));
      stage.state = state;
    },
    async fence() {
      fences++;
      journal.record('fence');
      if (options.loseLeaseAtFence !== undefined) {
        if (fences >= options.loseLeaseAtFence) {
          controller.abort(new LeaseLostError(run.id));
        }
      }
      held();
    },
  };
}
