import { ReactNode } from 'react';
import TextField, { TextFieldProps } from '@material-ui/core/TextField';

/**
 * A native select of the service's environments, in pipeline order; `describe` adds a note to
 * an environment's option (e.g. whether the flag is on there) and `children` come first (e.g.
 * "All environments").
 */
export function EnvironmentSelect({
  id,
  label = 'Environment',
  value,
  environments,
  onChange,
  describe,
  children,
  ...field
}: {
  id: string;
  label?: string;
  value: string;
  environments: string[];
  onChange: (environment: string) => void;
  describe?: (environment: string) => string;
  children?: ReactNode;
} & Pick<TextFieldProps, 'fullWidth' | 'margin'>) {
  return (
    <TextField
      {...field}
      id={id}
      select
      label={label}
      value={value}
      onChange={e => onChange(e.target.value)}
      SelectProps={{ native: true }}
      InputLabelProps={{ shrink: true }}
    >
      {children}
      {environments.map(e => (
        <option key={e} value={e}>
          {e}
          {describe?.(e) ?? ''}
        </option>
      ))}
    </TextField>
  );
}
