import { useState } from 'react';
import { QueueLock } from '@internal/plugin-delivery-common';
import { GuardedButton } from '../shared';
import { LockDialog } from './LockDialog';

/** Lock (asking for a reason) or Unlock; disabled with `disabledReason` when not allowed. */
export function LockControls({
  lock,
  disabledReason,
  busy,
  onLock,
  onUnlock,
}: {
  lock?: QueueLock;
  disabledReason?: string;
  busy: boolean;
  onLock: (reason: string) => Promise<unknown>;
  onUnlock: () => void;
}) {
  const [open, setOpen] = useState(false);
  if (lock) {
    return (
      <GuardedButton
        variant="outlined"
        disabledReason={disabledReason}
        busy={busy}
        onClick={onUnlock}
      >
        Unlock
      </GuardedButton>
    );
  }
  return (
    <>
      <GuardedButton
        variant="outlined"
        disabledReason={disabledReason}
        busy={busy}
        onClick={() => setOpen(true)}
      >
        Lock queue
      </GuardedButton>
      <LockDialog open={open} onClose={() => setOpen(false)} onLock={onLock} />
    </>
  );
}
