import { ReactNode } from 'react';
import Button, { ButtonProps } from '@material-ui/core/Button';
import Tooltip from '@material-ui/core/Tooltip';

/**
 * A button that is disabled, with a tooltip saying why, whenever `disabledReason` is given.
 * The tooltip hangs on a wrapper because disabled buttons receive no pointer events.
 */
export function GuardedButton({
  disabledReason,
  busy,
  children,
  ...props
}: Omit<ButtonProps, 'disabled'> & {
  disabledReason?: ReactNode;
  busy?: boolean;
}) {
  const button = (
    <Button size="small" {...props} disabled={Boolean(disabledReason) || busy}>
      {children}
    </Button>
  );
  if (!disabledReason) return button;
  return (
    <Tooltip title={disabledReason}>
      <span>{button}</span>
    </Tooltip>
  );
}
