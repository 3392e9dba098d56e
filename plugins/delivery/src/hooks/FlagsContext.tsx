import { createContext, ReactNode, useContext, useMemo, useState } from 'react';
import {
  CompoundEntityRef,
  Entity,
  getCompoundEntityRef,
} from '@backstage/catalog-model';
import { FlagsResponse } from '@internal/plugin-delivery-common';
import { SharedRead } from './DeliveryContext';
import { useCurrentUser } from './useCurrentUser';
import { FlagPermissions, useFlagPermissions } from './useFlagPermissions';
import { useFlags } from './useFlags';

/**
 * What the Flags tab knows once and every card and dialog may read: the service, who is
 * looking, what they may do, the live flags with their pending changes, and how to read them
 * again.
 */
export interface FlagsContextValue {
  /** The service on the page. */
  entity: Entity;
  /** Its kind, namespace and name, as the delivery API takes them. */
  entityRef: CompoundEntityRef;
  /** Entity ref of the signed-in user; undefined while it loads. */
  user?: string;
  /** The user's flag permissions on the service. */
  permissions: FlagPermissions;
  /** The flags, environments (pipeline order), approval rules and pending changes. */
  flags: SharedRead<FlagsResponse>;
  /** Whether archived flags are listed too. */
  showArchived: boolean;
  setShowArchived: (show: boolean) => void;
  /** Reads the flags again, e.g. after a change. */
  refresh: () => void;
}

/** Carries the {@link FlagsContextValue}; {@link FlagsProvider} fills it. */
export const FlagsContext = createContext<FlagsContextValue | undefined>(
  undefined,
);

/** Reads everything the Flags tab shares, once. */
export function useFlagsState(entity: Entity): FlagsContextValue {
  const [showArchived, setShowArchived] = useState(false);
  const { value, loading, error, retry } = useFlags(entity, {
    archived: showArchived,
  });
  const user = useCurrentUser();
  const permissions = useFlagPermissions(entity);
  const entityRef = useMemo(() => getCompoundEntityRef(entity), [entity]);
  return useMemo(
    () => ({
      entity,
      entityRef,
      user,
      permissions,
      flags: { value, loading, error },
      showArchived,
      setShowArchived,
      refresh: retry,
    }),
    [
      entity,
      entityRef,
      user,
      permissions,
      value,
      loading,
      error,
      showArchived,
      retry,
    ],
  );
}

/** Provides the service's flag state to the cards below it. */
export function FlagsProvider({
  entity,
  children,
}: {
  entity: Entity;
  children: ReactNode;
}) {
  const value = useFlagsState(entity);
  return (
    <FlagsContext.Provider value={value}>{children}</FlagsContext.Provider>
  );
}

/** The flag state of the service on the page; only inside a {@link FlagsProvider}. */
export function useFlagsContext(): FlagsContextValue {
  const value = useContext(FlagsContext);
  if (!value) {
    throw new Error(
      'useFlagsContext must be used inside a FlagsProvider (the Flags tab provides one)',
    );
  }
  return value;
}
