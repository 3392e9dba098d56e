import { useState } from 'react';
import Box from '@material-ui/core/Box';
import IconButton from '@material-ui/core/IconButton';
import ListItemText from '@material-ui/core/ListItemText';
import Menu from '@material-ui/core/Menu';
import MenuItem from '@material-ui/core/MenuItem';
import MoreVertIcon from '@material-ui/icons/MoreVert';
import { ServiceFlag } from '@internal/plugin-delivery-common';
import { useFlagsContext } from '../../../hooks/FlagsContext';
import { archiveBlocker, DangerButton, killBlocker } from '../shared';

/** The dialogs a flag's actions open. */
export type FlagDialog =
  | 'targeting'
  | 'preview'
  | 'history'
  | 'kill'
  | 'archive';

/**
 * A flag's row actions: the kill switch as a red button (it must be quick to find), and a menu
 * with the targeting editor, the preview, the history and archiving. A disabled item says why.
 */
export function FlagActions({
  flag,
  onOpen,
}: {
  flag: ServiceFlag;
  onOpen: (dialog: FlagDialog) => void;
}) {
  const { permissions } = useFlagsContext();
  const [anchor, setAnchor] = useState<HTMLElement | null>(null);
  const archiveReason = archiveBlocker(flag, permissions);
  const items: Array<{ dialog: FlagDialog; label: string; reason?: string }> = [
    {
      dialog: 'targeting',
      label: flag.archivedAt ? 'Targeting…' : 'Edit targeting…',
    },
    { dialog: 'preview', label: 'Preview: who gets what…' },
    { dialog: 'history', label: 'History…' },
    { dialog: 'archive', label: 'Archive…', reason: archiveReason },
  ];
  const open = (dialog: FlagDialog) => {
    setAnchor(null);
    onOpen(dialog);
  };
  return (
    <Box display="flex" alignItems="center" justifyContent="flex-end">
      <DangerButton
        aria-label={`Kill ${flag.key}`}
        disabledReason={killBlocker(flag, permissions)}
        onClick={() => open('kill')}
      >
        Kill
      </DangerButton>
      <IconButton
        size="small"
        aria-label={`More actions for ${flag.key}`}
        aria-haspopup="true"
        onClick={e => setAnchor(e.currentTarget)}
      >
        <MoreVertIcon />
      </IconButton>
      <Menu
        anchorEl={anchor}
        keepMounted={false}
        open={anchor !== null}
        onClose={() => setAnchor(null)}
      >
        {items.map(item => (
          <MenuItem
            key={item.dialog}
            disabled={Boolean(item.reason)}
            onClick={() => open(item.dialog)}
          >
            <ListItemText
              primary={item.label}
              secondary={item.reason}
              secondaryTypographyProps={{
                style: { whiteSpace: 'normal', maxWidth: 320 },
              }}
            />
          </MenuItem>
        ))}
      </Menu>
    </Box>
  );
}
