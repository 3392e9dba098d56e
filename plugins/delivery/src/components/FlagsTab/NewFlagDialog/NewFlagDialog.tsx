import { useMemo, useState } from 'react';
import Box from '@material-ui/core/Box';
import Dialog from '@material-ui/core/Dialog';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import TextField from '@material-ui/core/TextField';
import {
  FLAG_TYPES,
  FlagType,
  ServiceFlag,
} from '@internal/plugin-delivery-common';
import { useFlagActions } from '../../../hooks/useFlagActions';
import { useFlagsContext } from '../../../hooks/FlagsContext';
import { GuardedButton } from '../../DeploymentsTab/shared';
import {
  defaultVariants,
  NewFlagForm,
  newFlagProblems,
  parsedVariants,
  ProblemList,
  DialogFooter,
  DialogProgress,
} from '../shared';

const variantsText = (type: FlagType) =>
  JSON.stringify(defaultVariants(type), null, 2);

function initialForm(type: FlagType = 'boolean'): NewFlagForm {
  return {
    key: '',
    description: '',
    type,
    variants: variantsText(type),
    offVariant: 'off',
    onVariant: 'on',
    change: '',
  };
}

/**
 * Picks off and on variants that exist: a boolean flag's `false` and `true` variants, else
 * the current picks when still there, else the first two.
 */
function pickVariants(form: NewFlagForm): NewFlagForm {
  const variants = parsedVariants(form.variants);
  if (!variants) return form;
  const names = Object.keys(variants);
  const byValue = (value: boolean) => names.find(n => variants[n] === value);
  const off = names.includes(form.offVariant)
    ? form.offVariant
    : byValue(false) ?? names[0] ?? '';
  const on = names.includes(form.onVariant)
    ? form.onVariant
    : byValue(true) ?? names.find(n => n !== off) ?? '';
  return { ...form, offVariant: off, onVariant: on };
}

/**
 * Creates a flag: key, description, type, variants (a boolean flag starts with on/off), the
 * off and on variants, and the change or ticket it belongs to. Checked as you type with the
 * backend's rules; the new flag is off in every environment.
 */
export function NewFlagDialog({
  open,
  onClose,
  onCreated,
}: {
  open: boolean;
  onClose: () => void;
  onCreated: (flag: ServiceFlag) => void;
}) {
  const { permissions, flags } = useFlagsContext();
  const { createFlag } = useFlagActions();
  const [form, setForm] = useState<NewFlagForm>(() => initialForm());
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const problems = useMemo(() => newFlagProblems(form), [form]);
  const names = Object.keys(parsedVariants(form.variants) ?? {});
  const taken = flags.value?.flags.some(f => f.key === form.key.trim());

  const update = (patch: Partial<NewFlagForm>) => {
    setTouched(true);
    setForm(current => {
      let next = { ...current, ...patch };
      // A new type brings its own variants unless the user wrote their own.
      if (
        patch.type &&
        patch.type !== current.type &&
        current.variants === variantsText(current.type)
      ) {
        next = { ...next, variants: variantsText(patch.type) };
      }
      return pickVariants(next);
    });
  };

  let blocker: string | undefined;
  if (permissions.loading) blocker = 'Checking your permissions…';
  else if (!permissions.create) {
    blocker =
      'You do not have permission to create flags for this service (its owners do).';
  } else if (!form.key.trim()) blocker = 'Give the flag a key.';
  else if (problems.length > 0) {
    blocker = `Fix the ${
      problems.length === 1 ? 'problem' : `${problems.length} problems`
    } above first.`;
  } else if (taken) blocker = `The service already has a flag ${form.key}.`;

  const close = () => {
    setForm(initialForm());
    setTouched(false);
    setError(undefined);
    onClose();
  };
  const create = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const flag = await createFlag({
        key: form.key.trim(),
        type: form.type,
        variants: parsedVariants(form.variants),
        offVariant: form.offVariant,
        onVariant: form.onVariant,
        ...(form.description.trim()
          ? { description: form.description.trim() }
          : {}),
        ...(form.change.trim() ? { change: form.change.trim() } : {}),
      });
      setForm(initialForm());
      setTouched(false);
      onCreated(flag);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const id = 'delivery-new-flag';
  const shown = touched ? problems : [];
  const at = (path: string) => shown.find(p => p.path === path)?.message;
  return (
    <Dialog
      open={open}
      onClose={close}
      aria-labelledby={`${id}-title`}
      maxWidth="sm"
      fullWidth
    >
      <DialogTitle id={`${id}-title`}>New flag</DialogTitle>
      <DialogContent>
        <DialogContentText>
          The flag starts off — its off variant — in every environment.
        </DialogContentText>
        <TextField
          id={`${id}-key`}
          label="Key"
          required
          fullWidth
          margin="dense"
          value={form.key}
          error={Boolean(at('key'))}
          onChange={e => update({ key: e.target.value })}
          helperText="What the code asks for, e.g. new-checkout: a letter, then letters, digits, “.”, “_” or “-”"
        />
        <TextField
          id={`${id}-description`}
          label="Description"
          fullWidth
          margin="dense"
          value={form.description}
          onChange={e => update({ description: e.target.value })}
        />
        <Box display="flex" style={{ gap: 16 }}>
          <TextField
            id={`${id}-type`}
            select
            label="Type"
            margin="dense"
            value={form.type}
            onChange={e => update({ type: e.target.value as FlagType })}
            SelectProps={{ native: true }}
            InputLabelProps={{ shrink: true }}
          >
            {FLAG_TYPES.map(t => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </TextField>
          <TextField
            id={`${id}-off`}
            select
            label="Off variant"
            margin="dense"
            value={form.offVariant}
            onChange={e => update({ offVariant: e.target.value })}
            SelectProps={{ native: true }}
            InputLabelProps={{ shrink: true }}
            helperText="Served while off"
          >
            {names.map(n => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </TextField>
          <TextField
            id={`${id}-on`}
            select
            label="On variant"
            margin="dense"
            value={form.onVariant}
            onChange={e => update({ onVariant: e.target.value })}
            SelectProps={{ native: true }}
            InputLabelProps={{ shrink: true }}
            helperText="What a rollout turns on"
          >
            {names.map(n => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </TextField>
        </Box>
        <TextField
          id={`${id}-variants`}
          label="Variants (JSON)"
          multiline
          minRows={4}
          fullWidth
          margin="dense"
          variant="outlined"
          value={form.variants}
          error={shown.some(p => p.path.startsWith('variants'))}
          onChange={e => update({ variants: e.target.value })}
          inputProps={{ spellCheck: false, style: { fontFamily: 'monospace' } }}
          helperText={`Names and ${form.type} values`}
        />
        <TextField
          id={`${id}-change`}
          label="Change or ticket"
          fullWidth
          margin="dense"
          value={form.change}
          onChange={e => update({ change: e.target.value })}
          helperText="The change the flag ships, e.g. PAY-142"
        />
        <ProblemList problems={shown} title="Problems" />
        <DialogProgress busy={busy} error={error} />
      </DialogContent>
      <DialogFooter
        blocker={blocker}
        blockerTestId="create-blocker"
        onCancel={close}
      >
        <GuardedButton
          variant="contained"
          color="primary"
          disabledReason={blocker}
          busy={busy}
          onClick={create}
        >
          Create
        </GuardedButton>
      </DialogFooter>
    </Dialog>
  );
}
