import { createContext, ReactNode, useContext, useMemo } from 'react';
import {
  CompoundEntityRef,
  Entity,
  getCompoundEntityRef,
} from '@backstage/catalog-model';
import { EphemeralEnvironmentsResponse } from '@internal/plugin-delivery-common';
import { RetryableRead } from './RollbackContext';
import { useCurrentUser } from './useCurrentUser';
import {
  EphemeralPermissions,
  useEphemeralPermissions,
} from './useEphemeralPermissions';
import {
  useEphemeralEnvironments,
  useEphemeralSignal,
} from './useEphemeralEnvironments';

/**
 * What the Environments tab knows once and every part of it may read: the service, who is
 * looking, what they may do, and the service's ephemeral environments with their settings.
 */
export interface EphemeralContextValue {
  entity: Entity;
  entityRef: CompoundEntityRef;
  /** Entity ref of the signed-in user; undefined while it loads. */
  user?: string;
  permissions: EphemeralPermissions;
  /** Live ones first (newest first), then the last deleted ones; and the settings. */
  environments: RetryableRead<EphemeralEnvironmentsResponse>;
  /** Reads the environments again, e.g. after an action. */
  refresh: () => void;
}

/** Carries the {@link EphemeralContextValue}; {@link EphemeralProvider} fills it. */
export const EphemeralContext = createContext<
  EphemeralContextValue | undefined
>(undefined);

/** Reads everything the Environments tab shares, once, live through the signal. */
export function useEphemeralState(entity: Entity): EphemeralContextValue {
  const signal = useEphemeralSignal(entity);
  const { value, loading, error, retry } = useEphemeralEnvironments(
    entity,
    signal,
  );
  const user = useCurrentUser();
  const permissions = useEphemeralPermissions(entity);
  const entityRef = useMemo(() => getCompoundEntityRef(entity), [entity]);
  return useMemo(
    () => ({
      entity,
      entityRef,
      user,
      permissions,
      environments: { value, loading, error, retry },
      refresh: retry,
    }),
    [entity, entityRef, user, permissions, value, loading, error, retry],
  );
}

/** Provides the service's ephemeral environments to the parts of the tab below it. */
export function EphemeralProvider({
  entity,
  children,
}: {
  entity: Entity;
  children: ReactNode;
}) {
  const value = useEphemeralState(entity);
  return (
    <EphemeralContext.Provider value={value}>
      {children}
    </EphemeralContext.Provider>
  );
}

/** The ephemeral environments of the service on the page; only inside an {@link EphemeralProvider}. */
export function useEphemeralContext(): EphemeralContextValue {
  const value = useContext(EphemeralContext);
  if (!value) {
    throw new Error(
      'useEphemeralContext must be used inside an EphemeralProvider (the Environments tab provides one)',
    );
  }
  return value;
}
