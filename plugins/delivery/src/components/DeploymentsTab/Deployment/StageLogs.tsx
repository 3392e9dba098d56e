import { useState } from 'react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Collapse from '@material-ui/core/Collapse';
import { DeploymentStage } from '@internal/plugin-delivery-common';

const LEVEL_COLOR = { info: 'inherit', warn: '#ed6c02', error: '#d32f2f' };

/** A stage's log lines behind a Show/Hide toggle. */
export function StageLogs({ stage }: { stage: DeploymentStage }) {
  const [open, setOpen] = useState(false);
  if (stage.logs.length === 0) return null;
  return (
    <>
      <Button
        size="small"
        aria-expanded={open}
        aria-label={`${open ? 'Hide' : 'Show'} logs of ${stage.name}`}
        onClick={() => setOpen(o => !o)}
      >
        {open ? 'Hide logs' : `Show logs (${stage.logs.length})`}
      </Button>
      <Collapse in={open} unmountOnExit>
        <Box
          component="ol"
          aria-label={`Logs of ${stage.name}`}
          m={0}
          p={1}
          style={{
            listStyle: 'none',
            fontFamily: 'monospace',
            fontSize: 12,
            whiteSpace: 'pre-wrap',
          }}
        >
          {stage.logs.map((line, i) => (
            <li key={i} style={{ color: LEVEL_COLOR[line.level] }}>
              {new Date(line.at).toLocaleTimeString()} {line.level}{' '}
              {line.message}
            </li>
          ))}
        </Box>
      </Collapse>
    </>
  );
}
