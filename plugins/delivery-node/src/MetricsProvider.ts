/** The workload whose health is asked for. */
export interface HealthTarget {
  /** Environment name (uat, canary, production). */
  environment: string;
  /** Cluster name from the Kubernetes configuration. */
  cluster: string;
  namespace: string;
  /** Name of the Kubernetes Deployment. */
  workload: string;
  /** Catalog entity ref of the service. */
  entityRef: string;
  /**
   * Only count requests answered by this version (commit sha or image tag), when the metrics
   * system can tell versions apart (sandbox: yes; Prometheus: when the queries use
   * `{{version}}`).
   */
  version?: string;
  /** Length of the window, overriding the provider's configured window. */
  windowSeconds?: number;
}

/** Health of a workload over a recent window. */
export interface HealthSample {
  /** Share of requests that failed (5xx), 0..1; undefined when there was no traffic. */
  errorRate?: number;
  /** 95th percentile latency in seconds; undefined when there was no traffic. */
  p95Seconds?: number;
  /** Requests per second over the window. */
  requestsPerSecond: number;
  /** When the sample was taken (ISO). */
  sampledAt: string;
}

/**
 * Reads the health of workloads from a metrics system. Implementations: Prometheus (PromQL
 * templates from config) and the sandbox's simulated traffic.
 */
export interface MetricsProvider extends Partial<HealthAnalysisProvider> {
  /** Health over the provider's recent window; throws an UpstreamError when unreachable. */
  health(target: HealthTarget): Promise<HealthSample>;
}

/** Requests and failed (5xx) requests of one endpoint over a window. */
export interface EndpointSample {
  /** The endpoint as the metrics name it (a route template such as `/payments/:id`). */
  endpoint: string;
  requests: number;
  errors: number;
}

/** The workload whose health is analysed: a {@link HealthTarget} and the baseline to compare with. */
export interface AnalysisTarget extends HealthTarget {
  /**
   * Length of the baseline window of the business metric, which ends where the analysis window
   * starts (default: the provider's, one hour).
   */
  baselineSeconds?: number;
}

/**
 * Every figure the rollback decision engine reads, over the analysis window. A figure the
 * metrics system does not have (no such series, no query configured) is left undefined.
 */
export interface AnalysisSample extends HealthSample {
  /** Requests counted in the window. */
  requests?: number;
  /** Whether the service's health endpoint answers: some of its pods are ready. */
  up?: boolean;
  /** Requests and errors per endpoint; empty when the metrics do not tell endpoints apart. */
  endpoints: EndpointSample[];
  /** The business metric (e.g. order completion rate) in the window and over its baseline. */
  business?: { value: number; baseline: number };
  /** CPU use as a share of the pods' CPU limits, 0..1 (the busiest pod). */
  cpu?: number;
  /** Memory use as a share of the pods' memory limits, 0..1 (the fullest pod). */
  memory?: number;
  /** Container restarts per minute across the workload's pods. */
  restartsPerMinute?: number;
}

/** One point of a health chart. */
export interface SeriesPoint {
  /** ISO time the point stands for (the end of its step). */
  at: string;
  errorRate?: number;
  p95Seconds?: number;
  requestsPerSecond?: number;
}

/**
 * Reads the figures of a rollback decision and the charts on-call looks at. Implemented by the
 * built-in providers (Prometheus, sandbox traffic).
 */
export interface HealthAnalysisProvider {
  /** Every figure of the analysis window; throws an UpstreamError when unreachable. */
  analyze(target: AnalysisTarget): Promise<AnalysisSample>;
  /** Error rate, p95 latency and request rate over the last `rangeSeconds`, one point a step. */
  series(
    target: HealthTarget,
    options: { rangeSeconds: number; stepSeconds: number },
  ): Promise<SeriesPoint[]>;
}
