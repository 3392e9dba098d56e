import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import {
  HealthAutomation,
  RollbackDecision,
} from '@internal/plugin-delivery-common';
import { formatTime } from '../../DeploymentsTab/shared';
import { levelLabel, recommendationText, SeverityChip } from '../shared';

/** The engine's recommendation with its severity and every reason, and whether it acts itself. */
export function DecisionPanel({
  environment,
  decision,
  automation,
}: {
  environment: string;
  decision: RollbackDecision;
  automation: HealthAutomation;
}) {
  let alertSeverity: 'error' | 'warning' | 'info' | 'success' = 'info';
  if (decision.action === 'none') alertSeverity = 'success';
  else if (decision.severity === 'critical') alertSeverity = 'error';
  else if (decision.severity === 'warning') alertSeverity = 'warning';
  return (
    <Box data-testid={`decision-${environment}`}>
      <Alert severity={alertSeverity} icon={false}>
        <Box display="flex" alignItems="center" style={{ gap: 8 }}>
          <Typography variant="subtitle2">
            Recommendation: {levelLabel(decision.level)}
          </Typography>
          <SeverityChip severity={decision.severity} />
        </Box>
        <Typography variant="body2">{recommendationText(decision)}</Typography>
        {decision.reasons.length > 0 && (
          <ul aria-label={`Reasons in ${environment}`} style={{ margin: 0 }}>
            {decision.reasons.map(reason => (
              <li key={reason}>
                <Typography variant="body2">{reason}</Typography>
              </li>
            ))}
          </ul>
        )}
      </Alert>
      <Typography
        variant="body2"
        data-testid={`automation-${environment}`}
        style={{ marginTop: 8 }}
      >
        {automation.active ? (
          <>
            <strong>Automation active</strong>
            {automation.until
              ? ` until ${formatTime(automation.until)}`
              : ''}: {automation.why}
          </>
        ) : (
          <>
            <strong>Automation off</strong>: {automation.why}
          </>
        )}
      </Typography>
    </Box>
  );
}
