import { StagePlan } from '../engine';
import { errorRateLowerBound } from '@internal/plugin-delivery-common';

/** What shapes a service's pipeline. */
export interface PlanOptions {
  /** Environments in pipeline order; the last one is production. */
  environments: string[];
  /** Environments that wait for an approval before they are touched. */
  approvalGates: string[];
  /** Environment after whose verification the Jenkins stage runs, when the service has a job. */
  jenkinsEnvironment?: string;
  /**
   * When the change ships behind flags: the shares of users they are turned on for, step by
   * step, in each environment after it verified (and after its Jenkins build).
   */
  flagSteps?: Record<string, number[]>;
}

/**
 * The stages of a run: validate, then per environment backup → deploy → rollout → verify
 * (production behind a second validation, any environment behind an optional approval gate,
 * Jenkins after its environment's verification, then the change's flags turned on step by step,
 * each step watched like a verification), then mark stable. Rollback stages are added only when
 * something fails.
 */
export function planStages(options: PlanOptions): StagePlan[] {
  const stages: StagePlan[] = [{ name: 'validate', kind: 'validate' }];
  options.environments.forEach((environment, index) => {
    const last = index === options.environments.length - 1;
    if (last && index > 0) {
      // Blocking issues may have been opened and CI may have turned red since the start.
      stages.push({
        name: `${environment}.validate`,
        kind: 'validate',
        environment,
      });
    }
    if (options.approvalGates.includes(environment)) {
      stages.push({
        name: `${environment}.approval`,
        kind: 'approval',
        environment,
      });
    }
    stages.push(
      { name: `${environment}.backup`, kind: 'backup', environment },
      { name: `${environment}.deploy`, kind: 'deploy', environment },
      { name: `${environment}.rollout`, kind: 'rollout', environment },
      { name: `${environment}.verify`, kind: 'verify', environment },
    );
    if (options.jenkinsEnvironment === environment) {
      stages.push({
        name: `${environment}.jenkins`,
        kind: 'jenkins',
        environment,
      });
    }
    for (const percent of options.flagSteps?.[environment] ?? []) {
      stages.push({
        name: `${environment}.flags-${percent}`,
        kind: 'flags',
        environment,
      });
    }
  });
  stages.push({ name: 'mark-stable', kind: 'mark-stable' });
  return stages;
}

/** The image template used when neither the service nor config names one. */
export const DEFAULT_IMAGE_TEMPLATE = '{{repository}}:{{sha}}';

const PLACEHOLDER = /\{\{\s*(\w+)\s*\}\}/g;

/**
 * Why an image template cannot be used, or undefined. It must carry the full commit sha: a
 * 7-character tag can be shadowed by another build whose sha shares the prefix.
 */
export function imageTemplateProblem(template: string): string | undefined {
  const names = [...template.matchAll(PLACEHOLDER)].map(m => m[1]);
  const unknown = names.filter(n => n !== 'repository' && n !== 'sha');
  if (unknown.length > 0) {
    return `Image template ${template} uses unknown placeholders ${unknown
      .map(n => `{{${n}}}`)
      .join(', ')}; it may use {{repository}} and {{sha}}`;
  }
  if (!names.includes('sha')) {
    return `Image template ${template} does not contain {{sha}}: images are tagged with the full commit sha, so that no other build can shadow them`;
  }
  return undefined;
}

/**
 * The image to deploy for a commit: the template with `{{repository}}` (the running image's,
 * without tag or digest) and `{{sha}}` (the full commit sha) filled in.
 */
export function imageForCommit(
  runningImage: string,
  commitSha: string,
  template: string = DEFAULT_IMAGE_TEMPLATE,
): string {
  const withoutDigest = runningImage.split('@')[0];
  const lastSlash = withoutDigest.lastIndexOf('/');
  const lastColon = withoutDigest.lastIndexOf(':');
  const repository =
    lastColon > lastSlash ? withoutDigest.slice(0, lastColon) : withoutDigest;
  return template.replace(PLACEHOLDER, (_, name: string) =>
    name === 'repository' ? repository : commitSha,
  );
}

/**
 * Judges one health sample against the thresholds; undefined when healthy or without data.
 * Given the number of requests behind it, the error rate breaches only when it is above the
 * threshold beyond chance (the lower bound of its 95 % interval): 2 failures in 120 requests of a
 * healthy version are not a reason to roll back, 16 in 200 are.
 */
export function healthBreach(
  sample: { errorRate?: number; p95Seconds?: number },
  thresholds: { errorRate: number; p95Seconds: number },
  requests?: number,
): string | undefined {
  const problems: string[] = [];
  if (
    sample.errorRate !== undefined &&
    sample.errorRate > thresholds.errorRate &&
    (requests === undefined ||
      errorRateLowerBound(sample.errorRate, requests) > thresholds.errorRate)
  ) {
    problems.push(
      `error rate ${(sample.errorRate * 100).toFixed(2)}% above ${(
        thresholds.errorRate * 100
      ).toFixed(2)}%`,
    );
  }
  if (
    sample.p95Seconds !== undefined &&
    sample.p95Seconds > thresholds.p95Seconds
  ) {
    problems.push(
      `p95 latency ${sample.p95Seconds.toFixed(2)} s above ${
        thresholds.p95Seconds
      } s`,
    );
  }
  return problems.length > 0 ? problems.join(' and ') : undefined;
}
