import { NotFoundError } from '@backstage/errors';
import {
  ANNOTATION_FLAG_ENDPOINTS,
  Decision,
  DecisionHistory,
  DecisionThresholds,
  DEFAULT_DECISION_THRESHOLDS,
  FlagOfChange,
  HealthFigures,
  HealthResponse,
  HealthSeriesPoint,
  decideRollback,
  parseFlagEndpoints,
} from '@internal/plugin-delivery-common';
import {
  AnalysisSample,
  MetricsProvider,
} from '@internal/plugin-delivery-node';
import { EnvironmentConfig } from '../config';
import { DeploymentRecord } from '../database/DeploymentStore';
import { KubernetesProvider, Workload } from '../providers/kubernetes';
import { DeliveryEntity } from '../services/EntityResolver';
import { DatabaseRollbackStore } from './DatabaseRollbackStore';

/** What an analysis found in one environment, before it is stored or served. */
export interface Analysis {
  environment: string;
  cluster: string;
  namespace: string;
  workload?: Workload;
  window: { from: Date; to: Date; seconds: number };
  figures: HealthFigures;
  flags: FlagOfChange[];
  history: DecisionHistory;
  decision: Decision;
  /** The deployment that put the running version there, when the portal deployed it. */
  deployment?: DeploymentRecord;
}

/** A service's running deployment and its newest finished ones, read once per analysis. */
export interface RecentDeployments {
  running?: DeploymentRecord;
  /** Newest first. */
  history: DeploymentRecord[];
}

/** Where the automation watches, and until when. */
export interface Watch {
  active: boolean;
  until?: Date;
  why: string;
  /** A deployment running a verify or flag step in the environment. */
  verifying?: DeploymentRecord;
  /** When that step began: the analysis covers only the time since (the change's own traffic). */
  since?: Date;
}

export interface HealthAnalysisOptions {
  metrics?: MetricsProvider;
  kubernetes: KubernetesProvider;
  environments: EnvironmentConfig[];
  rollbacks: Pick<DatabaseRollbackStore, 'listRollbacks'>;
  /** The service's deployments, newest first (running ones included). */
  deployments: {
    listQueue(o: { entityRef: string }): Promise<DeploymentRecord[]>;
    listHistory(o: {
      entityRef: string;
      limit: number;
    }): Promise<DeploymentRecord[]>;
  };
  /** The stage a running deployment is at (kind and environment). */
  currentStage(
    token: string,
  ): Promise<
    { kind: string; environment?: string; startedAt?: Date } | undefined
  >;
  /** Where a stable-version rollback (level 2) and a restore (levels 3 and 5) would return. */
  targets?(
    service: DeliveryEntity,
    environment: string,
    running: string | undefined,
  ): Promise<{
    stable?: { commitSha: string };
    backup?: { commitSha: string };
  }>;
  /** Whether each of a service's flags is on in an environment. */
  flagsOn(
    entityRef: string,
    environment: string,
  ): Promise<Map<string, boolean>>;
  thresholds: Partial<DecisionThresholds>;
  windowSeconds: number;
  baselineSeconds: number;
  /** How long after a deployment succeeded the automation keeps watching. */
  watchAfterDeployMs: number;
  automation: boolean;
  now?: () => Date;
}

/**
 * The health analysis: gathers a service's figures in one environment (from the metrics
 * provider, and the cluster for whether it is up), the flags of the newest change with the
 * endpoints their code serves, and what happened lately; asks the decision engine; and says
 * whether the automation watches there.
 */
export class HealthAnalysisService {
  constructor(private readonly options: HealthAnalysisOptions) {}

  #now() {
    return this.options.now?.() ?? new Date();
  }

  get thresholds(): DecisionThresholds {
    return { ...DEFAULT_DECISION_THRESHOLDS, ...this.options.thresholds };
  }

  environment(name: string): EnvironmentConfig {
    const env = this.options.environments.find(e => e.name === name);
    if (!env) {
      throw new NotFoundError(
        `No environment '${name}'; delivery.environments lists ${this.options.environments
          .map(e => `'${e.name}'`)
          .join(', ')}`,
      );
    }
    return env;
  }

  /** The service's running deployment and its last 20 finished ones. */
  async recent(service: DeliveryEntity): Promise<RecentDeployments> {
    const [queue, history] = await Promise.all([
      this.options.deployments.listQueue({ entityRef: service.entityRef }),
      this.options.deployments.listHistory({
        entityRef: service.entityRef,
        limit: 20,
      }),
    ]);
    const running = queue.find(d => d.status === 'running');
    return { ...(running ? { running } : {}), history };
  }

  /**
   * Analyses the service in an environment over the configured window, or over the time
   * `since` when it is shorter (at least a second). `recent` saves reading the deployments again.
   */
  async analyze(
    service: DeliveryEntity,
    environment: string,
    options?: { since?: Date; recent?: RecentDeployments },
  ): Promise<Analysis> {
    const env = this.environment(environment);
    const { kubernetes, metrics } = this.options;
    const namespace = service.kubernetesNamespace ?? env.namespace;
    const now = this.#now();
    const windowSeconds = options?.since
      ? Math.max(
          1,
          Math.min(
            this.options.windowSeconds,
            Math.floor((now.getTime() - options.since.getTime()) / 1000),
          ),
        )
      : this.options.windowSeconds;
    const workload = await kubernetes.findWorkload({
      cluster: env.cluster,
      namespace,
      kubernetesId: service.kubernetesId,
    });
    const target = workload && {
      environment,
      cluster: env.cluster,
      namespace,
      workload: workload.name,
      entityRef: service.entityRef,
      windowSeconds,
    };
    const sampled = async (): Promise<AnalysisSample | undefined> => {
      if (!target || !metrics) return undefined;
      if (metrics.analyze) {
        return metrics.analyze({
          ...target,
          baselineSeconds: this.options.baselineSeconds,
        });
      }
      return { ...(await metrics.health(target)), endpoints: [] };
    };
    const [sample, deployment] = await Promise.all([
      sampled(),
      this.#deploymentOf(options?.recent ?? this.recent(service), workload),
    ]);
    const history = await this.#history(service, environment, deployment);
    const ready = (workload?.replicas.ready ?? 0) > 0;
    const figures: HealthFigures = {
      up: sample?.up ?? ready,
      endpoints: sample?.endpoints ?? [],
      ...(sample?.errorRate !== undefined
        ? { errorRate: sample.errorRate }
        : {}),
      ...(sample
        ? {
            requests:
              sample.requests ??
              Math.round(sample.requestsPerSecond * windowSeconds),
          }
        : {}),
      ...(sample?.p95Seconds !== undefined
        ? { p95Seconds: sample.p95Seconds }
        : {}),
      ...(sample?.business ? { business: sample.business } : {}),
      ...(sample?.cpu !== undefined ? { cpu: sample.cpu } : {}),
      ...(sample?.memory !== undefined ? { memory: sample.memory } : {}),
      ...(sample?.restartsPerMinute !== undefined
        ? { restartsPerMinute: sample.restartsPerMinute }
        : {}),
    };
    const flags = await this.#flagsOfChange(service, environment, deployment);
    const decision = workload
      ? decideRollback({
          figures,
          flags,
          history,
          now,
          thresholds: this.options.thresholds,
        })
      : ({
          level: 0,
          action: 'none',
          severity: 'info',
          reasons: [
            `no Deployment labelled backstage.io/kubernetes-id=${service.kubernetesId} in ${env.cluster}/${namespace}`,
          ],
        } as Decision);
    return {
      environment,
      cluster: env.cluster,
      namespace,
      ...(workload ? { workload } : {}),
      window: {
        from: new Date(now.getTime() - windowSeconds * 1000),
        to: now,
        seconds: windowSeconds,
      },
      figures,
      flags,
      history,
      decision,
      ...(deployment ? { deployment } : {}),
    };
  }

  /** The last hour's error rate and latency, a point a minute (empty when the metrics cannot). */
  async series(
    service: DeliveryEntity,
    analysis: Analysis,
  ): Promise<HealthSeriesPoint[]> {
    const { metrics } = this.options;
    if (!metrics?.series || !analysis.workload) return [];
    return metrics.series(
      {
        environment: analysis.environment,
        cluster: analysis.cluster,
        namespace: analysis.namespace,
        workload: analysis.workload.name,
        entityRef: service.entityRef,
        windowSeconds: 60,
      },
      { rangeSeconds: 3600, stepSeconds: 60 },
    );
  }

  /**
   * Whether the automation acts in an environment now: while a deployment verifies there (a
   * verify or flag step), and for a while after a deployment succeeded.
   */
  async watch(
    service: DeliveryEntity,
    environment: string,
    recent?: RecentDeployments,
  ): Promise<Watch> {
    if (!this.options.automation) {
      return {
        active: false,
        why: 'automation is off (delivery.rollback.automation.enabled: false)',
      };
    }
    const { running, history } = recent ?? (await this.recent(service));
    if (running) {
      const stage = await this.options.currentStage(running.token);
      if (
        stage &&
        (stage.kind === 'verify' || stage.kind === 'flags') &&
        stage.environment === environment
      ) {
        return {
          active: true,
          why: `${running.token} is verifying ${environment}`,
          verifying: running,
          ...(stage.startedAt ? { since: stage.startedAt } : {}),
        };
      }
    }
    const [last] = history;
    if (last?.status === 'succeeded' && last.finishedAt) {
      const until = new Date(
        last.finishedAt.getTime() + this.options.watchAfterDeployMs,
      );
      if (until > this.#now()) {
        return {
          active: true,
          until,
          why: `watching ${Math.round(
            this.options.watchAfterDeployMs / 60_000,
          )} minutes after ${last.token} reached production`,
        };
      }
    }
    return {
      active: false,
      why: running
        ? `${running.token} is not verifying ${environment} now`
        : 'no deployment is verifying, and none finished in the last minutes',
    };
  }

  /** The whole health answer of the API. */
  async health(
    service: DeliveryEntity,
    environment: string,
  ): Promise<HealthResponse> {
    const recent = await this.recent(service);
    const analysis = await this.analyze(service, environment, { recent });
    const [series, watch, targets] = await Promise.all([
      this.series(service, analysis).catch(() => []),
      this.watch(service, environment, recent),
      this.options
        .targets?.(service, environment, analysis.workload?.version?.commitSha)
        .catch(() => undefined),
    ]);
    // A stable-version rollback needs the workload; a backup is shown either way.
    const stable = analysis.workload ? targets?.stable : undefined;
    const backup = targets?.backup;
    const version = analysis.workload?.version?.commitSha;
    return {
      entityRef: service.entityRef,
      environment,
      cluster: analysis.cluster,
      namespace: analysis.namespace,
      ...(analysis.workload ? { workload: analysis.workload.name } : {}),
      ...(version ? { version } : {}),
      ...(stable?.commitSha ? { stableVersion: stable.commitSha } : {}),
      ...(backup?.commitSha ? { backupVersion: backup.commitSha } : {}),
      window: {
        from: analysis.window.from.toISOString(),
        to: analysis.window.to.toISOString(),
        seconds: analysis.window.seconds,
      },
      figures: analysis.figures,
      flags: analysis.flags,
      decision: analysis.decision,
      thresholds: { ...this.thresholds },
      series,
      automation: {
        active: watch.active,
        why: watch.why,
        ...(watch.until ? { until: watch.until.toISOString() } : {}),
      },
    };
  }

  /** The deployment that put the running version there (the newest of that commit). */
  async #deploymentOf(
    recent: RecentDeployments | Promise<RecentDeployments>,
    workload: Workload | undefined,
  ): Promise<DeploymentRecord | undefined> {
    const sha = workload?.version?.commitSha;
    if (!sha) return undefined;
    const { running, history } = await recent;
    return [...(running ? [running] : []), ...history].find(
      d => d.commitSha === sha,
    );
  }

  /** The newest change's flags, whether each is on here, and the endpoints their code serves. */
  async #flagsOfChange(
    service: DeliveryEntity,
    environment: string,
    deployment: DeploymentRecord | undefined,
  ): Promise<FlagOfChange[]> {
    const keys = deployment?.flags ?? [];
    if (keys.length === 0) return [];
    const on = await this.options.flagsOn(service.entityRef, environment);
    const endpoints = parseFlagEndpoints(
      service.entity.metadata.annotations?.[ANNOTATION_FLAG_ENDPOINTS],
    );
    return keys.map(key => ({
      key,
      on: on.get(key) ?? false,
      endpoints: endpoints.get(key) ?? [],
    }));
  }

  /**
   * What happened lately: a failed rollback not followed by a good one; the last automated act
   * on the running change.
   */
  async #history(
    service: DeliveryEntity,
    environment: string,
    deployment: DeploymentRecord | undefined,
  ): Promise<DecisionHistory> {
    const recent = await this.options.rollbacks.listRollbacks({
      entityRef: service.entityRef,
      limit: 10,
    });
    const here = recent.filter(r => r.environment === environment);
    // An action before the running version was deployed was about another change: a breach of
    // this one is a first breach, not a second.
    const lastAutomated = here.find(
      r =>
        r.automated &&
        !(deployment?.startedAt && deployment.startedAt > r.createdAt),
    );
    return {
      ...(here[0]?.status === 'failed' ? { rollbackFailed: true } : {}),
      ...(lastAutomated ? { lastActionAt: lastAutomated.createdAt } : {}),
    };
  }
}
