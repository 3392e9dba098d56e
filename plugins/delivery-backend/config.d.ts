import { HumanDuration } from '@backstage/types';

export interface Config {
  /** Configuration of the delivery plugins. */
  delivery?: {
    /**
     * The environments a service is delivered through, in pipeline order. Each names a cluster
     * from `kubernetes.clusterLocatorMethods` (type `config`). Defaults to uat, canary and
     * production on clusters of the same names.
     */
    environments?: Array<{
      /** Environment name shown to users, e.g. `production`. */
      name: string;
      /** Cluster name as configured under `kubernetes.clusterLocatorMethods[].clusters[].name`. */
      cluster: string;
      /**
       * Namespace used when the entity has no `backstage.io/kubernetes-namespace` annotation.
       * Defaults to `default`.
       */
      namespace?: string;
    }>;
    github?: {
      /**
       * Host of the `integrations.github` entry to use for services' repositories (the
       * `github.com/project-slug` annotation names no host). Defaults to `github.com`.
       */
      host?: string;
      /**
       * How GitHub answers are kept, in Backstage's cache (`backend.cache`: use Redis, Valkey or
       * Memcache so replicas share it and it survives restarts; the memory store is per
       * process). Reads are conditional requests with the kept `ETag`: GitHub answers
       * `304 Not Modified`, which does not count against its rate limit, when nothing changed.
       */
      cache?: {
        /** How long answers and their entity tags are kept. Defaults to 1 day. */
        ttl?: HumanDuration | string;
        /**
         * How long settled facts of a commit (every CI check finished; on the default branch)
         * are reused without asking GitHub at all. A re-run of a finished check is seen after
         * at most this long. Defaults to 5 minutes; 0 always asks (with `If-None-Match`).
         */
        settledFor?: HumanDuration | string;
      };
      /**
       * How often each user may ask for the eligibility of commits (each asks GitHub up to
       * three times per commit, on the organisation's shared rate limit): a token bucket per
       * user of `requests`, refilled at `requests` per `per`, kept in the plugin's database so
       * all replicas share it. Beyond it the route answers 429 with `Retry-After`.
       */
      eligibilityRateLimit?: {
        /** Requests per `per`, and the burst allowed. Defaults to 30. */
        requests?: number;
        /** Defaults to 1 minute. */
        per?: HumanDuration | string;
      };
    };
    /**
     * How long one call to a cluster or to GitHub may take before the request fails with 503.
     * Defaults to 10 seconds.
     */
    requestTimeout?: HumanDuration | string;
    /** How many commits of the default branch the commits route returns. Defaults to 20. */
    commitLimit?: number;
    /** Where verification stages read workload health (error rate, p95 latency) from. */
    metrics?: {
      /** `prometheus` (its HTTP API) or `sandbox` (the sandbox's simulated traffic). */
      provider: 'prometheus' | 'sandbox';
      /** Window each health sample covers (the range of rate()). Defaults to 1 minute. */
      window?: HumanDuration | string;
      /**
       * Window of the business metric's baseline, which ends where the analysis window starts.
       * Defaults to 1 hour.
       */
      baseline?: HumanDuration | string;
      prometheus?: {
        /** Base URL of the Prometheus HTTP API, e.g. `http://prometheus:9090`. */
        baseUrl: string;
        /**
         * PromQL for the share of 5xx answers (0..1). Placeholders: `{{cluster}}`,
         * `{{namespace}}`, `{{workload}}`, `{{environment}}`, `{{entityRef}}`, `{{version}}` and
         * `{{window}}`. Defaults to a query over `http_requests_total{cluster,namespace,deployment,code}`.
         */
        errorRateQuery?: string;
        /**
         * PromQL for the 95th percentile latency in seconds, same placeholders. Defaults to
         * `histogram_quantile` over `http_request_duration_seconds_bucket`.
         */
        p95Query?: string;
        /** PromQL for requests per second, same placeholders. */
        requestRateQuery?: string;
        /**
         * The label that names the endpoint (route template) in the per-endpoint queries and
         * their results. Defaults to `handler`.
         */
        endpointLabel?: string;
        /**
         * PromQL of the rollback analysis, same placeholders; each defaults to a query over the
         * standard metric names (see the plugin's README, "Health analysis queries").
         */
        queries?: {
          /**
           * Requests counted over the window, one series per endpoint (labelled with
           * `endpointLabel`). Default: `sum by (handler) (increase(http_requests_total{...}[{{window}}]))`.
           */
          endpointRequests?: string;
          /** 5xx requests counted over the window, one series per endpoint. */
          endpointErrors?: string;
          /**
           * Ready pods of the workload (the health endpoint answers above 0). Default: the sum of
           * kube-state-metrics' `kube_deployment_status_replicas_available`.
           */
          up?: string;
          /** CPU use as a share of the limit (0..1), the busiest pod. Default: cAdvisor over kube-state-metrics. */
          cpu?: string;
          /** Memory working set as a share of the limit (0..1), the fullest pod. */
          memory?: string;
          /** Container restarts per minute across the workload's pods. */
          restarts?: string;
          /**
           * The business metric (e.g. order completion rate); no default, so none is read unless
           * set. Its baseline is the same query with `{{window}}` = `delivery.metrics.baseline`,
           * evaluated where the analysis window starts.
           */
          business?: string;
        };
      };
      sandbox?: {
        /** Base URL of the sandbox's simulated traffic, e.g. `http://127.0.0.1:7014`. */
        baseUrl: string;
      };
    };
    /** The Jenkins that runs the jobs named by `jenkins.io/job-full-name` annotations. */
    jenkins?: {
      /** Jenkins root URL, e.g. `https://jenkins.example.com`. */
      baseUrl: string;
      /** User the builds are triggered as. */
      username: string;
      /**
       * That user's API token (basic auth).
       * @visibility secret
       */
      apiToken: string;
      /**
       * Who may trigger which jobs: a service's Jenkins job (`jenkins.io/job-full-name`) must sit
       * in one of these folders (the most specific wins) and the service's owner must be among
       * its owners; otherwise deployments are refused before anything runs. Catalog annotations
       * alone prove nothing, since anyone may register a Component.
       */
      jobOwners?: Array<{
        /** Folder path (or full job name), e.g. `acme/inventory-service`. */
        folder: string;
        /** Entity refs of the owning groups or users, e.g. `group:default/team-inventory`. */
        owners: string[];
      }>;
      /**
       * Names of the build parameters the pipeline sends. The token parameter (with the
       * environment) also finds a build again, so a replica that died after triggering never
       * starts a second one. Defaults are the process's names.
       */
      parameters?: {
        /** Carries the deployment token. Defaults to `DEPLOYMENT_TOKEN`. */
        token?: string;
        /** Carries the full commit sha. Defaults to `GIT_COMMIT_SHA`. */
        commitSha?: string;
        /** Carries the environment the job runs after, e.g. `uat`. Defaults to `TARGET_ENV`. */
        environment?: string;
      };
    };
    /**
     * PagerDuty, which pages a person through its Events API v2 when something needs one now
     * (critical alerts: a rollback that cannot finish, the application down, error rate over
     * 5 %, p95 over 5 s, a business metric down by half). Without `routingKey` nothing is sent
     * to PagerDuty.
     */
    pagerduty?: {
      /**
       * Root of the Events API; events go to `<baseUrl>/v2/enqueue`. Defaults to
       * `https://events.pagerduty.com` (EU accounts: `https://events.eu.pagerduty.com`).
       */
      baseUrl?: string;
      /**
       * The integration key (32 letters and digits) of an Events API v2 integration on the
       * PagerDuty service to page. It is the only credential the Events API asks for.
       * @visibility secret
       */
      routingKey?: string;
      /**
       * How long one call to PagerDuty may take before it fails with 503. Defaults to
       * `delivery.requestTimeout` (10 seconds).
       */
      timeout?: HumanDuration | string;
    };
    /**
     * Rollback: the health analysis, the decision engine's thresholds (the process's values by
     * default) and the automation.
     */
    rollback?: {
      automation?: {
        /**
         * Whether the engine acts on its own while a deployment verifies an environment and for
         * `watchAfterDeploy` after one succeeded. Defaults to true.
         */
        enabled?: boolean;
      };
      /** How often the automation analyses watched services. Defaults to 10 seconds. */
      analysisInterval?: HumanDuration | string;
      /** How long after a deployment succeeded the automation watches. Defaults to 10 minutes. */
      watchAfterDeploy?: HumanDuration | string;
      /** Baseline window of the business metric. Defaults to 1 hour. */
      baseline?: HumanDuration | string;
      /** Thresholds of the decision engine. */
      thresholds?: {
        /** Error rate that triggers a rollback, 0..1. Defaults to 0.01. */
        errorRate?: number;
        /** Share of the errors on the change's endpoints that makes it a flag-off. Defaults to 0.8. */
        concentration?: number;
        /** p95 latency in seconds. Defaults to 2. */
        p95Seconds?: number;
        /** CPU use of the limit, 0..1. Defaults to 0.8. */
        cpu?: number;
        /** Memory use of the limit, 0..1. Defaults to 0.85. */
        memory?: number;
        /** Pod restarts per minute. Defaults to 5. */
        restartsPerMinute?: number;
        /** Drop of the business metric against its baseline, 0..1. Defaults to 0.2. */
        businessDrop?: number;
        /** A breach this soon after an automated action escalates. Defaults to 10 minutes. */
        secondBreachWindow?: HumanDuration | string;
      };
    };
    /**
     * How long finished deployments and other runs are kept. A task (one replica at a time)
     * prunes every hour.
     */
    retention?: {
      /** Logs of finished runs. Defaults to 90 days. */
      logs?: HumanDuration | string;
      /**
       * Finished runs with their stages, and finished deployments with their approvals. At
       * least `logs`. Defaults to 400 days, so DORA can look back a year.
       */
      runs?: HumanDuration | string;
    };
    eligibility?: {
      /**
       * Branches a deployed commit may come from, e.g. `['{default}', develop, release]`;
       * `{default}` is the repository's default branch. Defaults to `['{default}']` (the
       * process allows main, develop and release; trunk-based teams keep just the default).
       */
      branches?: string[];
    };
    images?: {
      /**
       * The image a commit is deployed as, one artifact promoted through every environment.
       * `{{sha}}` is the full commit sha (required: a 7-character tag can be shadowed by another
       * build), `{{repository}}` the repository of the image running in the first environment.
       * A service's `delivery.backstage.io/image` annotation overrides it. Defaults to
       * `{{repository}}:{{sha}}`.
       */
      template?: string;
    };
    /** Label of GitHub issues that block deployments while open. Defaults to `deploy-blocker`. */
    blockingLabel?: string;
    queue?: {
      /** How long a called deployment waits to be started before it expires. Defaults to 15 minutes. */
      callTimeout?: HumanDuration | string;
    };
    pipeline?: {
      /** How often each backend replica advances due pipeline runs. Defaults to 2 seconds. */
      tick?: HumanDuration | string;
      /** How long a rollout may take before the stage fails. Defaults to 10 minutes. */
      rolloutTimeout?: HumanDuration | string;
      /**
       * Whether production (the last environment) waits for an approval by someone other than
       * the requester. Same as listing it in `approvals`.
       */
      productionApproval?: boolean;
      /**
       * Environments that wait, before they are touched, for an approval by someone other than
       * the requester (the process's two-person rule), e.g. `[canary, production]`. Each gate
       * fails the deployment after `approvalTimeout`.
       */
      approvals?: string[];
      /** Health thresholds of the verification stages. */
      thresholds?: {
        /** Highest acceptable share of failed requests, 0..1. Defaults to 0.01. */
        errorRate?: number;
        /** Highest acceptable p95 latency in seconds. Defaults to 2. */
        p95Seconds?: number;
      };
      /** Unhealthy samples in a row that fail a verification. Defaults to 2. */
      consecutiveBreaches?: number;
      /**
       * Health verification per environment (keys are the names in `delivery.environments`;
       * an unknown name is a start-up error). Samples count only with traffic answered by the
       * new version, taken after its rollout finished; no data is never healthy.
       */
      verification?: {
        [environment: string]: {
          /**
           * How long the new version is watched. Defaults by position, never by name: the last
           * environment (production) 10 minutes, every earlier one 5 minutes.
           */
          window?: HumanDuration | string;
          /** Time between samples. Defaults to 10 seconds. */
          interval?: HumanDuration | string;
          /** Samples with traffic of the new version needed to pass. Defaults to 3. */
          minSamples?: number;
          /**
           * How long past the window sampling goes on while there are fewer samples with traffic
           * than `minSamples`; then the verification fails for lack of evidence. Defaults to the
           * window.
           */
          evidenceTimeout?: HumanDuration | string;
        };
      };
      /**
       * Lets environments "verify" by waiting out the window when no metrics provider is
       * configured (`delivery.metrics`). Off by default: without one, verification fails.
       */
      verifyWithoutMetrics?: boolean;
      /** How often rollouts, approvals and Jenkins builds are polled. Defaults to 2 seconds. */
      pollInterval?: HumanDuration | string;
      /**
       * How long a replica holds a run while it takes one step. A replica that dies holding it
       * delays the run by at most this much; it must be longer than any single step (a few calls,
       * each bounded by requestTimeout). Defaults to 60 seconds.
       */
      lease?: HumanDuration | string;
      /**
       * How long the production approval gate waits for someone other than the requester before
       * the deployment fails (nothing waits for ever on one person). Defaults to 4 hours.
       */
      approvalTimeout?: HumanDuration | string;
      /** How long a Jenkins build may take. Defaults to 30 minutes. */
      jenkinsTimeout?: HumanDuration | string;
      /** Environment after whose verification the Jenkins stage runs. Defaults to the first. */
      jenkinsEnvironment?: string;
    };
    /**
     * Entity refs of the portal's admins (groups or users), e.g. `group:default/platform`.
     * The demo's permission policy lets only them register or remove catalog locations: what a
     * Component claims (owner, workload, Jenkins job) is only as trustworthy as who registered it.
     */
    admins?: string[];
    /**
     * Entity refs of groups or users who may also register catalog locations (removing them
     * stays with the admins): the scaffolder's `catalog:register` registers a new service's
     * `catalog-info.yaml` as the person running the template, so who may create services from
     * templates must be listed here (or be an admin). Their registrations are as trustworthy as
     * they are: list the teams you trust to claim workloads.
     */
    serviceCreators?: string[];
    onCall?: {
      /**
       * Entity ref of the group that is paged (Backstage notifications, severity critical, and
       * the chat webhook) when something needs a person now, e.g. a rollback that cannot finish.
       * Example: `group:default/oncall`. Without it, those alerts go to the chat webhook and the
       * log only. Its members may also abort any deployment, with a reason.
       * @visibility frontend
       */
      group?: string;
    };
    chat?: {
      /**
       * Slack-compatible incoming webhook URL that hears about called, finished, failed and
       * expired deployments.
       * @visibility secret
       */
      webhookUrl?: string;
    };
    /** Feature flags: who must approve, how applications read them, how deployments turn them on. */
    flags?: {
      /**
       * Environments where a flag change that turns anything on waits for a second person (never
       * its requester), for every service; a service may ask for more with the annotation
       * `delivery.backstage.io/flag-approval: production`. Turning off never waits.
       */
      approvalRequired?: string[];
      sync?: {
        /**
         * Bearer token of flagd's HTTP sync source `GET /api/delivery/flagd/{environment}`
         * (flagd's `authHeader: "Bearer <token>"`). Without it that source refuses everyone.
         * @visibility secret
         */
        token?: string;
        grpc?: {
          /** Serve flagd's gRPC sync (`flagd.sync.v1.FlagSyncService`). Defaults to true. */
          enabled?: boolean;
          /** Its port (0: any free one). Defaults to 8015. */
          port?: number;
          /** The address it listens on. Defaults to 0.0.0.0. */
          host?: string;
        };
        /**
         * How often each backend replica reads the environments' flag revisions, so that changes
         * made on another replica reach its streams. Defaults to 250 ms.
         */
        pollInterval?: HumanDuration | string;
      };
      rollout?: {
        /**
         * Shares of users (whole percentages, rising, ending at 100) a deployment's flags are
         * turned on for, one stage each, in every environment after the first (which turns them
         * on for everyone). Each step is watched like the environment's verification. Defaults
         * to [10, 50, 100].
         */
        steps?: number[];
      };
      /**
       * Boolean flags created at start when their service does not have them yet (the demo's,
       * or a platform's bootstrap flags); existing flags are never changed. `rollout` gives the
       * share of users each environment starts with (0 where absent).
       */
      initial?: Array<{
        /** Entity ref or component name, e.g. `payments-api`. */
        service: string;
        key: string;
        description?: string;
        change?: string;
        rollout?: { [environment: string]: number };
      }>;
    };
    /**
     * Ephemeral environments of `deploy/*` branches: a namespace per branch with a quota, a
     * limit range and deny-by-default network policies, running the service's workload copied
     * from `copyFrom` with the branch's image, until it expires.
     */
    ephemeral?: {
      /** Defaults to true. */
      enabled?: boolean;
      /** The cluster their namespaces live in. Defaults to copyFrom's cluster. */
      cluster?: string;
      /** The environment whose workload, Services and flags they start from. Defaults to the first (UAT). */
      copyFrom?: string;
      /** Lifetime at creation. Defaults to 3 hours. */
      ttl?: HumanDuration | string;
      /** The longest one lives from its creation, extensions included. Defaults to 24 hours. */
      maxLifetime?: HumanDuration | string;
      /** Extensions offered in the tab, in minutes. Defaults to [60, 180, 480]. */
      extensionMinutes?: number[];
      /** How often expired ones are deleted. Defaults to 30 minutes. */
      sweepInterval?: HumanDuration | string;
      /** How long before expiry the creator is reminded. Defaults to 1 hour. */
      reminderBefore?: HumanDuration | string;
      /** The ResourceQuota's `spec.hard`. Defaults to 2 CPU / 4Gi requested, 4 CPU / 8Gi limits, 10 pods, 5 services. */
      quota?: { [resource: string]: string };
      /** The LimitRange's Container defaults and maximums. */
      limitRange?: {
        default?: { [resource: string]: string };
        defaultRequest?: { [resource: string]: string };
        max?: { [resource: string]: string };
      };
      networkPolicy?: {
        /** Who may reach the pods: the ingress controller. Defaults to ingress-nginx's labels. */
        ingressFrom?: {
          namespaceLabels?: { [key: string]: string };
          podLabels?: { [key: string]: string };
        };
        /** Where the pods may connect besides DNS and each other. */
        egress?: Array<{
          namespace?: string;
          podLabels?: { [key: string]: string };
          cidr?: string;
          ports?: number[];
        }>;
      };
      /** Replicas of the copied workload. Defaults to 1. */
      replicas?: number;
      /** Link to the app: {{namespace}}, {{service}}, {{cluster}} and {{branch}} are replaced. */
      appUrlTemplate?: string;
      /** Link to a monitoring dashboard, with the same placeholders. */
      dashboardUrlTemplate?: string;
      jenkins?: {
        /** The build parameter carrying the branch. Defaults to BRANCH. */
        branchParameter?: string;
      };
      /** How long the branch's build may take. Defaults to 30 minutes. */
      buildTimeout?: HumanDuration | string;
    };
    /** DORA metrics. */
    dora?: {
      /** GitHub webhooks (`push`, `deployment_status`, `issues` labelled `incident`). */
      github?: {
        /**
         * The secret GitHub signs webhook deliveries with (`X-Hub-Signature-256`); deliveries to
         * `/api/events/http/github` without a valid signature are refused with 401, and all of
         * them are while it is unset.
         * @visibility secret
         */
        webhookSecret?: string;
      };
      /** GitHub deployment environments that count as production. Defaults to ['production']. */
      productionEnvironments?: string[];
      /** Tier boundaries (DORA 2024 by default): the value for elite, high and medium. */
      tiers?: {
        /** Deployments per service per day, at least. Defaults to 1, 1/7, 1/30. */
        deploymentsPerDay?: { elite?: number; high?: number; medium?: number };
        /** Median lead time, at most. Defaults to 1 day, 7 days, 30 days. */
        leadTime?: {
          elite?: HumanDuration | string;
          high?: HumanDuration | string;
          medium?: HumanDuration | string;
        };
        /** Change failure rate (0..1), at most. Defaults to 0.05, 0.1, 0.2. */
        changeFailureRate?: { elite?: number; high?: number; medium?: number };
        /** Median recovery time, at most. Defaults to 1 hour, 1 day, 7 days. */
        recoveryTime?: {
          elite?: HumanDuration | string;
          high?: HumanDuration | string;
          medium?: HumanDuration | string;
        };
      };
      /** The process's targets. */
      targets?: {
        /** Successful production deployments per day per team, at least. Defaults to 5. */
        deploymentsPerDayPerTeam?: number;
        /** Median lead time, below. Defaults to 2 hours. */
        leadTime?: HumanDuration | string;
        /** Change failure rate (0..1), below. Defaults to 0.05. */
        changeFailureRate?: number;
        /** Median recovery time, below. Defaults to 5 minutes. */
        recoveryTime?: HumanDuration | string;
        /** Deployment success rate (0..1), at least. Defaults to 0.95. */
        successRate?: number;
      };
    };
  };
}
