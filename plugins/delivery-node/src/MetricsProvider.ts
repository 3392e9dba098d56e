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
export interface MetricsProvider {
  /** Health over the provider's recent window; throws an UpstreamError when unreachable. */
  health(target: HealthTarget): Promise<HealthSample>;
}
