import { ReactNode } from 'react';
import Box from '@material-ui/core/Box';
import Step from '@material-ui/core/Step';
import StepContent from '@material-ui/core/StepContent';
import StepLabel from '@material-ui/core/StepLabel';
import Stepper from '@material-ui/core/Stepper';
import Typography from '@material-ui/core/Typography';
import { DeploymentStage } from '@internal/plugin-delivery-common';
import { formatTime, formatUser } from '../shared';
import { groupStages, stageLabel } from './stages';
import { StageIcon } from './StageIcon';
import { StageLogs } from './StageLogs';

function StageCaption({ stage }: { stage: DeploymentStage }) {
  const parts: string[] = [stage.status];
  if (stage.startedAt) parts.push(`started ${formatTime(stage.startedAt)}`);
  if (stage.finishedAt) parts.push(`finished ${formatTime(stage.finishedAt)}`);
  if (stage.actor) parts.push(`by ${formatUser(stage.actor)}`);
  return (
    <Typography variant="caption" color="textSecondary">
      {parts.join(' · ')}
    </Typography>
  );
}

/**
 * The pipeline's stages, grouped by environment, with status icons, times, actor and
 * expandable logs. `action` renders extra controls for a stage (the Approve button).
 */
export function DeploymentStepper({
  stages,
  action,
}: {
  stages: DeploymentStage[];
  action?: (stage: DeploymentStage) => ReactNode;
}) {
  if (stages.length === 0) {
    return (
      <Typography variant="body2" color="textSecondary">
        The pipeline has not started yet.
      </Typography>
    );
  }
  return (
    <>
      {groupStages(stages).map(group => (
        <Box
          key={`${group.environment}-${group.stages[0].position}`}
          role="group"
          aria-label={`${group.environment} stages`}
        >
          <Typography variant="overline">{group.environment}</Typography>
          <Stepper orientation="vertical" nonLinear style={{ padding: 8 }}>
            {group.stages.map(stage => (
              <Step
                key={stage.name}
                expanded
                active={
                  stage.status === 'running' || stage.status === 'waiting'
                }
                completed={stage.status === 'succeeded'}
              >
                <StepLabel
                  error={stage.status === 'failed'}
                  icon={<StageIcon status={stage.status} />}
                  optional={<StageCaption stage={stage} />}
                >
                  {stageLabel(stage)}
                </StepLabel>
                <StepContent>
                  {action?.(stage)}
                  <StageLogs stage={stage} />
                </StepContent>
              </Step>
            ))}
          </Stepper>
        </Box>
      ))}
    </>
  );
}
