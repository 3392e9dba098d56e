import { useApi } from '@backstage/core-plugin-api';
import { Entity, getCompoundEntityRef } from '@backstage/catalog-model';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { Eligibility } from '@internal/plugin-delivery-common';
import { deliveryApiRef } from '../api';

/** Eligibility of the given commits, read in one call, keyed by sha. */
export function useEligibility(entity: Entity, commitShas: string[]) {
  const api = useApi(deliveryApiRef);
  const ref = getCompoundEntityRef(entity);
  const key = commitShas.join(',');
  return useAsyncRetry(async () => {
    const shas = key ? key.split(',') : [];
    const list = shas.length ? await api.getEligibility(ref, shas) : [];
    return new Map<string, Eligibility>(list.map(e => [e.commitSha, e]));
  }, [api, ref.kind, ref.namespace, ref.name, key]);
}
