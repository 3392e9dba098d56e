import { DeploymentStore } from '../database/DeploymentStore';
import { RunStore } from '../engine';

/**
 * Applies `delivery.retention`: logs of runs finished longer ago than `logsMs` go, and runs,
 * deployments, rollbacks, the rollback engine's decisions and ephemeral environments deleted
 * longer ago than `runsMs` go entirely.
 * Nothing unfinished is touched; incidents stay (DORA counts them).
 */
export async function pruneDelivery(options: {
  runs: Pick<RunStore, 'prune'>;
  deployments: Pick<DeploymentStore, 'prune'>;
  rollbacks?: { pruneRollbacks(o: { before: Date }): Promise<number> };
  decisions?: { prune(o: { before: Date }): Promise<number> };
  environments?: { pruneDeleted(o: { before: Date }): Promise<number> };
  retention: { logsMs: number; runsMs: number };
  now: Date;
}): Promise<{
  logs: number;
  runs: number;
  deployments: number;
  rollbacks: number;
  decisions: number;
  environments: number;
}> {
  const { retention, now } = options;
  const runsBefore = new Date(now.getTime() - retention.runsMs);
  const pruned = await options.runs.prune({
    logsBefore: new Date(now.getTime() - retention.logsMs),
    runsBefore,
  });
  const deployments = await options.deployments.prune({ before: runsBefore });
  const rollbacks =
    (await options.rollbacks?.pruneRollbacks({ before: runsBefore })) ?? 0;
  const decisions =
    (await options.decisions?.prune({ before: runsBefore })) ?? 0;
  const environments =
    (await options.environments?.pruneDeleted({ before: runsBefore })) ?? 0;
  return {
    logs: pruned.logs,
    runs: pruned.runs.length,
    deployments,
    rollbacks,
    decisions,
    environments,
  };
}
