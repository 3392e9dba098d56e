import Alert from '@material-ui/lab/Alert';
import AlertTitle from '@material-ui/lab/AlertTitle';
import { FlagProblem } from '@internal/plugin-delivery-common';

/** Problems of a definition or rule, each with the path it is at. */
export function ProblemList({
  problems,
  title,
}: {
  problems: FlagProblem[];
  title: string;
}) {
  if (problems.length === 0) return null;
  return (
    <Alert severity="error" aria-label={title}>
      <AlertTitle>{title}</AlertTitle>
      <ul style={{ margin: 0, paddingLeft: 16 }}>
        {problems.map(p => (
          <li key={`${p.path}:${p.message}`}>
            <code>{p.path}</code>: {p.message}
          </li>
        ))}
      </ul>
    </Alert>
  );
}
