import {
  configApiRef,
  identityApiRef,
  useApi,
} from '@backstage/core-plugin-api';
import useAsync from 'react-use/esm/useAsync';

/**
 * Whether the signed-in user belongs to the on-call group named by `delivery.onCall.group`
 * (false when none is configured). On-call may abort any deployment and kill any flag.
 */
export function useOnCall() {
  const identityApi = useApi(identityApiRef);
  const configApi = useApi(configApiRef);
  return useAsync(async () => {
    const group = configApi.getOptionalString('delivery.onCall.group');
    if (!group) return false;
    const { ownershipEntityRefs } = await identityApi.getBackstageIdentity();
    return ownershipEntityRefs.includes(group);
  }, [identityApi, configApi]);
}
