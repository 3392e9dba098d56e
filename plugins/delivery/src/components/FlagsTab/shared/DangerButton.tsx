import { makeStyles } from '@material-ui/core/styles';
import { ComponentProps } from 'react';
import { GuardedButton } from '../../DeploymentsTab/shared';

const useStyles = makeStyles(theme => ({
  outlined: {
    color: theme.palette.error.main,
    borderColor: theme.palette.error.main,
  },
  contained: {
    color: theme.palette.error.contrastText,
    backgroundColor: theme.palette.error.main,
    '&:hover': { backgroundColor: theme.palette.error.dark },
  },
}));

/** A red {@link GuardedButton} for the kill switch: disabled with a tooltip saying why. */
export function DangerButton({
  variant = 'outlined',
  ...props
}: Omit<ComponentProps<typeof GuardedButton>, 'color'>) {
  const classes = useStyles();
  const disabled = Boolean(props.disabledReason) || props.busy;
  // Disabled, it keeps MUI's grey: a red that cannot be clicked would mislead.
  let className: string | undefined;
  if (!disabled) {
    className = variant === 'contained' ? classes.contained : classes.outlined;
  }
  return <GuardedButton variant={variant} className={className} {...props} />;
}
