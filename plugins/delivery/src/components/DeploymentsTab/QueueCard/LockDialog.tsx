import { ReasonDialog } from '../shared';

/** Asks for the (required) reason of a queue lock and submits it. */
export function LockDialog({
  open,
  onClose,
  onLock,
}: {
  open: boolean;
  onClose: () => void;
  onLock: (reason: string) => Promise<unknown>;
}) {
  return (
    <ReasonDialog
      id="delivery-lock"
      open={open}
      title="Lock the deployment queue"
      text="No deployment is called while the queue is locked: a called one goes back to waiting, and a running one pauses before its next environment until the queue is unlocked."
      helperText="Shown to everyone who opens the queue."
      submitLabel="Lock"
      onClose={onClose}
      onSubmit={onLock}
    />
  );
}
