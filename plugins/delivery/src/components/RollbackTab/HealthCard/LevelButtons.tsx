import { useState } from 'react';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import StarIcon from '@material-ui/icons/Star';
import { Rollback, RollbackLevel } from '@internal/plugin-delivery-common';
import { DangerButton } from '../../FlagsTab/shared';
import { RollbackDialog } from '../RollbackDialog';
import {
  flagsOn,
  LEVEL_TITLE,
  LevelSituation,
  levelBlocker,
  ROLLBACK_LEVELS,
} from '../shared';

function buttonText(level: RollbackLevel, situation: LevelSituation) {
  if (level === 1) {
    const flags = flagsOn(situation.health[situation.environment]);
    if (flags.length > 0) return `1 · Turn off ${flags.join(', ')}`;
  }
  if (level === 2) return '2 · Roll back to stable, canary first';
  return `${level} · ${LEVEL_TITLE[level]}`;
}

/**
 * One button per rollback level in an environment, the recommended one filled and starred;
 * a button that cannot be used says why. Each opens the confirmation.
 */
export function LevelButtons({
  situation,
  recommended,
  onStarted,
}: {
  situation: LevelSituation;
  recommended?: RollbackLevel;
  onStarted: (rollback: Rollback) => void;
}) {
  const [opened, setOpened] = useState<RollbackLevel>();
  const { environment } = situation;
  // What blocks every level (permission, a running rollback) is said once in words too.
  const common = ROLLBACK_LEVELS.map(l => levelBlocker(l, situation)).reduce<
    string | undefined
  >((same, b, i) => (i === 0 || same === b ? b : undefined), undefined);
  return (
    <Box>
      <Typography variant="subtitle2" gutterBottom>
        Roll back {environment}
      </Typography>
      <Box
        display="flex"
        flexWrap="wrap"
        style={{ gap: 8 }}
        role="group"
        aria-label={`Rollback levels in ${environment}`}
      >
        {ROLLBACK_LEVELS.map(level => {
          const isRecommended = level === recommended;
          return (
            <DangerButton
              key={level}
              variant={isRecommended ? 'contained' : 'outlined'}
              startIcon={isRecommended ? <StarIcon /> : undefined}
              disabledReason={levelBlocker(level, situation)}
              data-recommended={isRecommended ? 'true' : undefined}
              onClick={() => setOpened(level)}
            >
              {buttonText(level, situation)}
              {isRecommended ? ' (recommended)' : ''}
            </DangerButton>
          );
        })}
      </Box>
      {common && (
        <Typography
          variant="caption"
          color="textSecondary"
          data-testid={`levels-blocker-${environment}`}
        >
          {common}
        </Typography>
      )}
      {opened !== undefined && (
        <RollbackDialog
          level={opened}
          situation={situation}
          onClose={() => setOpened(undefined)}
          onStarted={rollback => {
            setOpened(undefined);
            onStarted(rollback);
          }}
        />
      )}
    </Box>
  );
}
