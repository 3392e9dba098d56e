import { DeploymentStage, StageKind } from '@internal/plugin-delivery-common';
import { LogRecord, StageRecord } from '../engine';

/** A run's stages as the API shows them (deployments and rollbacks alike), with their logs. */
export function stagesToApi(
  stages: StageRecord[],
  logs: LogRecord[],
): DeploymentStage[] {
  const iso = (d: Date) => d.toISOString();
  return stages.map(stage => ({
    position: stage.position,
    name: stage.name,
    kind: stage.kind as StageKind,
    ...(stage.environment ? { environment: stage.environment } : {}),
    status: stage.status,
    ...(stage.startedAt ? { startedAt: iso(stage.startedAt) } : {}),
    ...(stage.finishedAt ? { finishedAt: iso(stage.finishedAt) } : {}),
    ...(stage.actor ? { actor: stage.actor } : {}),
    logs: logs
      .filter(l => l.runId === stage.runId && l.position === stage.position)
      .map(l => ({
        at: l.at.toISOString(),
        level: l.level,
        message: l.message,
      })),
  }));
}
