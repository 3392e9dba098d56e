import { useMemo, useState } from 'react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import LinearProgress from '@material-ui/core/LinearProgress';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { useApi } from '@backstage/core-plugin-api';
import { ServiceFlag } from '@internal/plugin-delivery-common';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import { deliveryApiRef } from '../../../api';
import { useFlagsContext } from '../../../hooks/FlagsContext';
import { errorMessage, GuardedButton } from '../../DeploymentsTab/shared';
import {
  describeSettings,
  parseJson,
  ProblemList,
  EnvironmentSelect,
} from '../shared';
import { DistributionBar } from './DistributionBar';
import { distribution, SAMPLE_USERS, sampleKeys } from './distribution';

/**
 * Who gets what: evaluates the flag in an environment with flagd's own evaluator (through the
 * backend) for one targeting key with attributes, and for 1,000 sample users with the same
 * attributes, shown as the share of each variant.
 */
export function PreviewDialog({
  flag,
  onClose,
}: {
  flag: ServiceFlag;
  onClose: () => void;
}) {
  const api = useApi(deliveryApiRef);
  const { entityRef, flags } = useFlagsContext();
  const environments = flags.value?.environments ?? [];
  const [environment, setEnvironment] = useState(
    () => flag.environments.find(e => e.on)?.environment ?? environments[0],
  );
  const [targetingKey, setTargetingKey] = useState('user-1');
  const [attributesText, setAttributesText] = useState('{}');
  const attributes = useMemo(() => {
    const parsed = parseJson(attributesText, 'attributes');
    if (parsed.problem) return { problems: [parsed.problem] };
    const value = parsed.value;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return {
        problems: [
          {
            path: 'attributes',
            message: 'attributes are an object, e.g. {"country": "NL"}',
          },
        ],
      };
    }
    return { value: value as { [key: string]: unknown }, problems: [] };
  }, [attributesText]);

  const [single, evaluate] = useAsyncFn(
    async () =>
      (
        await api.previewFlag(entityRef, flag.key, {
          environment,
          contexts: [{ ...attributes.value, targetingKey }],
        })
      )[0],
    [api, entityRef, flag.key, environment, attributes.value, targetingKey],
  );
  const [sample, evaluateSample] = useAsyncFn(async () => {
    const results = await api.previewFlag(entityRef, flag.key, {
      environment,
      contexts: sampleKeys().map(key => ({
        ...attributes.value,
        targetingKey: key,
      })),
    });
    return {
      environment,
      shares: distribution(results),
      total: results.length,
    };
  }, [api, entityRef, flag.key, environment, attributes.value]);

  const settings = flag.environments.find(e => e.environment === environment);
  let blocker: string | undefined;
  if (attributes.problems.length > 0) blocker = 'Fix the attributes first.';
  else if (!environment) blocker = 'The service has no environments.';
  const id = 'delivery-flag-preview';
  return (
    <Dialog
      open
      onClose={onClose}
      aria-labelledby={`${id}-title`}
      maxWidth="md"
      fullWidth
    >
      <DialogTitle id={`${id}-title`}>Preview {flag.key}</DialogTitle>
      <DialogContent>
        <Typography variant="body2" color="textSecondary" paragraph>
          Evaluated by flagd’s own evaluator with the settings saved now
          {settings
            ? ` (${environment}: ${describeSettings(settings, flag).label})`
            : ''}
          .
        </Typography>
        <Box display="flex" style={{ gap: 16 }}>
          <EnvironmentSelect
            id={`${id}-environment`}
            value={environment}
            environments={environments}
            onChange={setEnvironment}
          />
          <TextField
            id={`${id}-key`}
            label="Targeting key"
            helperText="The user, session or account id your code passes"
            value={targetingKey}
            onChange={e => setTargetingKey(e.target.value)}
          />
        </Box>
        <TextField
          id={`${id}-attributes`}
          label="Attributes (JSON)"
          multiline
          minRows={3}
          fullWidth
          variant="outlined"
          margin="normal"
          value={attributesText}
          onChange={e => setAttributesText(e.target.value)}
          inputProps={{ spellCheck: false, style: { fontFamily: 'monospace' } }}
          helperText='The evaluation context your code passes, e.g. {"country": "NL", "email": "ada@example.com"}'
        />
        <ProblemList problems={attributes.problems} title="Problems" />
        <Box display="flex" style={{ gap: 8 }} my={1}>
          <GuardedButton
            variant="contained"
            color="primary"
            disabledReason={blocker}
            busy={single.loading}
            onClick={() => evaluate()}
          >
            Evaluate
          </GuardedButton>
          <GuardedButton
            variant="outlined"
            disabledReason={blocker}
            busy={sample.loading}
            onClick={() => evaluateSample()}
          >
            Distribution over {SAMPLE_USERS.toLocaleString('en-US')} sample
            users
          </GuardedButton>
        </Box>
        {(single.loading || sample.loading) && <LinearProgress />}
        {single.error && (
          <Alert severity="error">{errorMessage(single.error)}</Alert>
        )}
        {single.value && (
          <Table size="small" aria-label="Evaluation">
            <TableHead>
              <TableRow>
                <TableCell>Targeting key</TableCell>
                <TableCell>Variant</TableCell>
                <TableCell>Value</TableCell>
                <TableCell>Reason</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              <TableRow>
                <TableCell>
                  {single.value.targetingKey ?? targetingKey}
                </TableCell>
                <TableCell>{single.value.variant ?? '—'}</TableCell>
                <TableCell style={{ fontFamily: 'monospace' }}>
                  {single.value.value === undefined
                    ? '—'
                    : JSON.stringify(single.value.value)}
                </TableCell>
                <TableCell>{single.value.reason}</TableCell>
              </TableRow>
            </TableBody>
          </Table>
        )}
        {sample.error && (
          <Alert severity="error">{errorMessage(sample.error)}</Alert>
        )}
        {sample.value && (
          <Box mt={2}>
            <Typography variant="subtitle2">
              {sample.value.environment},{' '}
              {sample.value.total.toLocaleString('en-US')} sample users
            </Typography>
            <DistributionBar
              shares={sample.value.shares}
              total={sample.value.total}
              onVariant={flag.onVariant}
              offVariant={flag.offVariant}
            />
          </Box>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Close</Button>
      </DialogActions>
    </Dialog>
  );
}
