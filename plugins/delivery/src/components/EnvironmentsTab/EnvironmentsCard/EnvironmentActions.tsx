import { useState } from 'react';
import Box from '@material-ui/core/Box';
import ListItemText from '@material-ui/core/ListItemText';
import Menu from '@material-ui/core/Menu';
import MenuItem from '@material-ui/core/MenuItem';
import ArrowDropDownIcon from '@material-ui/icons/ArrowDropDown';
import { EphemeralEnvironment } from '@internal/plugin-delivery-common';
import { useEphemeralContext } from '../../../hooks/EphemeralContext';
import { GuardedButton } from '../../DeploymentsTab/shared';
import { DangerButton } from '../../FlagsTab/shared';
import {
  deleteBlocker,
  extendBlocker,
  extensionChoices,
  persistenceBlocker,
} from '../shared';

/** The actions of a row, which the card carries out (it shows progress and outcomes). */
export interface EnvironmentActionHandlers {
  onExtend: (env: EphemeralEnvironment, minutes: number) => void;
  onDelete: (env: EphemeralEnvironment) => void;
  onSetPersistent: (env: EphemeralEnvironment, persistent: boolean) => void;
}

/**
 * An environment's buttons: Extend (a menu of the configured extensions; one beyond the maximum
 * lifetime is disabled and says why), Delete, and for admins Make persistent / Make ephemeral.
 * A disabled button says why in its tooltip.
 */
export function EnvironmentActions({
  env,
  busy,
  onExtend,
  onDelete,
  onSetPersistent,
}: EnvironmentActionHandlers & {
  env: EphemeralEnvironment;
  busy: boolean;
}) {
  const { environments, permissions, user } = useEphemeralContext();
  const settings = environments.value?.settings;
  const [anchor, setAnchor] = useState<HTMLElement | null>(null);
  const choices =
    anchor && settings ? extensionChoices(env, settings, new Date()) : [];
  let extendReason = extendBlocker(env, permissions, user);
  if (!extendReason && settings?.extensionMinutes.length === 0) {
    extendReason = 'No extensions are configured (delivery.ephemeral).';
  }
  return (
    <Box
      display="flex"
      flexDirection="column"
      alignItems="flex-end"
      style={{ gap: 4, whiteSpace: 'nowrap' }}
    >
      <GuardedButton
        variant="outlined"
        aria-label={`Extend ${env.branch}`}
        aria-haspopup="true"
        disabledReason={extendReason}
        busy={busy}
        endIcon={<ArrowDropDownIcon />}
        onClick={e => setAnchor(e.currentTarget)}
      >
        Extend
      </GuardedButton>
      <Menu
        anchorEl={anchor}
        keepMounted={false}
        open={anchor !== null}
        onClose={() => setAnchor(null)}
      >
        {choices.map(choice => (
          <MenuItem
            key={choice.minutes}
            disabled={Boolean(choice.problem)}
            onClick={() => {
              setAnchor(null);
              onExtend(env, choice.minutes);
            }}
          >
            <ListItemText
              primary={choice.label}
              secondary={
                choice.problem ??
                `until ${choice.expiresAt?.toLocaleString() ?? '—'}`
              }
              secondaryTypographyProps={{
                style: { whiteSpace: 'normal', maxWidth: 320 },
              }}
            />
          </MenuItem>
        ))}
      </Menu>
      <DangerButton
        aria-label={`Delete ${env.branch}`}
        disabledReason={deleteBlocker(env, permissions, user)}
        busy={busy}
        onClick={() => onDelete(env)}
      >
        Delete
      </DangerButton>
      {permissions.admin && (
        <GuardedButton
          aria-label={`Make ${env.branch} ${
            env.persistent ? 'ephemeral' : 'persistent'
          }`}
          title={
            env.persistent
              ? 'It expires again: at its expiry time, but not before the default lifetime from now'
              : 'The sweep leaves it until an admin makes it ephemeral again'
          }
          disabledReason={persistenceBlocker(env, permissions)}
          busy={busy}
          onClick={() => onSetPersistent(env, !env.persistent)}
        >
          {env.persistent ? 'Make ephemeral' : 'Make persistent'}
        </GuardedButton>
      )}
    </Box>
  );
}
