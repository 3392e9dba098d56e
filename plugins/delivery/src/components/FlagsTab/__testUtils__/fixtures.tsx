import { ReactElement } from 'react';
import { getCompoundEntityRef } from '@backstage/catalog-model';
import {
  FlagChange,
  FlagEnvironmentSettings,
  FlagsResponse,
  ServiceFlag,
} from '@internal/plugin-delivery-common';
import { DeliveryApi } from '../../../api';
import { FlagsContext, FlagsContextValue } from '../../../hooks/FlagsContext';
import { FlagPermissions } from '../../../hooks/useFlagPermissions';
import {
  ADA,
  GRACE,
  entity,
  fakeApi,
  hoursAgo,
  RenderOptions,
  renderWithApis,
} from '../../DeploymentsTab/__testUtils__/fixtures';

export {
  ADA,
  GRACE,
  entity,
  responseError,
} from '../../DeploymentsTab/__testUtils__/fixtures';

export const ENVIRONMENTS = ['uat', 'canary', 'production'];

/** A flag's settings in one environment: off unless overridden. */
export function settings(
  environment: string,
  overrides: Partial<FlagEnvironmentSettings> = {},
): FlagEnvironmentSettings {
  return {
    environment,
    state: 'ENABLED',
    defaultVariant: 'off',
    on: false,
    updatedAt: hoursAgo(2),
    updatedBy: ADA,
    ...overrides,
  };
}

/**
 * `new-checkout`: a boolean flag on for everyone in uat, on for 10 % in canary, off in
 * production.
 */
export function newCheckout(overrides: Partial<ServiceFlag> = {}): ServiceFlag {
  return {
    key: 'new-checkout',
    description: 'The one-page checkout',
    type: 'boolean',
    variants: { on: true, off: false },
    offVariant: 'off',
    onVariant: 'on',
    change: 'PAY-142',
    createdAt: hoursAgo(48),
    createdBy: ADA,
    environments: [
      settings('uat', { defaultVariant: 'on', on: true, rolloutPercent: 100 }),
      settings('canary', {
        on: true,
        rolloutPercent: 10,
        targeting: {
          fractional: [
            ['on', 10],
            ['off', 90],
          ],
        },
      }),
      settings('production'),
    ],
    ...overrides,
  };
}

/** `search-ranking`: a string flag with a custom targeting rule in uat, off elsewhere. */
export function searchRanking(
  overrides: Partial<ServiceFlag> = {},
): ServiceFlag {
  return {
    key: 'search-ranking',
    type: 'string',
    variants: { classic: 'classic', learned: 'learned' },
    offVariant: 'classic',
    onVariant: 'learned',
    createdAt: hoursAgo(24),
    createdBy: GRACE,
    environments: [
      settings('uat', {
        defaultVariant: 'classic',
        on: true,
        targeting: {
          if: [{ '==': [{ var: 'country' }, 'NL'] }, 'learned', 'classic'],
        },
      }),
      settings('canary', { defaultVariant: 'classic' }),
      settings('production', { defaultVariant: 'classic' }),
    ],
    ...overrides,
  };
}

/** A change of `new-checkout` in production waiting for approval, requested by Grace. */
export function pendingChange(overrides: Partial<FlagChange> = {}): FlagChange {
  return {
    id: 'chg-1',
    entityRef: 'component:default/payments-api',
    flagKey: 'new-checkout',
    environment: 'production',
    action: 'rollout',
    summary: 'on for 10 % of users',
    requestedBy: GRACE,
    requestedAt: hoursAgo(1),
    reason: 'Canary looks healthy',
    status: 'pending',
    before: settings('production'),
    after: settings('production', { on: true, rolloutPercent: 10 }),
    ...overrides,
  };
}

export function flagsResponse(
  overrides: Partial<FlagsResponse> = {},
): FlagsResponse {
  return {
    entityRef: 'component:default/payments-api',
    environments: ENVIRONMENTS,
    approvalRequired: ['production'],
    flags: [newCheckout(), searchRanking()],
    pending: [],
    ...overrides,
  };
}

/** The fake delivery API with answers for the flag routes. */
export function fakeFlagsApi(
  overrides: Partial<DeliveryApi> = {},
): DeliveryApi {
  return fakeApi({
    getFlags: jest.fn(async () => flagsResponse()),
    getFlag: jest.fn(async () => newCheckout()),
    createFlag: jest.fn(async (_entity, request) =>
      newCheckout({ key: request.key }),
    ),
    changeFlag: jest.fn(async () => ({
      result: { flag: newCheckout() },
      pending: false,
    })),
    killFlag: jest.fn(async () => newCheckout()),
    archiveFlag: jest.fn(async () => newCheckout({ archivedAt: hoursAgo(0) })),
    getFlagHistory: jest.fn(async () => []),
    previewFlag: jest.fn(async () => []),
    approveFlagChange: jest.fn(async id =>
      pendingChange({ id, status: 'approved' }),
    ),
    rejectFlagChange: jest.fn(async id =>
      pendingChange({ id, status: 'rejected' }),
    ),
    ...overrides,
  });
}

/** Flag permissions as the components receive them: all granted unless overridden. */
export function flagPermissions(
  overrides: Partial<FlagPermissions> = {},
): FlagPermissions {
  return {
    create: true,
    update: true,
    approve: true,
    archive: true,
    kill: true,
    killAsOnCall: false,
    loading: false,
    ...overrides,
  };
}

export interface FlagsContextOptions extends RenderOptions {
  /** The user's flag permissions; all granted when omitted. */
  granted?: FlagPermissions;
  /** The flags as read last; {@link flagsResponse} when omitted. */
  flags?: FlagsResponse;
}

/**
 * Renders a card or dialog inside the flags context, as the tab provides it once everything
 * was read. Returns the context's `refresh` as a mock.
 */
export async function renderInFlagsContext(
  element: ReactElement,
  api: DeliveryApi,
  options: FlagsContextOptions = {},
) {
  const {
    user = ADA,
    granted = flagPermissions(),
    flags = flagsResponse(),
  } = options;
  const refresh = jest.fn();
  const value: FlagsContextValue = {
    entity,
    entityRef: getCompoundEntityRef(entity),
    user,
    permissions: granted,
    flags: { value: flags, loading: false },
    showArchived: false,
    setShowArchived: jest.fn(),
    refresh,
  };
  await renderWithApis(
    <FlagsContext.Provider value={value}>{element}</FlagsContext.Provider>,
    api,
    { ...options, user },
  );
  return { refresh };
}
