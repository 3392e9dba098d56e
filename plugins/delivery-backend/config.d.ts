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
    };
    /**
     * How long one call to a cluster or to GitHub may take before the request fails with 503.
     * Defaults to 10 seconds.
     */
    requestTimeout?: HumanDuration | string;
    /** How many commits of the default branch the commits route returns. Defaults to 20. */
    commitLimit?: number;
  };
}
