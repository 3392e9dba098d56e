import {
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ANNOTATION_GITHUB_PROJECT_SLUG,
  DoraEvent,
} from '@internal/plugin-delivery-common';
import { DeploymentStore } from '../database/DeploymentStore';
import { RunStore } from '../engine/RunStore';
import { GitHubProvider } from '../providers/github';
import {
  DatabaseRollbackStore,
  IncidentRecord,
} from '../rollback/DatabaseRollbackStore';
import { DatabaseDoraStore } from './DatabaseDoraStore';

/** How a finished portal deployment counts; cancelled and expired ones never tried. */
const DEPLOYMENT_STATUS: Partial<Record<string, 'success' | 'failure'>> = {
  succeeded: 'success',
  failed: 'failure',
  rolled_back: 'failure',
};

/** How far back the catch-up looks for what the hooks missed (a crash, GitHub down). */
const CATCH_UP_MS = 7 * 86_400_000;

/**
 * The portal's own DORA source: its deployments (with the commits each brought since the
 * previous production version, from GitHub's compare) and the incidents its rollbacks open and
 * resolve, turned into DORA events for the one ingestion path. Called when a deployment or a
 * rollback finishes; a periodic catch-up ingests anything a hook missed (ingestion is idempotent).
 */
export class PortalDoraIngestion {
  constructor(
    private readonly deps: {
      store: DatabaseDoraStore;
      deployments: DeploymentStore;
      runs: RunStore;
      rollbacks: DatabaseRollbackStore;
      github: GitHubProvider;
      catalog: CatalogService;
      credentials: () => Promise<BackstageCredentials>;
      /** The pipeline's last environment. */
      productionEnvironment: string;
      logger: LoggerService;
    },
  ) {}

  /** Ingests a finished portal deployment; logs instead of throwing (the catch-up retries). */
  async deploymentFinished(token: string): Promise<void> {
    try {
      await this.#deployment(token);
    } catch (error) {
      this.deps.logger.warn(
        `DORA: could not ingest deployment ${token} yet (the catch-up retries): ${error}`,
      );
    }
  }

  /** Ingests an incident's current state (opened, or resolved). */
  async incidentChanged(incident: IncidentRecord): Promise<void> {
    try {
      await this.#incident(incident);
    } catch (error) {
      this.deps.logger.warn(
        `DORA: could not ingest incident ${incident.id} yet (the catch-up retries): ${error}`,
      );
    }
  }

  /** Ingests what finished in the last week and is not stored yet. */
  async catchUp(now: Date = new Date()): Promise<number> {
    const since = new Date(now.getTime() - CATCH_UP_MS);
    let ingested = 0;
    const entityRefs = await this.deps.deployments.listWatched({
      finishedAfter: since,
    });
    for (const entityRef of entityRefs) {
      const history = await this.deps.deployments.listHistory({
        entityRef,
        limit: 200,
      });
      const recent = history.filter(d => d.finishedAt && d.finishedAt >= since);
      const stored = await this.deps.store.stored(
        recent.map(d => sourceIdOf(d.token)),
      );
      // Oldest first, so each finds the production version before it.
      for (const d of recent.reverse()) {
        if (stored.has(sourceIdOf(d.token))) continue;
        if (await this.#deployment(d.token).catch(() => false)) ingested++;
      }
    }
    for (const incident of await this.deps.rollbacks.listIncidentsSince({
      since,
    })) {
      if (await this.#incident(incident).catch(() => false)) ingested++;
    }
    return ingested;
  }

  async #deployment(token: string): Promise<boolean> {
    const { store, deployments, runs } = this.deps;
    const sourceId = sourceIdOf(token);
    if (await store.has(sourceId)) return false;
    const d = await deployments.getDeployment({ token });
    if (!d?.finishedAt) return false;
    const status = DEPLOYMENT_STATUS[d.status];
    // Cancelled and expired requests never tried to deploy.
    if (!status) return false;
    const stages = await runs.listStages({ runIds: [token] });
    const production = stages.some(
      s =>
        s.kind === 'deploy' &&
        s.environment === this.deps.productionEnvironment &&
        s.status === 'succeeded',
    );
    const at = d.finishedAt.getTime();
    let commits: Array<{ sha: string; committedAt: number }> | undefined;
    if (production && status === 'success') {
      const slug = await this.#slug(d.entityRef);
      const previous = await store.lastProductionSha(d.entityRef, at);
      if (slug && previous !== d.commitSha) {
        commits = await this.deps.github
          .commitsBetween(slug, previous, d.commitSha)
          .catch(async error => {
            // History rewritten, or the previous version is of another branch: the commit alone.
            if (previous && (error as Error).name === 'NotFoundError') {
              return this.deps.github.commitsBetween(
                slug,
                undefined,
                d.commitSha,
              );
            }
            throw error;
          });
      } else {
        commits = [];
      }
    }
    const event: DoraEvent = {
      type: 'deployment',
      sourceId,
      source: 'portal',
      entityRef: d.entityRef,
      sha: d.commitSha,
      at,
      status,
      production,
      token,
      ...(commits ? { commits } : {}),
    };
    return store.ingest(event);
  }

  async #incident(incident: IncidentRecord): Promise<boolean> {
    const { store } = this.deps;
    const resolved = incident.resolvedAt?.getTime();
    const sourceId = `portal:incident:${incident.id}:${
      resolved === undefined ? 'opened' : 'resolved'
    }`;
    if (await store.has(sourceId)) return false;
    const startedAt = incident.startedAt.getTime();
    // Without the deployment it stopped, an incident in production is the running version's.
    const sha =
      !incident.deploymentToken &&
      incident.environment === this.deps.productionEnvironment
        ? await store.lastProductionSha(incident.entityRef, startedAt + 1)
        : undefined;
    return store.ingest({
      type: 'incident',
      sourceId,
      source: 'portal',
      entityRef: incident.entityRef,
      incidentId: `portal:${incident.id}`,
      title: incident.reason,
      startedAt,
      ...(resolved === undefined ? {} : { resolvedAt: resolved }),
      ...(incident.deploymentToken ? { token: incident.deploymentToken } : {}),
      ...(sha ? { sha } : {}),
    });
  }

  async #slug(entityRef: string): Promise<string | undefined> {
    const entity = await this.deps.catalog.getEntityByRef(entityRef, {
      credentials: await this.deps.credentials(),
    });
    return entity?.metadata.annotations?.[ANNOTATION_GITHUB_PROJECT_SLUG];
  }
}

function sourceIdOf(token: string) {
  return `portal:deployment:${token}`;
}
