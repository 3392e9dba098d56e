import CircularProgress from '@material-ui/core/CircularProgress';
import CheckCircleIcon from '@material-ui/icons/CheckCircle';
import ErrorIcon from '@material-ui/icons/Error';
import HourglassEmptyIcon from '@material-ui/icons/HourglassEmpty';
import RadioButtonUncheckedIcon from '@material-ui/icons/RadioButtonUnchecked';
import RemoveCircleOutlineIcon from '@material-ui/icons/RemoveCircleOutline';
import { StageStatus } from '@internal/plugin-delivery-common';

/** The icon of a stage in the stepper, named by its status for screen readers. */
export function StageIcon({ status }: { status: StageStatus }) {
  switch (status) {
    case 'succeeded':
      return (
        <CheckCircleIcon titleAccess="succeeded" style={{ color: '#2e7d32' }} />
      );
    case 'failed':
      return <ErrorIcon titleAccess="failed" color="error" />;
    case 'running':
      return <CircularProgress size={20} aria-label="running" />;
    case 'waiting':
      return (
        <HourglassEmptyIcon
          titleAccess="waiting"
          style={{ color: '#ed6c02' }}
        />
      );
    case 'skipped':
      return <RemoveCircleOutlineIcon titleAccess="skipped" color="disabled" />;
    default:
      return (
        <RadioButtonUncheckedIcon titleAccess="pending" color="disabled" />
      );
  }
}
