import { createContext, ReactNode, useContext, useMemo } from 'react';
import {
  CompoundEntityRef,
  Entity,
  getCompoundEntityRef,
} from '@backstage/catalog-model';
import {
  DecisionRecord,
  EnvironmentsResponse,
  Incident,
  Rollback,
} from '@internal/plugin-delivery-common';
import { SharedRead } from './DeliveryContext';
import { useCurrentUser } from './useCurrentUser';
import { useEnvironments } from './useDelivery';
import {
  RollbackPermissions,
  useRollbackPermissions,
} from './useRollbackPermissions';
import {
  EnvironmentHealth,
  useHealth,
  useIncidents,
  useRollbackDecisions,
  useRollbackList,
  useRollbackSignal,
} from './useRollbacks';

/** A shared read that a card may repeat at once (its Retry button). */
export type RetryableRead<T> = SharedRead<T> & { retry: () => void };

/**
 * What the Rollback tab knows once and every card and dialog may read: the service, who is
 * looking, whether they may roll back, the environments (pipeline order) with their health and
 * the engine's recommendation, the rollbacks (the running one first of all), the incidents and
 * the decisions.
 */
export interface RollbackContextValue {
  entity: Entity;
  entityRef: CompoundEntityRef;
  /** Entity ref of the signed-in user; undefined while it loads. */
  user?: string;
  permissions: RollbackPermissions;
  /** The service in each environment, in pipeline order. */
  environments: RetryableRead<EnvironmentsResponse>;
  /** The health of each environment by name; an environment's own error when its read failed. */
  health: RetryableRead<Record<string, EnvironmentHealth>>;
  rollbacks: RetryableRead<Rollback[]>;
  incidents: RetryableRead<Incident[]>;
  decisions: RetryableRead<DecisionRecord[]>;
  /** The rollback running now, if any (the backend runs one at a time per service). */
  running?: Rollback;
  /** Reads everything again, e.g. after a rollback was started. */
  refresh: () => void;
}

/** Carries the {@link RollbackContextValue}; {@link RollbackProvider} fills it. */
export const RollbackContext = createContext<RollbackContextValue | undefined>(
  undefined,
);

function shared<T>(state: {
  value?: T;
  loading: boolean;
  error?: Error;
  retry: () => void;
}): RetryableRead<T> {
  return {
    value: state.value,
    loading: state.loading,
    error: state.error,
    retry: state.retry,
  };
}

/** Reads everything the Rollback tab shares, once, live through the rollback signal. */
export function useRollbackState(entity: Entity): RollbackContextValue {
  const signal = useRollbackSignal(entity);
  const environmentsRead = useEnvironments(entity, signal);
  const names = environmentsRead.value?.environments.map(e => e.environment);
  const healthRead = useHealth(entity, names, signal);
  const rollbacksRead = useRollbackList(entity, signal);
  const incidentsRead = useIncidents(entity, signal);
  const decisionsRead = useRollbackDecisions(entity, signal);
  const user = useCurrentUser();
  const permissions = useRollbackPermissions(entity);
  const entityRef = useMemo(() => getCompoundEntityRef(entity), [entity]);

  const environments = shared(environmentsRead);
  const health = shared(healthRead);
  const rollbacks = shared(rollbacksRead);
  const incidents = shared(incidentsRead);
  const decisions = shared(decisionsRead);
  const running = rollbacks.value?.find(r => r.status === 'running');
  const { retry: retryEnvironments } = environmentsRead;
  const { retry: retryHealth } = healthRead;
  const { retry: retryRollbacks } = rollbacksRead;
  const { retry: retryIncidents } = incidentsRead;
  const { retry: retryDecisions } = decisionsRead;
  const refresh = useMemo(
    () => () => {
      retryEnvironments();
      retryHealth();
      retryRollbacks();
      retryIncidents();
      retryDecisions();
    },
    [
      retryEnvironments,
      retryHealth,
      retryRollbacks,
      retryIncidents,
      retryDecisions,
    ],
  );

  return {
    entity,
    entityRef,
    user,
    permissions,
    environments,
    health,
    rollbacks,
    incidents,
    decisions,
    running,
    refresh,
  };
}

/** Provides the service's rollback state to the cards below it. */
export function RollbackProvider({
  entity,
  children,
}: {
  entity: Entity;
  children: ReactNode;
}) {
  const value = useRollbackState(entity);
  return (
    <RollbackContext.Provider value={value}>
      {children}
    </RollbackContext.Provider>
  );
}

/** The rollback state of the service on the page; only inside a {@link RollbackProvider}. */
export function useRollbackContext(): RollbackContextValue {
  const value = useContext(RollbackContext);
  if (!value) {
    throw new Error(
      'useRollbackContext must be used inside a RollbackProvider (the Rollback tab provides one)',
    );
  }
  return value;
}
