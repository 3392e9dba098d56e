import {
  BackstageCredentials,
  BackstageUserPrincipal,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  ResourcePermission,
} from '@backstage/plugin-permission-common';

/** Who acts through a route: the user and their credentials. */
export interface Actor {
  userEntityRef: string;
  credentials: BackstageCredentials<BackstageUserPrincipal>;
}

/**
 * What a user may do to a service: the permission policy's decision on the service's catalog
 * entity, and membership of the on-call group (`delivery.onCall.group`), which may stop things
 * on any service.
 */
export class ServiceAuthorizer {
  constructor(
    private readonly deps: {
      permissions: PermissionsService;
      /** Needed for {@link ServiceAuthorizer.onCall} only. */
      userInfo?: UserInfoService;
      onCallGroup?: string;
    },
  ) {}

  async allowed(
    permission: ResourcePermission<'catalog-entity'>,
    entityRef: string,
    actor: Actor,
  ): Promise<boolean> {
    const [decision] = await this.deps.permissions.authorize(
      [{ permission, resourceRef: entityRef }],
      { credentials: actor.credentials },
    );
    return decision.result === AuthorizeResult.ALLOW;
  }

  /** Whether the actor is a member of the on-call group. */
  async onCall(actor: Actor): Promise<boolean> {
    const { onCallGroup, userInfo } = this.deps;
    if (!onCallGroup || !userInfo) return false;
    const info = await userInfo.getUserInfo(actor.credentials);
    return info.ownershipEntityRefs.includes(onCallGroup);
  }

  /** Throws a 403 saying only the service's owners may `what` it. */
  async authorize(
    permission: ResourcePermission<'catalog-entity'>,
    entityRef: string,
    actor: Actor,
    what: string,
  ): Promise<void> {
    if (!(await this.allowed(permission, entityRef, actor))) {
      throw new NotAllowedError(
        `${actor.userEntityRef} may not ${what} ${entityRef}: only its owners may`,
      );
    }
  }
}
