import { DeploymentStore } from '../database/DeploymentStore';
import { RunStore } from '../engine';

/**
 * Applies `delivery.retention`: logs of runs finished longer ago than `logsMs` go, and runs and
 * deployments finished longer ago than `runsMs` go entirely. Nothing unfinished is touched.
 */
export async function pruneDelivery(options: {
  runs: Pick<RunStore, 'prune'>;
  deployments: Pick<DeploymentStore, 'prune'>;
  retention: { logsMs: number; runsMs: number };
  now: Date;
}): Promise<{ logs: number; runs: number; deployments: number }> {
  const { retention, now } = options;
  const runsBefore = new Date(now.getTime() - retention.runsMs);
  const pruned = await options.runs.prune({
    logsBefore: new Date(now.getTime() - retention.logsMs),
    runsBefore,
  });
  const deployments = await options.deployments.prune({ before: runsBefore });
  return { logs: pruned.logs, runs: pruned.runs.length, deployments };
}
