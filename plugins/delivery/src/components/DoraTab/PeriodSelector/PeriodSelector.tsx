import ToggleButton from '@material-ui/lab/ToggleButton';
import ToggleButtonGroup from '@material-ui/lab/ToggleButtonGroup';
import { PERIOD_OPTIONS } from '../shared';

/**
 * The period of a DORA view: the last 4 weeks (by day), 12 (the default), 26 or 52 weeks (by
 * week), each ending now.
 */
export function PeriodSelector({
  weeks,
  onChange,
}: {
  weeks: number;
  onChange: (weeks: number) => void;
}) {
  return (
    <ToggleButtonGroup
      size="small"
      exclusive
      value={weeks}
      aria-label="Period"
      onChange={(_event, value: number | null) => {
        // Clicking the selected one again keeps it.
        if (value !== null) onChange(value);
      }}
    >
      {PERIOD_OPTIONS.map(option => (
        <ToggleButton
          key={option.weeks}
          value={option.weeks}
          aria-label={`Last ${option.label}${
            option.interval === 'day' ? ', by day' : ''
          }`}
        >
          {option.label}
        </ToggleButton>
      ))}
    </ToggleButtonGroup>
  );
}
