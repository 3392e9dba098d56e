import {
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import { EnvironmentConfig } from '../config';
import { DeploymentStore } from '../database/DeploymentStore';
import { EntityResolver } from '../services/EntityResolver';
import { DatabaseDecisionStore } from './DatabaseDecisionStore';
import { DatabaseRollbackStore, RollbackLevel } from './DatabaseRollbackStore';
import { Analysis, HealthAnalysisService } from './HealthAnalysisService';
import { RollbackService, UnprocessableRollback } from './RollbackService';
import { SYSTEM_ACTOR } from '../deployments/stages/rollback';

/** The level the automation starts for each action it takes on its own. */
const LEVEL_OF: Partial<Record<string, RollbackLevel>> = {
  'flag-off': 1,
  'stable-rollback': 2,
  reroute: 3,
  escalate: 6,
};

/** A repeated decision is stored again only after this long (a held one is re-announced). */
const REPEAT_MS = 5 * 60_000;

/**
 * The automation: every analysis interval, for each service a deployment is verifying or
 * finished lately, it analyses each watched environment, stores each decision that is not
 * "healthy", and acts on it: a rollback at the decided level (the queue locks, an incident
 * opens); a decision to hold is told to the on-call group for a person to judge. Runs on one
 * replica at a time; the database refuses a second running rollback of a service anyway.
 */
export class RollbackAutomation {
  constructor(
    private readonly deps: {
      deployments: Pick<DeploymentStore, 'listWatched'>;
      entities: EntityResolver;
      credentials: () => Promise<BackstageCredentials>;
      analysis: HealthAnalysisService;
      rollbacks: RollbackService;
      store: Pick<DatabaseRollbackStore, 'running'>;
      decisions: DatabaseDecisionStore;
      environments: EnvironmentConfig[];
      watchAfterDeployMs: number;
      /** Tells the on-call group a person must judge (a held decision). */
      ask(entityRef: string, analysis: Analysis): Promise<void>;
      logger: LoggerService;
      now?: () => Date;
    },
  ) {}

  /** One round; returns the rollbacks it started. */
  async tick(): Promise<string[]> {
    const now = this.deps.now?.() ?? new Date();
    const refs = await this.deps.deployments.listWatched({
      finishedAfter: new Date(now.getTime() - this.deps.watchAfterDeployMs),
    });
    const started: string[] = [];
    for (const ref of refs) {
      try {
        const id = await this.#service(ref, now);
        if (id) started.push(id);
      } catch (error) {
        this.deps.logger.warn(
          `Rollback automation could not analyse ${ref}: ${error}`,
        );
      }
    }
    return started;
  }

  async #service(ref: string, now: Date): Promise<string | undefined> {
    const service = await this.deps.entities.resolve(
      parseEntityRef(ref),
      await this.deps.credentials(),
    );
    // Its deployments, read once for every environment of this round.
    const recent = await this.deps.analysis.recent(service);
    for (const env of this.deps.environments) {
      if (await this.deps.store.running({ entityRef: ref })) return undefined;
      const watch = await this.deps.analysis.watch(service, env.name, recent);
      if (!watch.active) continue;
      const analysis = await this.deps.analysis.analyze(service, env.name, {
        recent,
        ...(watch.since ? { since: watch.since } : {}),
      });
      const { decision } = analysis;
      if (decision.action === 'none') continue;
      const level = LEVEL_OF[decision.action];
      const [last] = await this.deps.decisions.list({
        entityRef: ref,
        environment: env.name,
        limit: 1,
      });
      const repeated =
        last &&
        last.decision.action === decision.action &&
        now.getTime() - last.decidedAt.getTime() < REPEAT_MS;
      if (!level && repeated) continue;
      const record = await this.deps.decisions.record({
        entityRef: ref,
        environment: env.name,
        decidedAt: now,
        decidedBy: SYSTEM_ACTOR,
        decision,
        inputs: {
          figures: analysis.figures,
          flags: analysis.flags,
          history: analysis.history,
          thresholds: this.deps.analysis.thresholds,
          windowSeconds: analysis.window.seconds,
        },
      });
      if (!level) {
        await this.deps.ask(ref, analysis);
        continue;
      }
      const reason = `Automated (${watch.why}): ${decision.reasons.join('; ')}`;
      try {
        const rollback = await this.deps.rollbacks.start(
          service,
          {
            environment: env.name,
            level,
            reason,
            ...(decision.action === 'flag-off'
              ? { flags: decision.flags }
              : {}),
          },
          { type: 'automation', decisionId: record.id, detectedAt: now },
          analysis,
        );
        this.deps.logger.warn(
          `Rollback automation started ${rollback.id} (level ${level}) of ${ref} in ${env.name}: ${reason}`,
        );
        return rollback.id;
      } catch (error) {
        if (!(error instanceof UnprocessableRollback)) throw error;
        // The level cannot be planned (no stable version, no backup): a person must act.
        const rollback = await this.deps.rollbacks.start(
          service,
          {
            environment: env.name,
            level: 6,
            reason: `${reason}; level ${level} is not possible: ${error.message}`,
          },
          { type: 'automation', decisionId: record.id, detectedAt: now },
          analysis,
        );
        return rollback.id;
      }
    }
    return undefined;
  }
}
