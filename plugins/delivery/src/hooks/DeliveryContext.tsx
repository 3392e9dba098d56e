import { createContext, ReactNode, useContext, useMemo } from 'react';
import {
  CompoundEntityRef,
  Entity,
  getCompoundEntityRef,
} from '@backstage/catalog-model';
import {
  DeploymentsResponse,
  EnvironmentsResponse,
} from '@internal/plugin-delivery-common';
import { useCurrentUser } from './useCurrentUser';
import { useEnvironments } from './useDelivery';
import {
  DeliveryPermissions,
  useDeliveryPermissions,
} from './useDeliveryPermissions';
import { useDeployments } from './useDeployments';

/** A read from the delivery backend that several cards share. */
export interface SharedRead<T> {
  value?: T;
  loading: boolean;
  error?: Error;
}

/**
 * What the Deployments tab knows once and every card may read: the service, who is looking,
 * what they may do, the live queue and environments, and how to read the queue again.
 */
export interface DeliveryContextValue {
  /** The service on the page. */
  entity: Entity;
  /** Its kind, namespace and name, as the delivery API takes them. */
  entityRef: CompoundEntityRef;
  /** Entity ref of the signed-in user; undefined while it loads. */
  user?: string;
  /** The user's delivery permissions on the service. */
  permissions: DeliveryPermissions;
  /** The queue, history and lock; read again on every signal, and polled while the queue is not empty. */
  deployments: SharedRead<DeploymentsResponse>;
  /** Where each version runs; read again on every signal, or now with `retry`. */
  environments: SharedRead<EnvironmentsResponse> & { retry: () => void };
  /** Reads the deployments again, e.g. after an action changed the queue. */
  refresh: () => void;
}

/** Carries the {@link DeliveryContextValue}; {@link DeliveryProvider} fills it. */
export const DeliveryContext = createContext<DeliveryContextValue | undefined>(
  undefined,
);

/**
 * Reads everything the tab shares, once: the deployments (with signals and polling), the
 * environments (again whenever a signal says a stage moved), the user and the permissions.
 */
export function useDeliveryState(entity: Entity): DeliveryContextValue {
  const {
    value: deploymentsValue,
    loading: deploymentsLoading,
    error: deploymentsError,
    retry: refresh,
    lastSignal,
  } = useDeployments(entity);
  // A signal means a stage moved: environments may run another version now.
  const {
    value: environmentsValue,
    loading: environmentsLoading,
    error: environmentsError,
    retry: retryEnvironments,
  } = useEnvironments(entity, lastSignal);
  const user = useCurrentUser();
  const permissions = useDeliveryPermissions(entity);
  const entityRef = useMemo(() => getCompoundEntityRef(entity), [entity]);
  return useMemo(
    () => ({
      entity,
      entityRef,
      user,
      permissions,
      deployments: {
        value: deploymentsValue,
        loading: deploymentsLoading,
        error: deploymentsError,
      },
      environments: {
        value: environmentsValue,
        loading: environmentsLoading,
        error: environmentsError,
        retry: retryEnvironments,
      },
      refresh,
    }),
    [
      entity,
      entityRef,
      user,
      permissions,
      deploymentsValue,
      deploymentsLoading,
      deploymentsError,
      environmentsValue,
      environmentsLoading,
      environmentsError,
      retryEnvironments,
      refresh,
    ],
  );
}

/** Provides the service's delivery state to the cards below it. */
export function DeliveryProvider({
  entity,
  children,
}: {
  entity: Entity;
  children: ReactNode;
}) {
  const value = useDeliveryState(entity);
  return (
    <DeliveryContext.Provider value={value}>
      {children}
    </DeliveryContext.Provider>
  );
}

/** The delivery state of the service on the page; only inside a {@link DeliveryProvider}. */
export function useDeliveryContext(): DeliveryContextValue {
  const value = useContext(DeliveryContext);
  if (!value) {
    throw new Error(
      'useDeliveryContext must be used inside a DeliveryProvider (the Deployments tab provides one)',
    );
  }
  return value;
}
