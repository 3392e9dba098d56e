import { DeploymentStage, StageKind } from '@internal/plugin-delivery-common';

/** How each kind of stage reads in the stepper. */
export const STAGE_LABEL: Record<StageKind, string> = {
  validate: 'Validate',
  backup: 'Back up running version',
  deploy: 'Deploy',
  rollout: 'Wait for rollout',
  verify: 'Verify health',
  approval: 'Approval',
  jenkins: 'Jenkins build',
  rollback: 'Roll back',
  'mark-stable': 'Mark stable',
  flags: 'Turn flags on',
  'flags-off': 'Turn flags off',
  'stable-rollback': 'Return to the stable version',
  reroute: 'Reroute traffic away',
  restore: 'Restore the backup',
  escalate: 'Escalate to on-call',
  build: 'Build the branch',
  namespace: 'Prepare the namespace',
  workload: 'Deploy the build',
  'copy-flags': 'Copy flags from UAT',
  announce: 'Announce',
};

/** How a stage reads in the stepper: a flag step names its share of users (`canary.flags-10`). */
export function stageLabel(stage: Pick<DeploymentStage, 'kind' | 'name'>) {
  const label = STAGE_LABEL[stage.kind] ?? stage.kind;
  const percent = /\.flags-(\d+)$/.exec(stage.name)?.[1];
  return stage.kind === 'flags' && percent
    ? `${label} for ${percent} %`
    : label;
}

/** A run of consecutive stages on one environment (or on none: `pipeline`). */
export interface StageGroup {
  environment: string;
  stages: DeploymentStage[];
}

/** Stages in pipeline order, grouped where consecutive stages act on the same environment. */
export function groupStages(stages: DeploymentStage[]): StageGroup[] {
  const groups: StageGroup[] = [];
  for (const stage of [...stages].sort((a, b) => a.position - b.position)) {
    const environment = stage.environment ?? 'pipeline';
    const last = groups[groups.length - 1];
    if (last && last.environment === environment) {
      last.stages.push(stage);
    } else {
      groups.push({ environment, stages: [stage] });
    }
  }
  return groups;
}
