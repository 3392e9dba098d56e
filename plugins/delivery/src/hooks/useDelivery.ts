import { useApi } from '@backstage/core-plugin-api';
import { Entity, getCompoundEntityRef } from '@backstage/catalog-model';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { deliveryApiRef } from '../api';

/**
 * The service's environments, live from the delivery backend. A change of `refreshKey`
 * (e.g. the last delivery signal) reads them again.
 */
export function useEnvironments(entity: Entity, refreshKey?: unknown) {
  const api = useApi(deliveryApiRef);
  const ref = getCompoundEntityRef(entity);
  return useAsyncRetry(
    () => api.getEnvironments(ref),
    [api, ref.kind, ref.namespace, ref.name, refreshKey],
  );
}

/** The latest commits of the service's default branch with CI state. */
export function useCommits(entity: Entity) {
  const api = useApi(deliveryApiRef);
  const ref = getCompoundEntityRef(entity);
  return useAsyncRetry(
    () => api.getCommits(ref),
    [api, ref.kind, ref.namespace, ref.name],
  );
}
